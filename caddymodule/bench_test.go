package caddymodule

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

// benchAccessToken is the only access token the benchmarks' emulator accepts.
const benchAccessToken = "pat-na1-0b5e7c1a-9d42-4e6f-a8b3-71c2d9e0f4a6"

// benchChunk is the size of each write by the proxy-style upstream: the
// copy buffer of Caddy's reverse_proxy, 32 KiB.
const benchChunk = 32 << 10

// benchPages are the page sizes of BenchmarkServeHTTP, in bytes.
var benchPages = []struct {
	name string
	size int64
}{
	{"30KB", 30 << 10},
	{"300KB", 300 << 10},
	{"100MB", 100 << 20},
}

// BenchmarkServeHTTP measures the handler in front of an upstream that
// writes an HTML page, for three kinds of request:
//
//   - plain: the upstream alone, without the handler, as a baseline;
//   - anonymous: the handler with no visitor, so the page passes through;
//   - visitor: a signed-in visitor whose token is cached, so the page gets
//     the snippet.
//
// The proxy upstream writes the page in 32 KiB writes, as reverse_proxy
// does. The file upstream copies it with io.CopyN, as file_server's
// http.ServeContent does, which calls the response's ReadFrom.
func BenchmarkServeHTTP(b *testing.B) {
	h := newBenchmarkHandler(b)
	const email = "ada.lovelace@example.com"

	for _, page := range benchPages {
		for _, upstream := range []struct {
			name  string
			serve func(*benchPage) caddyhttp.Handler
		}{
			{"proxy", (*benchPage).proxy},
			{"file", (*benchPage).file},
		} {
			next := upstream.serve(newBenchPage(page.size))
			name := upstream.name + "/" + page.name

			b.Run(name+"/plain", func(b *testing.B) {
				w := newDiscardWriter()
				r := newBenchRequest(email)
				benchmarkHandler(b, page.size, w, func() error { return next.ServeHTTP(w, r) })
				checkResponse(b, w, page.size, false)
			})

			b.Run(name+"/anonymous", func(b *testing.B) {
				w := newDiscardWriter()
				r := newBenchRequest("")
				benchmarkHandler(b, page.size, w, func() error { return h.ServeHTTP(w, r, next) })
				checkResponse(b, w, page.size, false)
			})

			b.Run(name+"/visitor", func(b *testing.B) {
				w := newDiscardWriter()
				r := newBenchRequest(email)
				benchmarkHandler(b, page.size, w, func() error { return h.ServeHTTP(w, r, next) })
				checkResponse(b, w, page.size, true)
			})
		}
	}
}

// benchmarkHandler runs serve once per iteration, resetting w in between.
func benchmarkHandler(b *testing.B, size int64, w *discardWriter, serve func() error) {
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		w.reset()
		if err := serve(); err != nil {
			b.Fatal(err)
		}
	}
}

// checkResponse fails b unless the last response was a 200 of the page,
// with the snippet if injected is true and unchanged otherwise.
func checkResponse(b *testing.B, w *discardWriter, size int64, injected bool) {
	b.Helper()

	if w.status != http.StatusOK {
		b.Fatalf("status %d, want %d", w.status, http.StatusOK)
	}
	gotPrivate := w.header.Get("Cache-Control") == "private"
	if injected != gotPrivate || injected != (w.written > size) {
		b.Fatalf("page of %d bytes: wrote %d bytes with Cache-Control %q, want injected = %t",
			size, w.written, w.header.Get("Cache-Control"), injected)
	}
	if !injected && w.written != size {
		b.Fatalf("wrote %d bytes, want the page's %d", w.written, size)
	}
}

// newBenchmarkHandler returns a provisioned handler whose token endpoint is
// an emulator on loopback, with the token of the benchmarks' visitor
// already cached.
func newBenchmarkHandler(b *testing.B) *Handler {
	b.Helper()

	emulator := hubspotemu.New(hubspotemu.Options{AccessToken: benchAccessToken})
	server := httptest.NewServer(emulator)
	b.Cleanup(server.Close)

	h := &Handler{
		AccessToken: benchAccessToken,
		Email:       "{http.request.header.X-Auth-Request-Email}",
		Endpoint:    server.URL + hubspotemu.PathTokensCreate,
	}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	b.Cleanup(cancel)
	if err := h.Provision(ctx); err != nil {
		b.Fatalf("Provision() error = %v", err)
	}
	b.Cleanup(func() { h.Cleanup() })

	// The first page waits for the emulator and caches the token.
	w := newDiscardWriter()
	next := newBenchPage(4 << 10).proxy()
	if err := h.ServeHTTP(w, newBenchRequest("ada.lovelace@example.com"), next); err != nil {
		b.Fatalf("ServeHTTP() error = %v", err)
	}
	checkResponse(b, w, 4<<10, true)
	return h
}

