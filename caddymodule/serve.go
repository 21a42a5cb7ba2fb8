package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/hubspot"
	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/inject"
	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/tokens"
	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/visitor"
)

// ServeHTTP identifies the visitor and, for a visitor's HTML page, wraps
// the response writer so the snippet is injected as the page streams.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	// Only a 200 to a browser's GET for a page or frame is ever injected,
	// so nothing else needs the visitor resolved.
	page := r.Method == http.MethodGet && !isUpgrade(r) && acceptsDocument(r)
	if !page {
		if h.IdentityFromResponse != nil {
			return h.serveFromResponse(w, r, next, false, false)
		}
		return next.ServeHTTP(w, r)
	}

	repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	email, ok := "", false
	if h.Email != "" {
		email, ok = visitor.Email(h.resolve(repl, h.Email, h.emailKey))
	}
	marked := hasMarker(r)
	if !ok {
		switch {
		case h.IdentityFromResponse != nil:
			return h.serveFromResponse(w, r, next, true, marked)
		case marked && h.resetOnSignout():
			return h.serveReset(w, r, next)
		case h.PortalID != "":
			return h.serveLoader(w, r, next)
		}
		return next.ServeHTTP(w, r)
	}
	v := hubspot.Visitor{Email: email}
	if h.FirstName != "" {
		v.FirstName = visitor.Name(h.resolve(repl, h.FirstName, ""))
	}
	if h.LastName != "" {
		v.LastName = visitor.Name(h.resolve(repl, h.LastName, ""))
	}

	rw := &responseWriter{
		ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w},
		handler:               h,
		request:               r,
		visitor:               v,
		marked:                marked,
	}

	// For a document request, start the lookup now so HubSpot's latency
	// overlaps the upstream's, and ask the upstream for a full, plain page
	// that can be injected. encode, which runs before this handler, has
	// already read Accept-Encoding and still compresses for the client.
	if isDocumentRequest(r) {
		rw.lookup = h.lookup(v)
		rw.lookupStarted = true
		for _, name := range []string{"If-None-Match", "If-Modified-Since", "If-Range", "Range", "Accept-Encoding"} {
			r.Header.Del(name)
		}
	}

	return rw.serve(next)
}

// serveReset serves the page of a browser that was identified and now has
// no visitor, with the widget reset injected, so the next person on that
// browser does not see the previous visitor's conversations.
func (h *Handler) serveReset(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	rw := &responseWriter{
		ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w},
		handler:               h,
		request:               r,
		reset:                 true,
		marked:                true,
	}
	return rw.serve(next)
}

// resolve evaluates a configured value for this request. A value that is
// one placeholder, the usual case, is looked up directly by key, which
// spares every anonymous request the parsing and allocation of a replace.
func (h *Handler) resolve(repl *caddy.Replacer, value, key string) string {
	if key != "" {
		if v, ok := repl.Get(key); ok {
			if s, ok := v.(string); ok {
				return s
			}
		}
	}
	return repl.ReplaceKnown(value, "")
}

// placeholderKey returns the key of value if it is exactly one placeholder,
// such as "http.auth.user.id" for "{http.auth.user.id}", or "".
func placeholderKey(value string) string {
	if len(value) < 3 || value[0] != '{' || value[len(value)-1] != '}' {
		return ""
	}
	key := value[1 : len(value)-1]
	if strings.ContainsAny(key, "{}\\") {
		return ""
	}
	return key
}

// lookup starts or joins the token lookup for v.
func (h *Handler) lookup(v hubspot.Visitor) tokens.Future {
	return h.tokens.Get(visitor.Key(v.Email), func(ctx context.Context) (string, error) {
		return h.createToken(ctx, v)
	})
}

// createToken calls HubSpot, recording the call's duration. An access token
// that HubSpot refuses is logged at error level; the token source then
// pauses calls for minutes, so this happens rarely.
func (h *Handler) createToken(ctx context.Context, v hubspot.Visitor) (string, error) {
	start := time.Now()
	token, err := h.client.CreateToken(ctx, v)
	h.metrics.callSeconds.WithLabelValues(statusClass(err)).Observe(time.Since(start).Seconds())

	var apiErr *hubspot.APIError
	if errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden) {
		h.logger.Error("hubspot rejected the access token; identification is paused",
			zap.Int("status", apiErr.StatusCode),
			zap.String("category", apiErr.Category),
			zap.String("correlation_id", apiErr.CorrelationID),
			zap.String("fix", apiErr.Hint()),
			zap.Duration("paused_for", tokens.DefaultAuthBackoff))
	}
	return token, err
}

// statusClass names the outcome of a HubSpot call for metrics.
func statusClass(err error) string {
	var apiErr *hubspot.APIError
	switch {
	case err == nil:
		return "2xx"
	case errors.As(err, &apiErr):
		return fmt.Sprintf("%dxx", apiErr.StatusCode/100)
	}
	return "error"
}

