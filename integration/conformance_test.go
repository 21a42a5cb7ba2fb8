package integration

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/net/websocket"
)

// conformanceSiteBody returns the site under test: encode compresses what
// hubspot_identify passes on, and hubspot_identify wraps file_server under
// /files/, controllerHandler under /controller/ and reverse_proxy
// everywhere else. Under /raw/ the proxy's transport neither requests gzip
// from the upstream nor decodes it.
func conformanceSiteBody(upstreamURL, root string) string {
	return strings.NewReplacer("{upstream}", upstreamURL, "{root}", root).Replace(`
	encode gzip zstd
	hubspot_identify {
		access_token {env.HUBSPOT_ACCESS_TOKEN}
		email        {http.request.header.X-Auth-Request-Email}
		endpoint     {endpoint}
		timeout      2s
	}
	handle_path /files/* {
		root * {root}
		file_server
	}
	handle /controller/html {
		route {
			conformance_controller
		}
	}
	handle /controller/text {
		route {
			conformance_controller plain
		}
	}
	handle /raw/* {
		reverse_proxy {upstream} {
			transport http {
				compression off
			}
		}
	}
	handle {
		reverse_proxy {upstream}
	}
`)
}

// tokenLookup is how many calls to HubSpot a request may cause for its
// visitor.
type tokenLookup int

const (
	// noLookup is for requests whose response is never injected, which
	// must not cost a HubSpot call.
	noLookup tokenLookup = iota

	// oneLookup is for a visitor's page or frame load. A page load's
	// lookup starts when the request arrives, whatever the response turns
	// out to be.
	oneLookup
)

// staticFile is a file that file_server serves.
type staticFile struct {
	name    string
	content string
}

// conformanceCase is one response shape sent through Caddy, with what the
// client must receive.
type conformanceCase struct {
	name string

	// The upstream. handler serves the request behind reverse_proxy, or
	// behind the proxy without transport compression when rawProxy is set.
	// file is served by file_server. With neither, path is requested as it
	// is.
	handler  http.HandlerFunc
	rawProxy bool
	file     *staticFile
	path     string

	// The request. method defaults to GET and header to browserHeaders.
	// visitor adds the identity header with an email of the case's own.
	method  string
	header  http.Header
	body    string
	visitor bool

	// The response. The decoded body equals wantBody, or, when
	// injectAfter is set, wantBody with one snippet for the visitor right
	// after the first occurrence of injectAfter. wantHeader values are
	// compared after removing the suffix encode adds to an ETag.
	wantStatus  int
	wantBody    string
	injectAfter string
	wantHeader  map[string]string
	wantPresent []string
	wantAbsent  []string
	want1xx     []string // each informational response as "code Link"
	lookup      tokenLookup

	// skipReason, when set, skips the case and names the documented
	// behaviour that the module lacks.
	skipReason string
}

// Bodies of the upstream's other pages.
const (
	notFoundPage = "<!DOCTYPE html>\n<html><head><title>Not found</title></head><body><p>No such page.</p></body></html>\n"
	errorPage    = "<!DOCTYPE html>\n<html><head><title>Error</title></head><body><p>Something broke.</p></body></html>\n"
	xhtmlPage    = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>XHTML</title></head><body><p>Hi</p></body></html>\n"
	plainText    = "<html><head><title>Not markup</title></head></html>\n"
	styleSheet   = "head { display: none }\nbody { color: #222 }\n"
	fragment     = "<div>hi</div>"

	// pngImage is a PNG signature and header chunk, enough for
	// file_server and browsers to treat the file as an image.
	pngImage = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)

// charsetMeta opens the head of page, so the snippet goes right after it.
const charsetMeta = `<meta charset="utf-8">`

