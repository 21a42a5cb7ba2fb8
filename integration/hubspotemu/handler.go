package hubspotemu

import (
	"context"
	"crypto/subtle"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes limits a token-create request body. A valid body is far smaller.
const maxBodyBytes = 64 << 10

// ServeHTTP responds to one request. After the latency wait it checks, in
// order, the path and method, the fault mode, the access token, the rate
// limits, the forbidden mode and then the request body. A request rejected by authentication or a rate limit
// does not use up the rate limits.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	isTokenPath := tokenCreatePaths[r.URL.Path]
	isCall := isTokenPath && r.Method == http.MethodPost

	// The body is read before the latency wait, so that a call counts even when
	// the client gives up while waiting.
	var body []byte
	var readErr error
	if isCall {
		body, readErr = io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		e.recordCall(body)
	}

	latency, fault := e.settings()
	if !wait(r.Context(), latency) {
		return
	}

	// NOTE: the categories of the 404 and 405 responses are guesses, because
	// HubSpot does not document them.
	switch {
	case !isTokenPath:
		writeError(w, http.StatusNotFound, errorBody{
			Category: "OBJECT_NOT_FOUND",
			Message:  "no API operation found at " + r.URL.Path,
		})
	case !isCall:
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, errorBody{
			Category: "VALIDATION_ERROR",
			Message:  "method " + r.Method + " is not allowed on " + r.URL.Path + ", use POST",
		})
	case fault != FaultNone:
		writeFault(w, fault)
	default:
		e.createToken(w, r, body, readErr)
	}
}

// createToken handles a POST on a token-create path. The body was read earlier.
func (e *Emulator) createToken(w http.ResponseWriter, r *http.Request, body []byte, readErr error) {
	if message := e.checkAuthorization(r.Header.Get("Authorization")); message != "" {
		writeError(w, http.StatusUnauthorized, errorBody{
			Category: "INVALID_AUTHENTICATION",
			Message:  message,
		})
		return
	}

	e.mu.Lock()
	decision := e.limiter.take(e.now())
	forbidden := e.forbidden
	e.mu.Unlock()

	decision.usage.setHeaders(w.Header())
	if decision.policy != "" {
		writeRateLimited(w, decision)
		return
	}

	if forbidden {
		writeError(w, http.StatusForbidden, errorBody{
			Category: "MISSING_SCOPES",
			Message: "the access token lacks a required scope, or the account has no " +
				"Professional or Enterprise subscription",
			Errors: []errorDetail{{
				Message: "one of the listed granular scopes is required",
				Context: map[string][]string{"requiredGranularScopes": {Scope}},
			}},
		})
		return
	}

	if message := checkContentType(r.Header.Get("Content-Type")); message != "" {
		// NOTE: HubSpot does not document its response to a non-JSON
		// Content-Type, so the 415 status is an assumption.
		writeError(w, http.StatusUnsupportedMediaType, errorBody{
			Category: "VALIDATION_ERROR",
			Message:  message,
		})
		return
	}
	if readErr != nil {
		writeError(w, http.StatusBadRequest, errorBody{
			Category: "VALIDATION_ERROR",
			Message:  "failed to read request body: " + readErr.Error(),
		})
		return
	}

	request, failure := parseTokenRequest(body)
	if failure != nil {
		writeError(w, http.StatusBadRequest, *failure)
		return
	}

	token, err := e.mintToken(request)
	if err != nil {
		writeError(w, http.StatusInternalServerError, errorBody{
			Category: "INTERNAL_ERROR",
			Message:  "failed to sign identification token: " + err.Error(),
		})
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{Token: token})
}

// checkAuthorization returns why the Authorization header value fails, or ""
// if it carries the emulator's access token as a bearer token.
func (e *Emulator) checkAuthorization(header string) string {
	scheme, token, _ := strings.Cut(header, " ")
	token = strings.TrimSpace(token)

	if header == "" {
		return "missing access token: send it as Authorization: Bearer <access token>"
	}
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "invalid Authorization header: the scheme must be Bearer followed by an access token"
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(e.accessToken)) != 1 {
		return "invalid access token: it is unknown, expired or revoked"
	}
	return ""
}

// checkContentType returns why a Content-Type header value is not JSON, or "".
func checkContentType(value string) string {
	mediaType, _, err := mime.ParseMediaType(value)
	if err != nil || mediaType != "application/json" {
		return "unsupported Content-Type " + strconv.Quote(value) + ", use application/json"
	}
	return ""
}

// wait blocks for d and reports whether it elapsed before ctx was done.
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}

	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
