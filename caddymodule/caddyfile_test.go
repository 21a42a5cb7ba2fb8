package caddymodule

import (
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	input := `hubspot_identify {
		access_token {env.HUBSPOT_ACCESS_TOKEN}
		email        {http.request.header.X-Auth-Request-Email}
		first_name   {http.request.header.X-Auth-Request-First-Name}
		last_name    {http.request.header.X-Auth-Request-Last-Name}
		endpoint     http://127.0.0.1:9999/visitor-identification/v3/tokens/create
		timeout      250ms
		token_ttl    6h
		max_tokens   500
	}`

	var h Handler
	if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
		t.Fatalf("UnmarshalCaddyfile() error = %v", err)
	}

	want := Handler{
		AccessToken: "{env.HUBSPOT_ACCESS_TOKEN}",
		Email:       "{http.request.header.X-Auth-Request-Email}",
		FirstName:   "{http.request.header.X-Auth-Request-First-Name}",
		LastName:    "{http.request.header.X-Auth-Request-Last-Name}",
		Endpoint:    "http://127.0.0.1:9999/visitor-identification/v3/tokens/create",
		Timeout:     caddy.Duration(250 * time.Millisecond),
		TokenTTL:    caddy.Duration(6 * time.Hour),
		MaxTokens:   500,
	}
	if h.AccessToken != want.AccessToken || h.Email != want.Email || h.FirstName != want.FirstName ||
		h.LastName != want.LastName || h.Endpoint != want.Endpoint || h.Timeout != want.Timeout ||
		h.TokenTTL != want.TokenTTL || h.MaxTokens != want.MaxTokens {
		t.Errorf("UnmarshalCaddyfile() = %+v, want %+v", h, want)
	}
}

func TestUnmarshalCaddyfileResilience(t *testing.T) {
	input := `hubspot_identify {
		access_token {env.HUBSPOT_ACCESS_TOKEN}
		email        {http.auth.user.id}
		rate_limit   20 10s
		redis        rediss://cache.internal:6380/2 {
			username        caddy
			password        {env.REDIS_PASSWORD}
			db              3
			tls_ca          /etc/ssl/redis-ca.pem
			tls_server_name redis.internal
			key_prefix      site-a:
			timeout         50ms
		}
	}`

	var h Handler
	if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
		t.Fatalf("UnmarshalCaddyfile() error = %v", err)
	}

	wantLimit := RateLimit{Requests: 20, Window: caddy.Duration(10 * time.Second)}
	if h.RateLimit == nil || *h.RateLimit != wantLimit {
		t.Errorf("RateLimit = %+v, want %+v", h.RateLimit, wantLimit)
	}
	wantRedis := Redis{
		URL:           "rediss://cache.internal:6380/2",
		Username:      "caddy",
		Password:      "{env.REDIS_PASSWORD}",
		DB:            3,
		TLSCA:         "/etc/ssl/redis-ca.pem",
		TLSServerName: "redis.internal",
		KeyPrefix:     "site-a:",
		Timeout:       caddy.Duration(50 * time.Millisecond),
	}
	if h.Redis == nil || *h.Redis != wantRedis {
		t.Errorf("Redis = %+v, want %+v", h.Redis, wantRedis)
	}

	var persisted Handler
	if err := persisted.UnmarshalCaddyfile(caddyfile.NewTestDispenser("hubspot_identify {\n access_token x\n email y\n persist\n}")); err != nil {
		t.Fatalf("UnmarshalCaddyfile(persist) error = %v", err)
	}
	if !persisted.Persist {
		t.Error("Persist = false, want true")
	}

	var fromResponse Handler
	input = "hubspot_identify {\n access_token x\n identity_from_response X-User-Email X-User-First X-User-Last\n}"
	if err := fromResponse.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
		t.Fatalf("UnmarshalCaddyfile(identity_from_response) error = %v", err)
	}
	wantFrom := IdentityFromResponse{EmailHeader: "X-User-Email", FirstNameHeader: "X-User-First", LastNameHeader: "X-User-Last"}
	if fromResponse.IdentityFromResponse == nil || *fromResponse.IdentityFromResponse != wantFrom {
		t.Errorf("IdentityFromResponse = %+v, want %+v", fromResponse.IdentityFromResponse, wantFrom)
	}

	var off Handler
	if err := off.UnmarshalCaddyfile(caddyfile.NewTestDispenser("hubspot_identify {\n access_token x\n email y\n reset_on_signout off\n}")); err != nil {
		t.Fatalf("UnmarshalCaddyfile(reset_on_signout off) error = %v", err)
	}
	if off.ResetOnSignout == nil || *off.ResetOnSignout || off.resetOnSignout() {
		t.Error("reset_on_signout off left the reset on")
	}
	if !persisted.resetOnSignout() {
		t.Error("the reset is off by default, want on")
	}
}