func TestConformance(t *testing.T) {
	httpDate := pageModTime.Format(http.TimeFormat)
	archive := strings.Repeat(string(fillerBlock), 64) // 4 MiB

	tests := []conformanceCase{
		{
			name:        "visitor page via proxy",
			handler:     servePage,
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantBody:    page,
			injectAfter: charsetMeta,
			wantHeader:  map[string]string{"Cache-Control": "max-age=60, private", "Content-Encoding": "gzip"},
			wantAbsent:  []string{"ETag", "Last-Modified", "CDN-Cache-Control", "Surrogate-Control"},
			lookup:      oneLookup,
		},
		{
			name:        "visitor page via file_server",
			file:        &staticFile{"page.html", page},
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantBody:    page,
			injectAfter: charsetMeta,
			wantHeader:  map[string]string{"Cache-Control": "private", "Content-Encoding": "gzip"},
			wantAbsent:  []string{"ETag", "Last-Modified"},
			lookup:      oneLookup,
		},
		{
			name:        "visitor page without compression",
			handler:     servePage,
			header:      withHeader(browserHeaders(), "Accept-Encoding", ""),
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantBody:    page,
			injectAfter: charsetMeta,
			wantPresent: []string{"Content-Length"},
			wantAbsent:  []string{"Content-Encoding", "ETag"},
			lookup:      oneLookup,
		},
		{
			// The validators are removed before the request reaches the
			// upstream, so the visitor gets a full page with a fresh token.
			name:        "visitor page revalidation",
			handler:     servePage,
			header:      withHeader(browserHeaders(), "If-None-Match", `"page-v1-gzip"`, "If-Modified-Since", httpDate),
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantBody:    page,
			injectAfter: charsetMeta,
			lookup:      oneLookup,
		},
		{
			name:        "visitor page range request",
			handler:     servePage,
			header:      withHeader(browserHeaders(), "Range", "bytes=0-99"),
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantBody:    page,
			injectAfter: charsetMeta,
			wantAbsent:  []string{"Content-Range"},
			lookup:      oneLookup,
		},
		{
			// A frame's lookup starts when its HTML response arrives.
			name:        "visitor page in an iframe",
			handler:     servePage,
			header:      withHeader(browserHeaders(), "Sec-Fetch-Dest", "iframe"),
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantBody:    page,
			injectAfter: charsetMeta,
			wantAbsent:  []string{"ETag"},
			lookup:      oneLookup,
		},
		{
			name:        "visitor page to a zstd-only client",
			handler:     servePage,
			header:      withHeader(browserHeaders(), "Accept-Encoding", "zstd"),
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantBody:    page,
			injectAfter: charsetMeta,
			wantHeader:  map[string]string{"Content-Encoding": "zstd"},
			wantAbsent:  []string{"ETag"},
			lookup:      oneLookup,
		},
		{
			// A fetch is never rendered as a document, and often loads a
			// fragment.
			name:       "visitor page via fetch",
			handler:    servePage,
			header:     withHeader(fetchRequestHeaders(), "Accept", "text/html"),
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   page,
			wantHeader: map[string]string{"ETag": pageETag},
			lookup:     noLookup,
		},
		{
			name:       "visitor request accepting no html",
			handler:    servePage,
			header:     withHeader(browserHeaders(), "Accept", "application/json"),
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   page,
			wantHeader: map[string]string{"ETag": pageETag},
			lookup:     noLookup,
		},
		{
			name:        "upper-case content type",
			handler:     serveBody("TEXT/HTML; Charset=UTF-8", page),
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantBody:    page,
			injectAfter: charsetMeta,
			lookup:      oneLookup,
		},
		{
			name:        "latin-1 page",
			handler:     serveBody("text/html; charset=iso-8859-1", page),
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantBody:    page,
			injectAfter: charsetMeta,
			lookup:      oneLookup,
		},
		{
			name:        "early hints then page",
			handler:     serveEarlyHints,
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantBody:    page,
			injectAfter: charsetMeta,
			want1xx:     []string{"103 " + earlyHintsLink},
			lookup:      oneLookup,
		},
		{
			// reverse_proxy's transport requests gzip when the request has
			// no Accept-Encoding and decodes the response, so the module
			// receives a plain page.
			name:        "upstream gzip page decoded by the proxy",
			handler:     serveEncoded("gzip", gzippedPage),
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantBody:    page,
			injectAfter: charsetMeta,
			wantAbsent:  []string{"ETag"},
			lookup:      oneLookup,
		},
		{
			// The module decodes the upstream's gzip, and encode
			// compresses the injected page again.
			name:        "upstream gzip page",
			handler:     serveEncoded("gzip", gzippedPage),
			rawProxy:    true,
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantBody:    page,
			injectAfter: charsetMeta,
			wantHeader:  map[string]string{"Content-Encoding": "gzip"},
			wantAbsent:  []string{"ETag"},
			lookup:      oneLookup,
		},
		{
			name:       "undecodable gzip page",
			handler:    serveEncoded("gzip", []byte(page)),
			rawProxy:   true,
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   page,
			wantHeader: map[string]string{"Content-Encoding": "gzip", "ETag": encodedETag},
			lookup:     oneLookup,
		},
		{
			name:       "stacked codings",
			handler:    serveEncoded("gzip, gzip", []byte(page)),
			rawProxy:   true,
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   page,
			wantHeader: map[string]string{"Content-Encoding": "gzip, gzip", "ETag": encodedETag},
			lookup:     oneLookup,
		},
		{
			name:       "anonymous page via proxy",
			handler:    servePage,
			wantStatus: http.StatusOK,
			wantBody:   page,
			wantHeader: map[string]string{
				"ETag":          pageETag,
				"Last-Modified": httpDate,
				"Cache-Control": "public, max-age=60, s-maxage=600",
			},
			wantPresent: []string{"CDN-Cache-Control", "Surrogate-Control"},
		},
		{
			name:       "anonymous page to a zstd-only client",
			handler:    servePage,
			header:     withHeader(browserHeaders(), "Accept-Encoding", "zstd"),
			wantStatus: http.StatusOK,
			wantBody:   page,
			wantHeader: map[string]string{"Content-Encoding": "zstd", "ETag": pageETag},
		},
		{
			name:        "anonymous page via file_server",
			file:        &staticFile{"page.html", page},
			wantStatus:  http.StatusOK,
			wantBody:    page,
			wantHeader:  map[string]string{"Last-Modified": httpDate},
			wantPresent: []string{"ETag"},
			wantAbsent:  []string{"Cache-Control"},
		},
		{
			name:       "display name is no visitor",
			handler:    servePage,
			header:     withHeader(browserHeaders(), "X-Auth-Request-Email", "Ada <ada@example.com>"),
			wantStatus: http.StatusOK,
			wantBody:   page,
			wantHeader: map[string]string{"ETag": pageETag},
		},
		{
			name:       "head by visitor",
			method:     http.MethodHead,
			handler:    servePage,
			visitor:    true,
			wantStatus: http.StatusOK,
			wantHeader: map[string]string{"ETag": pageETag, "Cache-Control": "public, max-age=60, s-maxage=600"},
			lookup:     noLookup,
		},
		{
			name:        "head by visitor via file_server",
			method:      http.MethodHead,
			file:        &staticFile{"page.html", page},
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantPresent: []string{"ETag"},
			lookup:      noLookup,
		},
		{
			name:       "post by visitor",
			method:     http.MethodPost,
			handler:    servePage,
			body:       "name=Ada",
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   page,
			wantHeader: map[string]string{"ETag": pageETag},
			lookup:     noLookup,
		},
		{
			name:       "put by visitor",
			method:     http.MethodPut,
			handler:    servePage,
			body:       "name=Ada",
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   page,
			wantHeader: map[string]string{"ETag": pageETag},
			lookup:     noLookup,
		},
		{
			name:       "range by visitor fetch",
			handler:    servePage,
			header:     withHeader(fetchRequestHeaders(), "Range", "bytes=0-99"),
			visitor:    true,
			wantStatus: http.StatusPartialContent,
			wantBody:   page[:100],
			wantHeader: map[string]string{"Content-Range": fmt.Sprintf("bytes 0-99/%d", len(page)), "ETag": pageETag},
			lookup:     noLookup,
		},
		{
			name:       "range by anonymous via file_server",
			file:       &staticFile{"page.html", page},
			header:     withHeader(browserHeaders(), "Range", "bytes=0-99"),
			wantStatus: http.StatusPartialContent,
			wantBody:   page[:100],
			wantHeader: map[string]string{"Content-Range": fmt.Sprintf("bytes 0-99/%d", len(page))},
		},
		{
			name:       "no content",
			handler:    serveStatus(http.StatusNoContent, "", ""),
			visitor:    true,
			wantStatus: http.StatusNoContent,
			lookup:     oneLookup,
		},
		{
			name:       "not modified for anonymous",
			handler:    servePage,
			header:     withHeader(browserHeaders(), "If-None-Match", `"page-v1-gzip"`),
			wantStatus: http.StatusNotModified,
			wantHeader: map[string]string{"ETag": pageETag},
		},
		{
			name:       "not modified for visitor fetch",
			handler:    servePage,
			header:     withHeader(fetchRequestHeaders(), "If-None-Match", pageETag),
			visitor:    true,
			wantStatus: http.StatusNotModified,
			wantHeader: map[string]string{"ETag": pageETag},
			lookup:     noLookup,
		},
		{
			name:       "not modified for anonymous via file_server",
			file:       &staticFile{"page.html", page},
			header:     withHeader(browserHeaders(), "If-Modified-Since", httpDate),
			wantStatus: http.StatusNotModified,
		},
		{
			name:       "not found page",
			handler:    serveStatus(http.StatusNotFound, "text/html; charset=utf-8", notFoundPage),
			visitor:    true,
			wantStatus: http.StatusNotFound,
			wantBody:   notFoundPage,
			wantAbsent: []string{"Cache-Control"},
			lookup:     oneLookup,
		},
		{
			name:       "not found via file_server",
			path:       "/files/missing.html",
			visitor:    true,
			wantStatus: http.StatusNotFound,
			lookup:     oneLookup,
		},
		{
			name:       "server error page",
			handler:    serveStatus(http.StatusInternalServerError, "text/html; charset=utf-8", errorPage),
			visitor:    true,
			wantStatus: http.StatusInternalServerError,
			wantBody:   errorPage,
			wantAbsent: []string{"Cache-Control"},
			lookup:     oneLookup,
		},
		{
			name:       "json navigated to",
			handler:    serveBody("application/json", `{"head":"<head>"}`),
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   `{"head":"<head>"}`,
			lookup:     oneLookup,
		},
		{
			name:       "style sheet via file_server",
			file:       &staticFile{"style.css", styleSheet},
			header:     withHeader(browserHeaders(), "Accept", "text/css,*/*;q=0.1", "Sec-Fetch-Dest", "style"),
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   styleSheet,
			lookup:     noLookup,
		},
		{
			name:       "plain text with a head tag",
			handler:    serveBody("text/plain; charset=utf-8", plainText),
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   plainText,
			lookup:     oneLookup,
		},
		{
			name:       "xhtml page",
			handler:    serveBody("application/xhtml+xml", xhtmlPage),
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   xhtmlPage,
			lookup:     oneLookup,
		},
		{
			name:       "utf-16 page",
			handler:    serveBody("text/html; charset=utf-16", utf16Page),
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   utf16Page,
			wantAbsent: []string{"Cache-Control"},
			lookup:     oneLookup,
		},
		{
			name:       "fragment",
			handler:    serveBody("text/html; charset=utf-8", fragment),
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   fragment,
			wantAbsent: []string{"Cache-Control"},
			lookup:     oneLookup,
		},
		{
			name:       "fragment via file_server",
			file:       &staticFile{"fragment.html", fragment},
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   fragment,
			wantAbsent: []string{"Cache-Control"},
			lookup:     oneLookup,
		},
		{
			name:       "head beyond the window",
			handler:    serveBody("text/html; charset=utf-8", longCommentPage),
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   longCommentPage,
			wantAbsent: []string{"Cache-Control"},
			lookup:     oneLookup,
		},
		{
			// The proxy flushes each piece of a response without a
			// Content-Length, so the headers go out private before the
			// injector has seen 64 KiB.
			name:       "streamed head beyond the window",
			handler:    serveStreamed("text/html; charset=utf-8", longCommentPage),
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   longCommentPage,
			wantHeader: map[string]string{"Cache-Control": "max-age=60, private"},
			wantAbsent: []string{"ETag"},
			lookup:     oneLookup,
		},
		{
			name:        "head beyond the window via file_server",
			file:        &staticFile{"long.html", longCommentPage},
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantBody:    longCommentPage,
			wantPresent: []string{"ETag", "Last-Modified"},
			lookup:      oneLookup,
		},
		{
			name:       "page allowing no script",
			handler:    withResponseHeader(servePage, "Content-Security-Policy", "script-src 'none'"),
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   page,
			wantHeader: map[string]string{"Content-Security-Policy": "script-src 'none'", "ETag": pageETag},
			lookup:     oneLookup,
		},
		{
			name:        "report-only policy left alone",
			handler:     withResponseHeader(servePage, "Content-Security-Policy-Report-Only", "script-src 'self'"),
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantBody:    page,
			injectAfter: charsetMeta,
			wantHeader:  map[string]string{"Content-Security-Policy-Report-Only": "script-src 'self'"},
			wantAbsent:  []string{"Content-Security-Policy"},
			lookup:      oneLookup,
		},
		{
			// The handler sets a write deadline and flushes through
			// http.ResponseController, and writes the error if one fails.
			name:        "response controller on a page",
			path:        "/controller/html",
			visitor:     true,
			wantStatus:  http.StatusOK,
			wantBody:    page,
			injectAfter: charsetMeta,
			lookup:      oneLookup,
		},
		{
			name:       "response controller on passthrough",
			path:       "/controller/text",
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   plainText,
			lookup:     oneLookup,
		},
		{
			name:       "image via file_server",
			file:       &staticFile{"logo.png", pngImage},
			header:     withHeader(browserHeaders(), "Accept", "image/avif,image/webp,*/*", "Sec-Fetch-Dest", "image"),
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   pngImage,
			wantHeader: map[string]string{"Content-Type": "image/png"},
			lookup:     noLookup,
		},
		{
			// file_server copies with ReadFrom, which the module passes on
			// so the server can use sendfile.
			name:       "large static file via file_server",
			file:       &staticFile{"archive.bin", archive},
			visitor:    true,
			wantStatus: http.StatusOK,
			wantBody:   archive,
			wantHeader: map[string]string{"Content-Length": strconv.Itoa(len(archive))},
			wantAbsent: []string{"Content-Encoding"},
			lookup:     oneLookup,
		},
	}

	// Give each case its own upstream path or file, so one Caddy serves
	// them all, and each visitor case its own email, so the emulator's
	// count per email shows which request caused a call.
	root := t.TempDir()
	handlers := make(map[string]http.HandlerFunc)
	emails := make([]string, len(tests))
	for i := range tests {
		tt := &tests[i]
		if tt.visitor {
			emails[i] = fmt.Sprintf("visitor%02d@example.com", i)
		}

		switch {
		case tt.handler != nil && tt.rawProxy:
			tt.path = fmt.Sprintf("/raw/%d", i)
			handlers[tt.path] = tt.handler
		case tt.handler != nil:
			tt.path = fmt.Sprintf("/proxy/%d", i)
			handlers[tt.path] = tt.handler
		case tt.file != nil:
			dir := filepath.Join(root, strconv.Itoa(i))
			writeStaticFile(t, dir, *tt.file)
			tt.path = fmt.Sprintf("/files/%d/%s", i, tt.file.name)
		}
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler, ok := handlers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		handler(w, r)
	}))
	t.Cleanup(up.Close)

	s := startSite(t, conformanceSiteBody(up.URL, root))

	ran := make([]bool, len(tests))
	for i, tt := range tests {
		email := emails[i]
		t.Run(tt.name, func(t *testing.T) {
			if tt.skipReason != "" {
				t.Skip(tt.skipReason)
			}
			ran[i] = true

			method := cmp.Or(tt.method, http.MethodGet)
			header := browserHeaders()
			if tt.header != nil {
				header = tt.header.Clone()
			}
			if email != "" {
				header.Set("X-Auth-Request-Email", email)
			}
			resp, informational := fetch(t, s, method, tt.path, header, tt.body)

			tt.check(t, s, method, email, resp, informational)
		})
	}

	// A lookup may reach the emulator after its response, so the counts
	// are checked again once every case has run. Anonymous requests have
	// no email of their own, so the total shows whether they caused calls.
	wantTotal := 0
	for i, tt := range tests {
		email := emails[i]
		if !ran[i] || email == "" {
			continue
		}
		got := s.emulator.Calls(email)
		if tt.lookup == oneLookup {
			wantTotal++
		} else if got != 0 {
			t.Errorf("%s: HubSpot calls for %s = %d after all cases, want 0", tt.name, email, got)
		}
	}
	if got := s.emulator.TotalCalls(); got != wantTotal {
		t.Errorf("HubSpot calls in total = %d, want %d, one per visitor case with a lookup", got, wantTotal)
	}
}

