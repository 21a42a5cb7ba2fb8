package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/hubspot"
	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/tokens"
)

func TestClassifyFailure(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want tokens.Failure
	}{
		{"rate limited", &hubspot.APIError{StatusCode: 429, RetryAfter: 7 * time.Second}, tokens.Failure{Kind: tokens.RateLimited, RetryAfter: 7 * time.Second}},
		{"unauthorized", &hubspot.APIError{StatusCode: 401}, tokens.Failure{Kind: tokens.Unauthorized}},
		{"missing scopes", &hubspot.APIError{StatusCode: 403, Category: "MISSING_SCOPES"}, tokens.Failure{Kind: tokens.Unauthorized}},
		{"invalid email", &hubspot.APIError{StatusCode: 400}, tokens.Failure{Kind: tokens.Rejected}},
		{"server error", &hubspot.APIError{StatusCode: 502}, tokens.Failure{Kind: tokens.Transient}},
		{"wrapped", fmt.Errorf("calling: %w", &hubspot.APIError{StatusCode: 429}), tokens.Failure{Kind: tokens.RateLimited}},
		{"timeout", context.DeadlineExceeded, tokens.Failure{Kind: tokens.Transient}},
		{"garbage", hubspot.ErrMalformedResponse, tokens.Failure{Kind: tokens.Transient}},
		{"network", errors.New("connection refused"), tokens.Failure{Kind: tokens.Transient}},
	}
	for _, tt := range tests {
		if got := classifyFailure(tt.err); got != tt.want {
			t.Errorf("%s: classifyFailure(%v) = %+v, want %+v", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestStatusClass(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, "2xx"},
		{&hubspot.APIError{StatusCode: 429}, "4xx"},
		{&hubspot.APIError{StatusCode: 503}, "5xx"},
		{errors.New("reset"), "error"},
	}
	for _, tt := range tests {
		if got := statusClass(tt.err); got != tt.want {
			t.Errorf("statusClass(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