func TestUnmarshalCaddyfileErrors(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		wantErr string
	}{
		{
			name:    "unknown subdirective",
			input:   "hubspot_identify {\n access_token x\n email y\n emial z\n}",
			wantErr: `unrecognized subdirective "emial"`,
		},
		{
			name:    "missing access token",
			input:   "hubspot_identify {\n email {http.auth.user.id}\n}",
			wantErr: "access_token: missing",
		},
		{
			name:    "missing email",
			input:   "hubspot_identify {\n access_token {env.T}\n}",
			wantErr: "email: missing",
		},
		{
			name:    "argument on directive line",
			input:   "hubspot_identify extra {\n access_token x\n email y\n}",
			wantErr: "wrong argument count",
		},
		{
			name:    "two emails",
			input:   "hubspot_identify {\n access_token x\n email a b\n}",
			wantErr: "email: expected one value",
		},
		{
			name:    "bad duration",
			input:   "hubspot_identify {\n access_token x\n email y\n timeout soon\n}",
			wantErr: `timeout: invalid duration "soon"`,
		},
		{
			name:    "rate limit without window",
			input:   "hubspot_identify {\n access_token x\n email y\n rate_limit 40\n}",
			wantErr: "rate_limit: expected a number of calls and a window",
		},
		{
			name:    "rate limit zero",
			input:   "hubspot_identify {\n access_token x\n email y\n rate_limit 0 10s\n}",
			wantErr: `rate_limit: invalid number of calls "0"`,
		},
		{
			name:    "rate limit bad window",
			input:   "hubspot_identify {\n access_token x\n email y\n rate_limit 40 often\n}",
			wantErr: `rate_limit: invalid window "often"`,
		},
		{
			name:    "redis without url",
			input:   "hubspot_identify {\n access_token x\n email y\n redis\n}",
			wantErr: "redis: expected a URL",
		},
		{
			name:    "redis unknown option",
			input:   "hubspot_identify {\n access_token x\n email y\n redis redis://127.0.0.1:6379 {\n pasword x\n }\n}",
			wantErr: `redis: unrecognized option "pasword"`,
		},
		{
			name:    "redis bad db",
			input:   "hubspot_identify {\n access_token x\n email y\n redis redis://127.0.0.1:6379 {\n db -1\n }\n}",
			wantErr: `redis db: invalid database number "-1"`,
		},
		{
			name:    "identity_from_response with two headers",
			input:   "hubspot_identify {\n access_token x\n identity_from_response A B\n}",
			wantErr: "identity_from_response: expected no header names",
		},
		{
			name:    "reset_on_signout value",
			input:   "hubspot_identify {\n access_token x\n email y\n reset_on_signout maybe\n}",
			wantErr: "reset_on_signout: expected on or off",
		},
		{
			name:    "persist with argument",
			input:   "hubspot_identify {\n access_token x\n email y\n persist yes\n}",
			wantErr: "persist: takes no value",
		},
		{
			name:    "zero timeout",
			input:   "hubspot_identify {\n access_token x\n email y\n timeout 0\n}",
			wantErr: `timeout: invalid duration "0"`,
		},
		{
			name:    "token ttl above 12h",
			input:   "hubspot_identify {\n access_token x\n email y\n token_ttl 13h\n}",
			wantErr: `token_ttl: invalid value "13h"`,
		},
		{
			name:    "bad token ttl",
			input:   "hubspot_identify {\n access_token x\n email y\n token_ttl 1 h\n}",
			wantErr: "token_ttl: expected one duration",
		},
		{
			name:    "endpoint without scheme",
			input:   "hubspot_identify {\n access_token x\n email y\n endpoint api.hubapi.com/x\n}",
			wantErr: "endpoint: invalid URL",
		},
		{
			name:    "endpoint unparsable",
			input:   "hubspot_identify {\n access_token x\n email y\n endpoint \"http://[::1\"\n}",
			wantErr: "endpoint: invalid URL",
		},
		{
			name:    "max tokens zero",
			input:   "hubspot_identify {\n access_token x\n email y\n max_tokens 0\n}",
			wantErr: `max_tokens: invalid value "0"`,
		},
		{
			name:    "max tokens not a number",
			input:   "hubspot_identify {\n access_token x\n email y\n max_tokens lots\n}",
			wantErr: `max_tokens: invalid value "lots"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if err == nil {
				t.Fatalf("UnmarshalCaddyfile(%q) error = nil, want one containing %q", tt.input, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("UnmarshalCaddyfile(%q) error = %q, want it to contain %q", tt.input, err, tt.wantErr)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	valid := func() Handler {
		return Handler{
			Email:     "{http.auth.user.id}",
			Endpoint:  "https://api.hubapi.com/visitor-identification/2026-03/tokens/create",
			Timeout:   caddy.Duration(time.Second),
			TokenTTL:  caddy.Duration(11 * time.Hour),
			MaxTokens: 10,
		}
	}

	tests := []struct {
		name    string
		modify  func(*Handler)
		wantErr string
	}{
		{"valid", func(*Handler) {}, ""},
		{"ttl of exactly 12h", func(h *Handler) { h.TokenTTL = caddy.Duration(12 * time.Hour) }, ""},
		{"ttl above 12h", func(h *Handler) { h.TokenTTL = caddy.Duration(12*time.Hour + time.Second) }, "token_ttl: invalid value 12h0m1s"},
		{"negative timeout", func(h *Handler) { h.Timeout = caddy.Duration(-time.Second) }, "timeout: invalid value"},
		{"missing email", func(h *Handler) { h.Email = " " }, "email: missing"},
		{"ftp endpoint", func(h *Handler) { h.Endpoint = "ftp://example.com/x" }, "endpoint: invalid URL"},
		{"endpoint with credentials", func(h *Handler) { h.Endpoint = "https://user:secret@example.com/x" }, "credentials in the URL"},
		{"rate limit without window", func(h *Handler) { h.RateLimit = &RateLimit{Requests: 5} }, "rate_limit: invalid value"},
		{"redis without url", func(h *Handler) { h.Redis = &Redis{} }, "redis: missing URL"},
		{"portal id not numeric", func(h *Handler) { h.PortalID = "12a" }, `portal_id: invalid value "12a"`},
		{"loader url without portal", func(h *Handler) { h.LoaderURL = "https://cdn.example.com/l.js" }, "loader_url: set portal_id too"},
		{"loader url invalid", func(h *Handler) { h.PortalID, h.LoaderURL = "42", "cdn.example.com/l.js" }, "loader_url: invalid URL"},
		{"portal with loader url", func(h *Handler) { h.PortalID, h.LoaderURL = "42", "https://cdn.example.com/l.js" }, ""},
		{"identity header with a space", func(h *Handler) {
			h.IdentityFromResponse = &IdentityFromResponse{EmailHeader: "bad header", FirstNameHeader: "A", LastNameHeader: "B"}
		}, `identity_from_response: invalid header name "bad header"`},
		{"redis and persist", func(h *Handler) { h.Redis, h.Persist = &Redis{URL: "redis://127.0.0.1:6379"}, true }, "persist: not used with redis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := valid()
			tt.modify(&h)
			err := h.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Validate() error = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() error = %v, want it to contain %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("Validate() error %q repeats a credential", err)
			}
		})
	}
}

func TestResolveAccessToken(t *testing.T) {
	const secret = "pat-na1-00000000-1111-2222-3333-444444444444"
	t.Setenv("HSI_TEST_TOKEN", secret)
	t.Setenv("HSI_TEST_EMPTY", "")
	t.Setenv("HSI_TEST_SPACE", "pat na1")

	tests := []struct {
		name       string
		configured string
		want       string
		wantErr    string
	}{
		{"environment", "{env.HSI_TEST_TOKEN}", secret, ""},
		{"literal", secret, secret, ""},
		{"missing", "", "", "access_token: missing"},
		{"empty environment", "{env.HSI_TEST_EMPTY}", "", "access_token:"},
		{"unset environment", "{env.HSI_TEST_UNSET_VARIABLE}", "", "access_token:"},
		{"inner space", "{env.HSI_TEST_SPACE}", "", "spaces or control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveAccessToken(tt.configured)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("resolveAccessToken(%q) error = %v, want it to contain %q", tt.configured, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "pat na1") {
					t.Errorf("resolveAccessToken(%q) error %q contains the token", tt.configured, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("resolveAccessToken(%q) error = %v", tt.configured, err)
			}
			if got != tt.want {
				t.Errorf("resolveAccessToken(%q) = %q, want %q", tt.configured, got, tt.want)
			}
		})
	}
}