// check compares a response with the case's expectations.
func (tt conformanceCase) check(t *testing.T, s *site, method, email string, resp response, informational []string) {
	t.Helper()
	request := fmt.Sprintf("%s %s", method, tt.path)

	if resp.status != tt.wantStatus {
		t.Errorf("%s: status = %d, want %d", request, resp.status, tt.wantStatus)
	}
	if !slices.Equal(informational, tt.want1xx) {
		t.Errorf("%s: informational responses = %q, want %q", request, informational, tt.want1xx)
	}

	if tt.injectAfter != "" {
		checkInjected(t, s, resp.body, tt.wantBody, tt.injectAfter, email)
	} else if resp.body != tt.wantBody {
		t.Errorf("%s: body differs from the upstream's: %s", request, describeDifference(resp.body, tt.wantBody))
	}

	for _, name := range slices.Sorted(maps.Keys(tt.wantHeader)) {
		got, want := resp.header.Get(name), tt.wantHeader[name]
		if name == "ETag" {
			got = withoutEncodingSuffix(got)
		}
		if got != want {
			t.Errorf("%s: %s = %q, want %q", request, name, got, want)
		}
	}
	for _, name := range tt.wantPresent {
		if resp.header.Get(name) == "" {
			t.Errorf("%s: %s is missing, want it kept", request, name)
		}
	}
	for _, name := range tt.wantAbsent {
		if got := resp.header.Get(name); got != "" {
			t.Errorf("%s: %s = %q, want it absent", request, name, got)
		}
	}
	if got := resp.header.Get("Content-Length"); got != "" && method != http.MethodHead && got != strconv.Itoa(resp.rawSize) {
		t.Errorf("%s: Content-Length = %s, want %d, the body bytes received", request, got, resp.rawSize)
	}

	if email == "" {
		return
	}
	switch tt.lookup {
	case oneLookup:
		if got := waitForCalls(s.emulator, email, 1); got != 1 {
			t.Errorf("%s: HubSpot calls for the visitor = %d, want 1", request, got)
		}
	case noLookup:
		if got := s.emulator.Calls(email); got != 0 {
			t.Errorf("%s: HubSpot calls for the visitor = %d, want 0 for a response that is never injected", request, got)
		}
	}
}

