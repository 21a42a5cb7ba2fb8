package caddymodule

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/csp"
	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/hubspot"
	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/inject"
	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/tokens"
)

// responseWriter decides at WriteHeader whether a visitor's response is an
// HTML page to inject into. If it is, the body goes through an injector
// (after a decoder if the upstream compressed it), and the status and
// headers wait until the injector commits them. Otherwise every call passes
// straight to the wrapped writer.
type responseWriter struct {
	*caddyhttp.ResponseWriterWrapper

	handler *Handler
	request *http.Request
	visitor hubspot.Visitor

	// reset is set for a page without a visitor that gets the widget
	// reset instead of identification. marked is set when the request
	// carries the marker cookie of an identified browser.
	reset  bool
	marked bool

	// fromResponse is set when the visitor comes from the response's
	// headers; stripOnly when the response only loses those headers.
	fromResponse bool
	stripOnly    bool

	// loaderOnly is set for a page that gets HubSpot's loader and nothing
	// else; bodyEnd adds the loader once document is known.
	loaderOnly bool
	bodyEnd    *inject.BodyEndWriter
	document   bool

	// lookup is the visitor's token, started at request time for document
	// requests or at WriteHeader for other HTML responses.
	lookup        tokens.Future
	lookupStarted bool

	wroteHeader bool
	status      int

	// injector is set when the response is being injected into.
	injector      *inject.Writer
	committed     bool
	snippetCalled bool
	snippetLength int

	// amendedPolicies replaces the Content-Security-Policy values when the
	// script is allowed by its hash.
	amendedPolicies []string

	// contentLength is the upstream's Content-Length, or -1 if unknown or
	// the body is decoded.
	contentLength int64

	// encoded is set when the upstream compressed the page.
	encoded *encodedBody
}

// WriteHeader records the status and decides how the body is handled.
// Informational statuses pass through at once.
func (rw *responseWriter) WriteHeader(status int) {
	if rw.wroteHeader {
		return
	}
	header := rw.Header()
	if status >= 100 && status < 200 && status != http.StatusSwitchingProtocols {
		if from := rw.handler.IdentityFromResponse; from != nil {
			from.take(header)
		}
		rw.ResponseWriter.WriteHeader(status)
		return
	}
	rw.wroteHeader = true
	rw.status = status

	// The identity headers never reach the browser, with or without a visitor.
	if from := rw.handler.IdentityFromResponse; from != nil {
		if rw.fromResponse {
			rw.identifyFromResponse(header)
		} else {
			from.take(header)
		}
	}
	if rw.stripOnly {
		rw.ResponseWriter.WriteHeader(status)
		return
	}

	injectable := isInjectable(status, header)
	coding, decodable := contentCoding(header)
	if !injectable || !decodable {
		if injectable {
			rw.handler.metrics.injections.WithLabelValues(resultContentEncoded).Inc()
		}
		rw.ResponseWriter.WriteHeader(status)
		return
	}

	if !rw.lookupStarted && !rw.reset && !rw.loaderOnly {
		rw.lookup = rw.handler.lookup(rw.visitor)
		rw.lookupStarted = true
	}

	rw.contentLength = -1
	if length, err := strconv.ParseInt(header.Get("Content-Length"), 10, 64); err == nil && length >= 0 && coding == "" {
		rw.contentLength = length
	}
	rw.bodyEnd = rw.newBodyEnd(header)
	rw.injector = inject.NewWriter(bodyWriter{rw}, inject.DefaultWindow, rw.snippet, rw.commit)

	if coding != "" {
		encoded, err := newEncodedBody(coding, rw.injector)
		if err != nil {
			// contentCoding accepted the coding, so this is a bug; the
			// page still goes out unchanged.
			rw.injector = nil
			rw.ResponseWriter.WriteHeader(status)
			return
		}
		rw.encoded = encoded
	}
}

// Write sends p through the decoder and injector, or straight on.
func (rw *responseWriter) Write(p []byte) (int, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	switch {
	case rw.encoded != nil:
		return rw.writeEncoded(p)
	case rw.injector != nil:
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
		buf := copyBuffers.Get().(*[]byte)
		defer copyBuffers.Put(buf)
		return io.CopyBuffer(writerOnly{rw}, r, *buf)
	}
	return rw.ResponseWriterWrapper.ReadFrom(r)
}

// copyBuffers recycles the buffers that copy an injected body from a
// ReadFrom caller, such as file_server, through the injector.
var copyBuffers = sync.Pool{
	New: func() any {
		buf := make([]byte, 32<<10)
		return &buf
	},
}

// FlushError flushes the wrapped writer. An injector still looking for the
// injection point first sends what precedes it, so a streaming page keeps
// its timing.
func (rw *responseWriter) FlushError() error {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.injector != nil && (rw.encoded == nil || !rw.encoded.fallback) {
		if err := rw.injector.Flush(); err != nil {
			return err
		}
		if rw.bodyEnd != nil && rw.document {
			if err := rw.bodyEnd.Flush(); err != nil {
				return err
			}
		}
		if !rw.committed {
			// Nothing can go out yet, and flushing now would send the
			// headers before the injector has decided on them.
			return nil
		}
	}
	return http.NewResponseController(rw.ResponseWriter).Flush()
}

