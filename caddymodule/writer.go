package caddymodule

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/hubspot"
	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/inject"
	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/tokens"
)

// responseWriter decides at WriteHeader whether a visitor's response is an
// HTML page to inject into. If it is, the body goes through an injector, and
// the status and headers wait until the injector commits them. Otherwise
// every call passes straight to the wrapped writer.
type responseWriter struct {
	*caddyhttp.ResponseWriterWrapper

	handler *Handler
	request *http.Request
	visitor hubspot.Visitor

	// lookup is the visitor's token, started at request time for document
	// requests or at WriteHeader for other HTML responses.
	lookup        tokens.Future
	lookupStarted bool

	wroteHeader bool
	status      int

	// injector is set when the response is being injected into.
	injector      *inject.Writer
	snippetCalled bool
	snippetLength int

	// contentLength is the upstream's Content-Length, or -1 if unknown.
	contentLength int64
}

// WriteHeader records the status and decides how the body is handled.
// Informational statuses pass through at once.
func (rw *responseWriter) WriteHeader(status int) {
	if rw.wroteHeader {
		return
	}
	if status >= 100 && status < 200 && status != http.StatusSwitchingProtocols {
		rw.ResponseWriter.WriteHeader(status)
		return
	}
	rw.wroteHeader = true
	rw.status = status

	header := rw.Header()
	if !isInjectable(status, header) {
		if status == http.StatusOK && isHTML(header.Get("Content-Type")) && hasContentEncoding(header) {
			rw.handler.metrics.injections.WithLabelValues(resultContentEncoded).Inc()
		}
		rw.ResponseWriter.WriteHeader(status)
		return
	}

	if !rw.lookupStarted {
		rw.lookup = rw.handler.lookup(rw.visitor)
		rw.lookupStarted = true
	}
	rw.contentLength = -1
	if length, err := strconv.ParseInt(header.Get("Content-Length"), 10, 64); err == nil && length >= 0 {
		rw.contentLength = length
	}
	rw.injector = inject.NewWriter(rw.ResponseWriter, inject.DefaultWindow, rw.snippet, rw.commit)
}

// Write sends p through the injector, or straight on.
func (rw *responseWriter) Write(p []byte) (int, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.injector != nil {
		return rw.injector.Write(p)
	}
	return rw.ResponseWriter.Write(p)
}

// ReadFrom keeps sendfile for responses that pass through. An injected body
// is copied through the injector instead.
func (rw *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.injector != nil {
		return io.Copy(writerOnly{rw}, r)
	}
	return rw.ResponseWriterWrapper.ReadFrom(r)
}

// FlushError flushes the wrapped writer. An injector still looking for the
// injection point first sends what precedes it, so a streaming page keeps
// its timing.
func (rw *responseWriter) FlushError() error {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.injector != nil {
		if err := rw.injector.Flush(); err != nil {
			return err
		}
	}
	return http.NewResponseController(rw.ResponseWriter).Flush()
}

// Flush is FlushError for handlers that use http.Flusher.
func (rw *responseWriter) Flush() {
	_ = rw.FlushError()
}

// snippet is called by the injector at the injection point.
func (rw *responseWriter) snippet() []byte {
	rw.snippetCalled = true
	snippet := rw.handler.snippet(rw.request.Context(), rw.lookup, rw.visitor)
	rw.snippetLength = len(snippet)
	return snippet
}

// commit is called by the injector before the first body byte goes out,
// and writes the status and headers.
func (rw *responseWriter) commit(decision inject.Decision) {
	header := rw.Header()
	switch decision {
	case inject.Injected:
		makePrivate(header)

		// A known length stays known, so the client needs no chunked
		// encoding and encode can apply its minimum length.
		if rw.contentLength >= 0 {
			header.Set("Content-Length", strconv.FormatInt(rw.contentLength+int64(rw.snippetLength), 10))
		}

	case inject.Pending:
		// The upstream flushed before the injection point, so the headers
		// go out before it is known whether the snippet follows.
		makePrivate(header)
	}
	rw.ResponseWriter.WriteHeader(rw.status)
}

// close ends an injected body, sending what the injector still holds, and
// counts what was done with the page.
func (rw *responseWriter) close() error {
	if rw.injector == nil {
		return nil
	}
	err := rw.injector.Close()

	result := resultNoInjectionPoint
	switch {
	case rw.injector.Injected():
		result = resultInjected
	case rw.snippetCalled:
		result = resultNoToken
	}
	rw.handler.metrics.injections.WithLabelValues(result).Inc()
	return err
}

// writerOnly hides ReadFrom so io.Copy does not call back into it.
type writerOnly struct {
	io.Writer
}

// isInjectable reports whether a response can carry the snippet: a 200
// HTML page in an ASCII-compatible charset that is not content-encoded.
func isInjectable(status int, header http.Header) bool {
	if status != http.StatusOK || hasContentEncoding(header) {
		return false
	}
	contentType := header.Get("Content-Type")
	return isHTML(contentType) && asciiCompatible(contentType)
}

// isHTML reports whether a Content-Type is text/html, with any parameters.
func isHTML(contentType string) bool {
	mediaType, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mediaType), "text/html")
}

// asciiCompatible reports whether the charset parameter, if any, encodes
// ASCII as itself, which the scanner and the ASCII-only snippet rely on.
func asciiCompatible(contentType string) bool {
	_, params, _ := strings.Cut(contentType, ";")
	for param := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(param), "=")
		if !strings.EqualFold(name, "charset") {
			continue
		}
		value = strings.ToLower(strings.Trim(strings.TrimSpace(value), `"`))
		return !strings.HasPrefix(value, "utf-16") && !strings.HasPrefix(value, "utf-32") &&
			!strings.HasPrefix(value, "ucs-") && !strings.HasPrefix(value, "utf-7")
	}
	return true
}

func hasContentEncoding(header http.Header) bool {
	for _, value := range header.Values("Content-Encoding") {
		for coding := range strings.SplitSeq(value, ",") {
			coding = strings.TrimSpace(coding)
			if coding != "" && !strings.EqualFold(coding, "identity") {
				return true
			}
		}
	}
	return false
}

// makePrivate changes the headers of a page that now carries one visitor's
// token: its length changed, validators would match other visitors' copies,
// and no shared cache may store it. The caller sets the new length.
func makePrivate(header http.Header) {
	header.Del("Content-Length")
	header.Del("ETag")
	header.Del("Last-Modified")

	// Cache-Control for CDNs (RFC 9213) and Surrogate-Control would let an
	// edge cache the page regardless of Cache-Control.
	header.Del("CDN-Cache-Control")
	header.Del("Surrogate-Control")

	header.Set("Cache-Control", privateCacheControl(header.Values("Cache-Control")))
}

// privateCacheControl returns the Cache-Control directives of values with
// the ones that allow shared caching removed and a bare "private" added.
// A qualified private="field" is replaced, because it leaves the rest of
// the response cacheable by shared caches.
func privateCacheControl(values []string) string {
	var kept []string
	for _, value := range values {
		for directive := range strings.SplitSeq(value, ",") {
			directive = strings.TrimSpace(directive)
			name, _, _ := strings.Cut(directive, "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "", "public", "private", "s-maxage", "proxy-revalidate":
				continue
			}
			kept = append(kept, directive)
		}
	}
	return strings.Join(append(kept, "private"), ", ")
}