// checkInjected checks that body is want with one identification snippet
// for email right after the first occurrence of after, and that the
// emulator accepts the snippet's token.
func checkInjected(t *testing.T, s *site, body, want, after, email string) {
	t.Helper()

	gotEmail, token, rest := injected(t, body)
	if rest != want {
		t.Errorf("page without the snippet differs from the upstream's: %s", describeDifference(rest, want))
	}

	point := strings.Index(want, after)
	if point < 0 {
		t.Fatalf("bad case: injection point %q is not in the upstream's page", after)
	}
	point += len(after)
	if at := snippetPattern.FindStringIndex(body)[0]; at != point {
		t.Errorf("snippet at byte %d, want %d, right after %q", at, point, after)
	}

	if gotEmail != email {
		t.Errorf("identificationEmail = %q, want %q", gotEmail, email)
	}
	if err := s.emulator.Verify(token, email); err != nil {
		t.Errorf("emulator rejects the injected token for %s: %v", email, err)
	}
}

// fetch sends a request to s and returns the response with its body
// decoded, and the informational (1xx) responses before it, each as
// "code Link".
func fetch(t *testing.T, s *site, method, path string, header http.Header, body string) (response, []string) {
	t.Helper()

	var informational []string
	trace := &httptrace.ClientTrace{
		Got1xxResponse: func(code int, header textproto.MIMEHeader) error {
			informational = append(informational, fmt.Sprintf("%d %s", code, header.Get("Link")))
			return nil
		},
	}
	ctx := httptrace.WithClientTrace(t.Context(), trace)

	var requestBody io.Reader
	if body != "" {
		requestBody = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.url+path, requestBody)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header

	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	encoding := resp.Header.Get("Content-Encoding")
	return response{
		status:   resp.StatusCode,
		header:   resp.Header,
		body:     string(decodeBody(encoding, raw)),
		encoding: encoding,
		rawSize:  len(raw),
	}, informational
}