// Flush is FlushError for handlers that use http.Flusher.
func (rw *responseWriter) Flush() {
	_ = rw.FlushError()
}

// serve calls the next handler with rw and finishes the response.
func (rw *responseWriter) serve(next caddyhttp.Handler) error {
	defer rw.release()

	err := next.ServeHTTP(rw, rw.request)
	if err != nil && !rw.wroteHeader {
		// Nothing reached the client, so Caddy's error handling can still
		// write an error page.
		return err
	}
	if closeErr := rw.close(); err == nil {
		err = closeErr
	}
	return err
}

// snippet is called by the injector at the injection point. It returns the
// script to insert, or nil to leave the page unchanged.
func (rw *responseWriter) snippet() []byte {
	// The scanner found the head, so this is a document.
	rw.document = true
	if rw.loaderOnly {
		return nil
	}
	rw.snippetCalled = true

	var script []byte
	if rw.reset {
		script = rw.scriptUnderPolicy(inject.ResetScript, inject.ResetScriptHash)
	} else {
		token, ok := rw.handler.waitForToken(rw.request.Context(), rw.lookup)
		if !ok {
			return nil
		}
		email := rw.visitor.Email
		script = rw.scriptUnderPolicy(
			func(nonce string) []byte { return inject.Script(email, token, nonce) },
			func() string { return inject.ScriptHash(email, token) })
	}

	rw.snippetLength = len(script)
	return script
}

// scriptUnderPolicy renders the script so the page's Content-Security-Policy
// lets it run: with the policy's nonce, or with its hash added to the
// policy when the headers can still change. It returns nil when neither
// works, because a script the policy blocks only adds console errors.
func (rw *responseWriter) scriptUnderPolicy(render func(nonce string) []byte, hash func() string) []byte {
	policies := rw.Header().Values("Content-Security-Policy")
	if len(policies) == 0 {
		return render("")
	}

	decision := csp.Check(policies)
	switch {
	case decision.Blocked:
		rw.handler.metrics.injections.WithLabelValues(resultBlockedByPolicy).Inc()
		rw.handler.warnings.Warn("page's Content-Security-Policy allows no scripts; page served without identification")
		return nil

	case decision.NeedsHash && rw.committed:
		rw.handler.metrics.injections.WithLabelValues(resultBlockedByPolicy).Inc()
		rw.handler.warnings.Warn("page's Content-Security-Policy needs the script's hash, but the upstream flushed the headers before the injection point; page served without identification")
		return nil

	case decision.NeedsHash:
		rw.amendedPolicies = csp.AddHash(policies, hash(), decision.Nonce)
	}
	return render(decision.Nonce)
}

// commit is called by the injector before the first body byte goes out,
// and writes the status and headers.
func (rw *responseWriter) commit(decision inject.Decision) {
	rw.committed = true
	header := rw.Header()

	if rw.encoded != nil {
		// The body goes out decoded, a different representation, whose
		// length is not known in advance.
		header.Del("Content-Encoding")
		header.Del("Content-Length")
		header.Del("ETag")
		rw.encoded.raw = nil
	}

	switch decision {
	case inject.Injected:
		makePrivate(header)
		if rw.amendedPolicies != nil {
			header["Content-Security-Policy"] = rw.amendedPolicies
		}
		switch {
		case rw.reset:
			header.Add("Set-Cookie", markerCookie(rw.request, false).String())
		case !rw.marked && rw.handler.resetOnSignout():
			header.Add("Set-Cookie", markerCookie(rw.request, true).String())
		}

		// A known length stays known, so the client needs no chunked
		// encoding and encode can apply its minimum length.
		if rw.contentLength >= 0 && rw.bodyEnd == nil {
			header.Set("Content-Length", strconv.FormatInt(rw.contentLength+int64(rw.snippetLength), 10))
		}

	case inject.Pending:
		// The upstream flushed before the injection point, so the headers
		// go out before it is known whether the snippet follows.
		if !rw.loaderOnly {
			makePrivate(header)
		}
	}

	if rw.bodyEnd != nil && (rw.document || decision == inject.Pending) {
		// The loader may follow, the same for every visitor: the length
		// changes, and the validator becomes weak.
		header.Del("Content-Length")
		if etag := header.Get("ETag"); etag != "" && !strings.HasPrefix(etag, "W/") {
			header.Set("ETag", "W/"+etag)
		}
	}
	rw.ResponseWriter.WriteHeader(rw.status)
}

// close ends an injected body, sending what the decoder and injector still
// hold, and counts what was done with the page.
func (rw *responseWriter) close() error {
	if rw.injector == nil {
		return nil
	}
	if rw.encoded != nil {
		if done, err := rw.closeEncoded(); done {
			return err
		}
	}
	err := rw.injector.Close()
	if err == nil && rw.bodyEnd != nil && rw.document {
		err = rw.bodyEnd.Close()
	}
	if rw.loaderOnly {
		return err
	}

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

// release stops a decoder that close did not end, as when the next handler
// panicked to abort the response.
func (rw *responseWriter) release() {
	if rw.encoded != nil {
		rw.encoded.decoder.Abort()
	}
}

// writerOnly hides ReadFrom so io.Copy does not call back into it.
type writerOnly struct {
	io.Writer
}
