package integration

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"golang.org/x/net/websocket"
)

// Upstream behaviours of the conformance suite. Each one sends a single
// response shape the way an application server or framework does.

// pageModTime is the modification time of every page and static file, so
// conditional requests have a fixed date to compare with.
var pageModTime = time.Date(2026, time.December, 2, 10, 0, 0, 0, time.UTC)

// earlyHintsLink is the Link header of the upstream's 103 Early Hints.
const earlyHintsLink = "</style.css>; rel=preload; as=style"

// servePage serves page the way a file-serving application does:
// with validators, caching allowed for shared caches and CDNs, and
// conditional, range and HEAD requests handled by http.ServeContent.
func servePage(w http.ResponseWriter, r *http.Request) {
	header := w.Header()
	header.Set("ETag", pageETag)
	header.Set("Cache-Control", "public, max-age=60, s-maxage=600")
	header.Set("CDN-Cache-Control", "max-age=600")
	header.Set("Surrogate-Control", "max-age=600")
	http.ServeContent(w, r, "page.html", pageModTime, strings.NewReader(page))
}

// withResponseHeader returns a handler that sets a response header and
// then calls handler.
func withResponseHeader(handler http.HandlerFunc, name, value string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(name, value)
		handler(w, r)
	}
}

// serveEarlyHints sends 103 Early Hints with a preload link, then the page.
func serveEarlyHints(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Link", earlyHintsLink)
	w.WriteHeader(http.StatusEarlyHints)
	w.Header().Del("Link")

	servePage(w, r)
}

// serveBody returns a handler that responds with 200 and body as
// contentType.
func serveBody(contentType, body string) http.HandlerFunc {
	return serveStatus(http.StatusOK, contentType, body)
}

// serveStatus returns a handler that responds with status and body as
// contentType, with its Content-Length, or with no body and no
// Content-Type when both are empty.
func serveStatus(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		if body != "" {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// serveStreamed returns a handler that responds with 200 and body as
// contentType, without a Content-Length and with a flush after every
// 16 KiB, the way a streaming framework sends a page. reverse_proxy
// flushes such a response to the client as it arrives. The page carries
// validators and allows shared caching.
func serveStreamed(contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		header := w.Header()
		header.Set("Content-Type", contentType)
		header.Set("ETag", streamedETag)
		header.Set("Cache-Control", "public, max-age=60")

		for rest := body; len(rest) > 0; {
			n := min(len(rest), 16<<10)
			io.WriteString(w, rest[:n])
			rest = rest[n:]
			if err := http.NewResponseController(w).Flush(); err != nil {
				return
			}
		}
	}
}

// streamedETag is the ETag of the pages serveStreamed sends.
const streamedETag = `"streamed-v1"`

// serveEncoded returns a handler that serves body as an HTML page with
// the given Content-Encoding, whatever the request's Accept-Encoding. The
// body is sent as it is, so it must already be in that coding.
func serveEncoded(coding string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		header := w.Header()
		header.Set("Content-Type", "text/html; charset=utf-8")
		header.Set("Content-Encoding", coding)
		header.Set("Content-Length", strconv.Itoa(len(body)))
		header.Set("ETag", encodedETag)
		header.Set("Vary", "Accept-Encoding")
		w.Write(body)
	}
}

// encodedETag is the ETag of the pages serveEncoded sends.
const encodedETag = `"page-v1-encoded"`

// gzippedPage is page compressed with gzip.
var gzippedPage = func() []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, page)
	zw.Close()
	return buf.Bytes()
}()

// longCommentPage has its head start tag after a comment longer than the
// injector's 64 KiB window, so the injection point is never seen.
var longCommentPage = "<!DOCTYPE html>\n<!-- " + strings.Repeat("padding ", 70<<10/8) + "-->\n" +
	"<html>\n<head>\n<title>Late head</title>\n</head>\n<body><p>Hello</p></body>\n</html>\n"