// decodeBody decodes raw as a browser does for the encodings that encode
// produces here. A body in another coding, or that fails to decode, is
// returned as received, for cases that expect it to pass through.
func decodeBody(encoding string, raw []byte) []byte {
	var decoded []byte
	var err error
	switch {
	case len(raw) == 0:
		return raw
	case encoding == "gzip":
		decoded, err = gunzip(raw)
	case encoding == "zstd":
		var decoder *zstd.Decoder
		decoder, err = zstd.NewReader(nil)
		if err == nil {
			decoded, err = decoder.DecodeAll(raw, nil)
			decoder.Close()
		}
	default:
		return raw
	}
	if err != nil {
		return raw
	}
	return decoded
}

// writeStaticFile writes file into dir with the upstream's modification
// time.
func writeStaticFile(t *testing.T, dir string, file staticFile) {
	t.Helper()

	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, file.name)
	if err := os.WriteFile(path, []byte(file.content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, pageModTime, pageModTime); err != nil {
		t.Fatal(err)
	}
}

// fetchRequestHeaders returns the request headers a browser sends for a
// fetch() call from a page.
func fetchRequestHeaders() http.Header {
	return http.Header{
		"Accept":          {"*/*"},
		"Accept-Encoding": {"gzip"},
		"Sec-Fetch-Dest":  {"empty"},
	}
}

// withHeader returns a copy of header with each name and value pair set,
// or the name removed when its value is empty.
func withHeader(header http.Header, pairs ...string) http.Header {
	if len(pairs)%2 != 0 {
		panic("withHeader: pairs must come as name and value")
	}

	header = header.Clone()
	for i := 0; i < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			header.Del(pairs[i])
		} else {
			header.Set(pairs[i], pairs[i+1])
		}
	}
	return header
}

// withoutEncodingSuffix removes the suffix encode appends to a strong ETag
// of a representation it compressed.
func withoutEncodingSuffix(etag string) string {
	for _, suffix := range []string{`-gzip"`, `-zstd"`} {
		if strings.HasSuffix(etag, suffix) {
			return strings.TrimSuffix(etag, suffix) + `"`
		}
	}
	return etag
}

// describeDifference returns where got first differs from want, with a
// short excerpt of each from there, so a mismatch in a large body stays
// readable.
func describeDifference(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	excerpt := func(s string) string {
		return s[i:min(i+80, len(s))]
	}
	return fmt.Sprintf("first difference at byte %d (got %d bytes, want %d): got %q, want %q",
		i, len(got), len(want), excerpt(got), excerpt(want))
}

