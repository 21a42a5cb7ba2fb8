package caddymodule

import (
	"errors"
	"net/http"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/hubspot"
	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/tokens"
)

// classifyFailure returns how a failed HubSpot call affects the calls
// after it, for the token source.
func classifyFailure(err error) tokens.Failure {
	var apiErr *hubspot.APIError
	if !errors.As(err, &apiErr) {
		// Network errors, timeouts and malformed responses.
		return tokens.Failure{Kind: tokens.Transient}
	}

	switch {
	case apiErr.StatusCode == http.StatusTooManyRequests:
		return tokens.Failure{Kind: tokens.RateLimited, RetryAfter: apiErr.RetryAfter}
	case apiErr.StatusCode == http.StatusUnauthorized, apiErr.StatusCode == http.StatusForbidden:
		return tokens.Failure{Kind: tokens.Unauthorized}
	case apiErr.StatusCode == http.StatusBadRequest:
		return tokens.Failure{Kind: tokens.Rejected}
	}
	return tokens.Failure{Kind: tokens.Transient}
}