// utf16Page is page encoded as UTF-16LE with a byte order mark, where each
// ASCII byte is followed by a zero byte.
var utf16Page = func() string {
	units := utf16.Encode([]rune(page))
	b := []byte{0xff, 0xfe}
	for _, unit := range units {
		b = binary.LittleEndian.AppendUint16(b, unit)
	}
	return string(b)
}()

// serveParts returns a handler that sends parts with header, flushing
// after each part and then waiting for release before the next, the way a
// server-rendering framework or an event stream sends its output. It stops
// early when the client goes away.
func serveParts(header http.Header, parts []string, release <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		maps.Copy(w.Header(), header)

		for i, part := range parts {
			io.WriteString(w, part)
			if err := http.NewResponseController(w).Flush(); err != nil {
				return
			}
			if i == len(parts)-1 {
				return
			}

			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
	}
}

// serveWebSocket greets each websocket client, then echoes one message
// back with a prefix.
var serveWebSocket = websocket.Handler(func(ws *websocket.Conn) {
	if err := websocket.Message.Send(ws, "welcome"); err != nil {
		return
	}

	var message string
	if err := websocket.Message.Receive(ws, &message); err != nil {
		return
	}
	websocket.Message.Send(ws, "echo: "+message)
})

// largePageHead and largePageTail enclose the filler lines of a large page.
const (
	largePageHead = "<!DOCTYPE html>\n<html>\n<head>\n<title>Large</title>\n</head>\n<body>\n"
	largePageTail = "</body>\n</html>\n"
)

// largePage returns a reader over an HTML page of exactly size bytes that
// is generated as it is read, so neither the upstream nor the test holds
// it in memory. Two readers of the same size yield the same bytes.
func largePage(size int64) io.Reader {
	filler := size - int64(len(largePageHead)+len(largePageTail))
	return io.MultiReader(
		strings.NewReader(largePageHead),
		io.LimitReader(&repeatReader{block: fillerBlock}, filler),
		strings.NewReader(largePageTail),
	)
}

// fillerBlock is 64 KiB of paragraphs that repeatReader cycles through.
var fillerBlock = func() []byte {
	line := []byte("<p>The quick brown fox jumps over the lazy dog.</p>\n")
	block := bytes.Repeat(line, 64<<10/len(line)+1)
	return block[:64<<10]
}()

// repeatReader yields block over and over, without end.
type repeatReader struct {
	block  []byte
	offset int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		copied := copy(p[n:], r.block[r.offset:])
		n += copied
		r.offset = (r.offset + copied) % len(r.block)
	}
	return n, nil
}

func init() {
	caddy.RegisterModule(controllerHandler{})
	httpcaddyfile.RegisterHandlerDirective("conformance_controller", parseControllerHandler)
}

// controllerHandler is a handler inside Caddy, behind hubspot_identify,
// that sets a write deadline and flushes through http.ResponseController
// while it writes page as text/html, or plainText as text/plain when
// Plain is set. Such calls reach the connection only through the Unwrap
// method of each response writer that wraps it. When one fails, the error
// goes into the body, so the client sees the failure.
type controllerHandler struct {
	Plain bool `json:"plain,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (controllerHandler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.conformance_controller",
		New: func() caddy.Module { return new(controllerHandler) },
	}
}

func (h controllerHandler) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	body := page
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if h.Plain {
		body = plainText
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}

	controller := http.NewResponseController(w)
	if err := controller.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
		io.WriteString(w, "SetWriteDeadline failed: "+err.Error()+"\n")
	}

	half := len(body) / 2
	io.WriteString(w, body[:half])
	if err := controller.Flush(); err != nil {
		io.WriteString(w, "Flush failed: "+err.Error()+"\n")
	}
	io.WriteString(w, body[half:])
	return nil
}

// parseControllerHandler sets up the handler from
//
//	conformance_controller [plain]
func parseControllerHandler(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	h.Next() // the directive name
	var handler controllerHandler
	if h.NextArg() {
		if h.Val() != "plain" {
			return nil, h.Errf("invalid argument %q: use plain or no argument", h.Val())
		}
		handler.Plain = true
	}
	if h.NextArg() {
		return nil, h.ArgErr()
	}
	return handler, nil
}