func TestConformanceStreaming(t *testing.T) {
	// A comment longer than encode's 512-byte minimum makes the first
	// write compressible, so the flush has to pass through gzip too.
	longComment := "<!-- " + strings.Repeat("streamed ", 80) + "-->\n"

	eventStream := http.Header{"Content-Type": {"text/event-stream"}, "Cache-Control": {"no-cache"}}
	streamedPage := http.Header{"Content-Type": {"text/html; charset=utf-8"}, "Cache-Control": {"no-cache"}}
	strictPage := withHeader(streamedPage, "Content-Security-Policy", "script-src 'self'")
	beforeHead := []string{
		"<!DOCTYPE html>\n<html>\n" + longComment,
		"<head>\n<title>Feed</title>\n</head>\n<body>\n<p>Loaded later.</p>\n</body>\n</html>\n",
	}

	tests := []struct {
		name           string
		upstreamHeader http.Header
		parts          []string
		header         http.Header
		injectAfter    string
		wantHeader     map[string]string
		lookup         tokenLookup
	}{
		{
			name:           "event stream to a visitor's fetch",
			upstreamHeader: eventStream,
			parts:          []string{"event: tick\ndata: 1\n\n", "event: tick\ndata: 2\n\n", "event: tick\ndata: 3\n\n"},
			header:         withHeader(fetchRequestHeaders(), "Accept", "text/event-stream"),
			wantHeader:     map[string]string{"Cache-Control": "no-cache"},
			lookup:         noLookup,
		},
		{
			name:           "page flushed before the head",
			upstreamHeader: streamedPage,
			parts:          beforeHead,
			header:         browserHeaders(),
			injectAfter:    "<head>",
			wantHeader:     map[string]string{"Cache-Control": "no-cache, private"},
			lookup:         oneLookup,
		},
		{
			name:           "page flushed after the head",
			upstreamHeader: streamedPage,
			parts: []string{
				"<!DOCTYPE html>\n<html>\n<head>\n<title>Feed</title>\n",
				"</head>\n<body>\n<p>Loaded later.</p>\n</body>\n</html>\n",
				"<!-- trailer -->\n",
			},
			header:      browserHeaders(),
			injectAfter: "<head>",
			wantHeader:  map[string]string{"Cache-Control": "no-cache, private"},
			lookup:      oneLookup,
		},
		{
			// The script would need its hash in the policy, but the
			// headers went out at the flush before the head.
			name:           "strict policy flushed before the head",
			upstreamHeader: strictPage,
			parts:          beforeHead,
			header:         browserHeaders(),
			wantHeader: map[string]string{
				"Cache-Control":           "no-cache, private",
				"Content-Security-Policy": "script-src 'self'",
			},
			lookup: oneLookup,
		},
	}

	releases := make([]chan struct{}, len(tests))
	handlers := make(map[string]http.HandlerFunc)
	for i, tt := range tests {
		releases[i] = make(chan struct{}, len(tt.parts))
		handlers[fmt.Sprintf("/stream/%d", i)] = serveParts(tt.upstreamHeader, tt.parts, releases[i])
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers[r.URL.Path](w, r)
	}))
	t.Cleanup(up.Close)

	s := startSite(t, conformanceSiteBody(up.URL, t.TempDir()))

	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email := fmt.Sprintf("stream%d@example.com", i)
			path := fmt.Sprintf("/stream/%d", i)
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header = withHeader(tt.header, "X-Auth-Request-Email", email)

			resp, err := s.client.Do(req)
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			body := startBodyStream(resp)
			t.Cleanup(body.close)

			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status = %d, want 200", path, resp.StatusCode)
			}
			for _, name := range slices.Sorted(maps.Keys(tt.wantHeader)) {
				if got, want := resp.Header.Get(name), tt.wantHeader[name]; got != want {
					t.Errorf("GET %s: %s = %q, want %q", path, name, got, want)
				}
			}

			// The upstream holds each next part until the client has the
			// one before, with the snippet if it belongs there.
			var sent string
			for k, part := range tt.parts {
				sent += part
				received, ok := body.waitFor(func(received string) bool {
					return snippetPattern.ReplaceAllString(received, "") == sent
				}, 5*time.Second)
				if !ok {
					t.Fatalf("GET %s: after part %d the client has %q, want %q before the upstream sends more", path, k, received, sent)
				}
				releases[i] <- struct{}{}
			}

			full, err := body.readAll(5 * time.Second)
			if err != nil {
				t.Fatalf("GET %s: reading the rest: %v", path, err)
			}
			if tt.injectAfter != "" {
				checkInjected(t, s, full, sent, tt.injectAfter, email)
			} else if full != sent {
				t.Errorf("GET %s: body = %q, want %q", path, full, sent)
			}

			switch tt.lookup {
			case oneLookup:
				if got := waitForCalls(s.emulator, email, 1); got != 1 {
					t.Errorf("GET %s: HubSpot calls for the visitor = %d, want 1", path, got)
				}
			case noLookup:
				if got := s.emulator.Calls(email); got != 0 {
					t.Errorf("GET %s: HubSpot calls for the visitor = %d, want 0", path, got)
				}
			}
		})
	}
}

// bodyStream reads a response body in the background, decoding gzip, so
// a test can check what has arrived so far while the upstream still holds
// the rest.
type bodyStream struct {
	body     io.ReadCloser
	pieces   chan []byte // closed at the end of the body
	stop     chan struct{}
	stopOnce sync.Once
	err      error // the read error other than io.EOF, set before pieces is closed
	received []byte
}