// newBenchRequest returns a browser's GET of a page, with the replacer that
// Caddy's server puts in the context. An empty email means a request without
// a visitor.
func newBenchRequest(email string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://example.com/page.html", nil)
	r.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	if email != "" {
		r.Header.Set("X-Auth-Request-Email", email)
	}
	caddyhttp.NewTestReplacer(r)
	return r
}

// benchPage is an HTML page of size bytes: a first block that has the head,
// then a block of paragraphs repeated. It holds 64 KiB, whatever its size.
type benchPage struct {
	size   int64
	first  []byte
	filler []byte
	length string // Content-Length value
}

func newBenchPage(size int64) *benchPage {
	head := "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<!-- generated -->\n" +
		"<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n" +
		"<title>Benchmark page</title>\n<link rel=\"stylesheet\" href=\"/site.css\">\n</head>\n<body>\n"
	paragraph := "<p>Lorem ipsum dolor sit amet, <a href=\"/x\">consectetur</a> adipiscing elit.</p>\n"
	paragraphs := strings.Repeat(paragraph, benchChunk/len(paragraph)+1)

	return &benchPage{
		size:   size,
		first:  []byte((head + paragraphs)[:benchChunk]),
		filler: []byte(paragraphs[:benchChunk]),
		length: strconv.FormatInt(size, 10),
	}
}

// reader returns a reader of the page. Like an *io.LimitedReader around a
// file, it has no WriteTo method, so io.Copy uses the writer's ReadFrom.
func (p *benchPage) reader() io.Reader {
	return &benchPageReader{page: p}
}

// proxy returns an upstream that writes the page in benchChunk writes from
// one buffer, as reverse_proxy copies a response from its pooled buffer.
func (p *benchPage) proxy() caddyhttp.Handler {
	buf := make([]byte, benchChunk)
	return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		p.setHeaders(w.Header())
		w.WriteHeader(http.StatusOK)

		page := p.reader()
		for {
			n, err := page.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return werr
				}
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	})
}

// file returns an upstream that sends the page with io.CopyN, as
// http.ServeContent does for file_server.
func (p *benchPage) file() caddyhttp.Handler {
	return caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		p.setHeaders(w.Header())
		w.WriteHeader(http.StatusOK)
		_, err := io.CopyN(w, p.reader(), p.size)
		return err
	})
}

func (p *benchPage) setHeaders(header http.Header) {
	header["Content-Type"] = []string{"text/html; charset=utf-8"}
	header["Content-Length"] = []string{p.length}
}

// benchPageReader reads a benchPage from the start.
type benchPageReader struct {
	page   *benchPage
	offset int64
}

func (r *benchPageReader) Read(p []byte) (int, error) {
	remaining := r.page.size - r.offset
	if remaining <= 0 {
		return 0, io.EOF
	}

	block := r.page.filler
	if r.offset < int64(len(r.page.first)) {
		block = r.page.first
	}
	start := int(r.offset % int64(len(block)))
	n := copy(p, block[start:min(int64(len(block)), int64(start)+remaining)])
	r.offset += int64(n)
	return n, nil
}

// discardWriter is a response writer that counts and drops the body. Like
// net/http's response, it has a ReadFrom that copies through one reused
// buffer, so the baseline of the file upstream does not allocate one.
type discardWriter struct {
	header  http.Header
	status  int
	written int64
	buf     []byte
}

func newDiscardWriter() *discardWriter {
	return &discardWriter{header: make(http.Header), buf: make([]byte, benchChunk)}
}

func (w *discardWriter) reset() {
	clear(w.header)
	w.status = 0
	w.written = 0
}

func (w *discardWriter) Header() http.Header {
	return w.header
}

func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.written += int64(len(p))
	return len(p), nil
}

func (w *discardWriter) ReadFrom(r io.Reader) (int64, error) {
	return io.CopyBuffer(struct{ io.Writer }{w}, r, w.buf)
}