// waitForToken waits at most Timeout for the visitor's token. It returns
// false, after logging why, when the page must go out without one.
func (h *Handler) waitForToken(ctx context.Context, future tokens.Future) (string, bool) {
	var token string
	var err error
	if future.Ready() {
		// A cached token needs no timer.
		token, err = future.Wait(ctx)
		h.metrics.waitSeconds.Observe(0)
	} else {
		token, err = h.waitForFetch(ctx, future)
	}
	if err != nil {
		h.logLookupError(err)
		return "", false
	}

	if !inject.ValidToken(token) {
		h.metrics.lookups.WithLabelValues(lookupImplausibleToken).Inc()
		h.warnings.Warn("hubspot returned a token that is not plausible; page served without identification",
			zap.Int("token_length", len(token)))
		return "", false
	}
	return token, true
}

// waitForFetch waits at most Timeout for a token being fetched.
func (h *Handler) waitForFetch(ctx context.Context, future tokens.Future) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(h.Timeout))
	defer cancel()

	start := time.Now()
	token, err := future.Wait(ctx)
	h.metrics.waitSeconds.Observe(time.Since(start).Seconds())
	return token, err
}

// logLookupError logs why a page goes out without identification. The
// message never contains the visitor's email or the access token.
func (h *Handler) logLookupError(err error) {
	if errors.Is(err, context.DeadlineExceeded) {
		h.metrics.lookups.WithLabelValues(lookupTimeout).Inc()
		h.warnings.Warn("timed out waiting for a hubspot token; page served without identification",
			zap.Duration("timeout", time.Duration(h.Timeout)))
		return
	}
	if errors.Is(err, context.Canceled) {
		// The client went away; there is no page to serve.
		if c := h.logger.Check(zapcore.DebugLevel, "token lookup abandoned by client"); c != nil {
			c.Write()
		}
		return
	}
	if errors.Is(err, tokens.ErrRateLimited) || errors.Is(err, tokens.ErrPaused) ||
		errors.Is(err, tokens.ErrCircuitOpen) || errors.Is(err, tokens.ErrRejected) {
		// The token source held the call back on purpose, and the failure
		// that caused it was logged; metrics count each of these.
		if c := h.logger.Check(zapcore.DebugLevel, "page served without identification"); c != nil {
			c.Write(zap.Error(err))
		}
		return
	}

	fields := []zap.Field{zap.Error(err)}
	var apiErr *hubspot.APIError
	if errors.As(err, &apiErr) {
		fields = append(fields,
			zap.Int("status", apiErr.StatusCode),
			zap.String("category", apiErr.Category),
			zap.String("correlation_id", apiErr.CorrelationID))
		if hint := apiErr.Hint(); hint != "" {
			fields = append(fields, zap.String("fix", hint))
		}
	}
	h.warnings.Warn("hubspot token lookup failed; page served without identification", fields...)
}

// isUpgrade reports whether r requests a protocol switch, as websockets do.
// Its response is never a page.
func isUpgrade(r *http.Request) bool {
	return r.Header.Get("Upgrade") != ""
}

// isDocumentRequest reports whether r is a browser loading a page, as
// opposed to a fetch, an image or a script: Sec-Fetch-Dest is absent or
// "document", and Accept admits text/html.
func isDocumentRequest(r *http.Request) bool {
	if dest := r.Header.Get("Sec-Fetch-Dest"); dest != "" && dest != "document" {
		return false
	}
	return acceptsHTML(r.Header.Values("Accept"))
}

// acceptsDocument reports whether r may receive an HTML document that a
// browser renders, in a window or a frame. Fetches and XMLHttpRequests
// (Sec-Fetch-Dest "empty"), which often load HTML fragments, and requests
// whose Accept excludes text/html are never injected.
func acceptsDocument(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Dest") {
	case "", "document", "iframe", "frame":
		return acceptsHTML(r.Header.Values("Accept"))
	}
	return false
}

// acceptsHTML reports whether the Accept header values admit text/html
// with a non-zero quality. No Accept header admits everything.
func acceptsHTML(values []string) bool {
	if len(values) == 0 {
		return true
	}
	for _, value := range values {
		for mediaRange := range strings.SplitSeq(value, ",") {
			mediaType, params, _ := strings.Cut(mediaRange, ";")
			mediaType = strings.ToLower(strings.TrimSpace(mediaType))
			if mediaType != "text/html" && mediaType != "text/*" && mediaType != "*/*" {
				continue
			}
			if !zeroQuality(params) {
				return true
			}
		}
	}
	return false
}

// zeroQuality reports whether media range parameters set q=0.
func zeroQuality(params string) bool {
	for param := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(param), "=")
		if strings.EqualFold(name, "q") {
			value = strings.TrimRight(strings.TrimSpace(value), "0")
			return value == "" || value == "0." || value == "0"
		}
	}
	return false
}