func startBodyStream(resp *http.Response) *bodyStream {
	b := &bodyStream{body: resp.Body, pieces: make(chan []byte), stop: make(chan struct{})}
	gzipped := resp.Header.Get("Content-Encoding") == "gzip"

	go func() {
		defer close(b.pieces)

		var r io.Reader = resp.Body
		if gzipped {
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				b.err = err
				return
			}
			r = zr
		}

		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				select {
				case b.pieces <- bytes.Clone(buf[:n]):
				case <-b.stop:
					return
				}
			}
			if err == io.EOF {
				return
			}
			if err != nil {
				b.err = err
				return
			}
		}
	}()
	return b
}

// waitFor receives pieces until done reports true for everything received
// so far, the body ends or timeout passes. It returns what was received
// and whether done was satisfied.
func (b *bodyStream) waitFor(done func(received string) bool, timeout time.Duration) (string, bool) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()

	for !done(string(b.received)) {
		select {
		case piece, ok := <-b.pieces:
			if !ok {
				return string(b.received), false
			}
			b.received = append(b.received, piece...)
		case <-timer.C:
			return string(b.received), false
		}
	}
	return string(b.received), true
}

// readAll receives the rest of the body and returns all of it.
func (b *bodyStream) readAll(timeout time.Duration) (string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()

	for {
		select {
		case piece, ok := <-b.pieces:
			if !ok {
				return string(b.received), b.err
			}
			b.received = append(b.received, piece...)
		case <-timer.C:
			return string(b.received), fmt.Errorf("body did not end within %v", timeout)
		}
	}
}

// close stops the reader and closes the body.
func (b *bodyStream) close() {
	b.stopOnce.Do(func() { close(b.stop) })
	b.body.Close()
}

func TestConformanceWebSocket(t *testing.T) {
	up := httptest.NewServer(serveWebSocket)
	t.Cleanup(up.Close)
	s := startSite(t, conformanceSiteBody(up.URL, t.TempDir()))

	// Without Accept and Sec-Fetch-Dest the handshake looks like a page
	// load, so only the Upgrade header keeps the module out of it.
	const email = "socket@example.com"
	config, err := websocket.NewConfig("ws://"+strings.TrimPrefix(s.url, "http://")+"/chat", s.url)
	if err != nil {
		t.Fatal(err)
	}
	config.Header = http.Header{"X-Auth-Request-Email": {email}}

	ws, err := websocket.DialConfig(config)
	if err != nil {
		t.Fatalf("websocket handshake through Caddy: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	if err := ws.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}

	var greeting string
	if err := websocket.Message.Receive(ws, &greeting); err != nil {
		t.Fatalf("receiving the upstream's message: %v", err)
	}
	if greeting != "welcome" {
		t.Errorf("upstream's message = %q, want %q", greeting, "welcome")
	}

	if err := websocket.Message.Send(ws, "hello"); err != nil {
		t.Fatalf("sending a message: %v", err)
	}
	var echo string
	if err := websocket.Message.Receive(ws, &echo); err != nil {
		t.Fatalf("receiving the echo: %v", err)
	}
	if echo != "echo: hello" {
		t.Errorf("echo of %q = %q, want %q", "hello", echo, "echo: hello")
	}

	if got := s.emulator.Calls(email); got != 0 {
		t.Errorf("HubSpot calls for the visitor = %d, want 0 for a protocol upgrade", got)
	}
}

func TestConformanceLargePage(t *testing.T) {
	const size = 100 << 20

	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		io.Copy(w, largePage(size))
	}))
	t.Cleanup(up.Close)
	s := startSite(t, conformanceSiteBody(up.URL, t.TempDir()))

	// Without Accept-Encoding encode leaves the body alone, which keeps
	// the test fast.
	const email = "large@example.com"
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+"/large", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = withHeader(visitorHeaders(email), "Accept-Encoding", "")
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET /large: %v", err)
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /large: status = %d, want 200", resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Encoding"); got != "" {
		t.Fatalf("GET /large: Content-Encoding = %q, want none", got)
	}

	// The snippet goes right after <head>, well inside the first 4 KiB.
	start := make([]byte, 4096)
	if _, err := io.ReadFull(resp.Body, start); err != nil {
		t.Fatalf("reading the start of the page: %v", err)
	}
	wantStart := largePageHead[:strings.Index(largePageHead, "<head>")+len("<head>")]
	if !bytes.HasPrefix(start, []byte(wantStart+"<script>")) {
		t.Errorf("page starts with %q, want %q followed by the snippet", start[:len(wantStart)+8], wantStart)
	}
	gotEmail, token, rest := injected(t, string(start))
	if gotEmail != email {
		t.Errorf("identificationEmail = %q, want %q", gotEmail, email)
	}
	if err := s.emulator.Verify(token, email); err != nil {
		t.Errorf("emulator rejects the injected token: %v", err)
	}
	snippetLength := len(start) - len(rest)

	received := io.MultiReader(strings.NewReader(rest), resp.Body)
	if offset, err := firstDifference(received, largePage(size)); err != nil {
		t.Errorf("page without the snippet differs from the upstream's at byte %d: %v", offset, err)
	}
	if got, want := resp.ContentLength, int64(size+snippetLength); got != want {
		t.Errorf("Content-Length = %d, want %d, the upstream's plus the snippet", got, want)
	}
}

// firstDifference reads got and want to the end and returns the offset of
// the first byte where they differ, with an error describing it, or nil
// when they are equal.
func firstDifference(got, want io.Reader) (int64, error) {
	gotBuf := make([]byte, 64<<10)
	wantBuf := make([]byte, 64<<10)

	var offset int64
	for {
		gotN, gotErr := io.ReadFull(got, gotBuf)
		wantN, wantErr := io.ReadFull(want, wantBuf)
		if gotErr != nil && gotErr != io.EOF && gotErr != io.ErrUnexpectedEOF {
			return offset, fmt.Errorf("reading the response: %w", gotErr)
		}

		n := min(gotN, wantN)
		if i := mismatch(gotBuf[:n], wantBuf[:n]); i >= 0 {
			return offset + int64(i), fmt.Errorf("got %q, want %q", gotBuf[i:min(i+40, n)], wantBuf[i:min(i+40, n)])
		}
		offset += int64(n)
		if gotN != wantN {
			return offset, fmt.Errorf("got %d more bytes than want", gotN-wantN)
		}
		if gotErr != nil || wantErr != nil {
			return offset, nil
		}
	}
}

// mismatch returns the index of the first byte where a and b, of equal
// length, differ, or -1.
func mismatch(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

func TestConformanceOneConnectionManyVisitors(t *testing.T) {
	up := startUpstream(t)
	s := startSite(t, conformanceSiteBody(up.URL, t.TempDir()))

	var dials atomic.Int32
	s.client = &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DisableCompression: true,
			MaxConnsPerHost:    1,
			DialContext:        countingDialer(&dials),
		},
	}

	tokens := make(map[string]string)
	for i, email := range []string{"ada@example.com", "", "grace@example.com", "ada@example.com"} {
		header := browserHeaders()
		if email != "" {
			header = visitorHeaders(email)
		}
		resp := s.do(t, http.MethodGet, "/", header)

		if resp.status != http.StatusOK {
			t.Fatalf("request %d for %q: status = %d, want 200", i, email, resp.status)
		}
		if email == "" {
			if resp.body != page {
				t.Errorf("request %d without a visitor: body differs from the upstream's: %s", i, describeDifference(resp.body, page))
			}
			continue
		}

		gotEmail, token, _ := injected(t, resp.body)
		if gotEmail != email {
			t.Errorf("request %d for %q: identificationEmail = %q", i, email, gotEmail)
		}
		if err := s.emulator.Verify(token, email); err != nil {
			t.Errorf("request %d for %q: emulator rejects the token: %v", i, email, err)
		}
		if previous, ok := tokens[email]; ok && previous != token {
			t.Errorf("request %d for %q: got a new token, want the one cached by the first page view", i, email)
		}
		tokens[email] = token
	}

	if got := dials.Load(); got != 1 {
		t.Errorf("connections opened = %d, want 1 kept alive for all requests", got)
	}
}

func TestConformanceHTTP2ManyVisitors(t *testing.T) {
	up := startUpstream(t)
	s := startSiteWithOptions(t, "servers {\n\t\tprotocols h1 h2c\n\t}", conformanceSiteBody(up.URL, t.TempDir()))
	// Slow HubSpot responses keep the streams open at the same time.
	s.emulator.SetLatency(100 * time.Millisecond)

	var dials atomic.Int32
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			Protocols:          protocols,
			DisableCompression: true,
			MaxConnsPerHost:    1,
			DialContext:        countingDialer(&dials),
		},
	}

	emails := []string{"ada@example.com", "", "grace@example.com", "alan@example.com", "", "ada@example.com"}
	responses := make([]*http.Response, len(emails))
	errs := make([]error, len(emails))
	var wg sync.WaitGroup
	for i, email := range emails {
		header := browserHeaders()
		if email != "" {
			header = visitorHeaders(email)
		}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header

		wg.Go(func() {
			responses[i], errs[i] = client.Do(req)
		})
	}
	wg.Wait()

	for i, email := range emails {
		if errs[i] != nil {
			t.Errorf("request %d for %q: %v", i, email, errs[i])
			continue
		}
		resp := s.read(t, responses[i])
		responses[i].Body.Close()

		if responses[i].ProtoMajor != 2 {
			t.Errorf("request %d for %q: protocol = %s, want HTTP/2", i, email, responses[i].Proto)
		}
		if resp.status != http.StatusOK {
			t.Errorf("request %d for %q: status = %d, want 200", i, email, resp.status)
			continue
		}
		if email == "" {
			if resp.body != page {
				t.Errorf("request %d without a visitor: body differs from the upstream's: %s", i, describeDifference(resp.body, page))
			}
			continue
		}

		gotEmail, token, _ := injected(t, resp.body)
		if gotEmail != email {
			t.Errorf("request %d for %q: identificationEmail = %q", i, email, gotEmail)
		}
		if err := s.emulator.Verify(token, email); err != nil {
			t.Errorf("request %d for %q: emulator rejects the token: %v", i, email, err)
		}
	}

	if got := dials.Load(); got != 1 {
		t.Errorf("connections opened = %d, want 1 shared by all streams", got)
	}
	if got := s.emulator.Calls("ada@example.com"); got != 1 {
		t.Errorf("HubSpot calls for ada@example.com = %d, want 1 shared by her concurrent page views", got)
	}
}

// countingDialer returns a DialContext function that counts the
// connections it opens in dials.
func countingDialer(dials *atomic.Int32) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var dialer net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dialer.DialContext(ctx, network, addr)
	}
}

// startSiteWithOptions is startSite with options added to the Caddyfile's
// global options block.
func startSiteWithOptions(t *testing.T, options, body string) *site {
	t.Helper()
	return startSiteWith(t, siteOptions{global: options}, body)
}
