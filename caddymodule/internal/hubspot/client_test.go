package hubspot

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

const testAccessToken = "pat-na1-3f9a1c2e-5b7d-4e8f-a0b1-c2d3e4f5a6b7"

func newEmulator(t *testing.T, opts hubspotemu.Options) (*hubspotemu.Emulator, *httptest.Server) {
	t.Helper()
	if opts.AccessToken == "" {
		opts.AccessToken = testAccessToken
	}
	emulator := hubspotemu.New(opts)
	server := httptest.NewServer(emulator)
	t.Cleanup(server.Close)
	return emulator, server
}

func newClient(server *httptest.Server, path string) *Client {
	return &Client{
		Endpoint:    server.URL + path,
		AccessToken: testAccessToken,
		HTTPClient:  server.Client(),
	}
}

func TestCreateTokenOnEveryPath(t *testing.T) {
	emulator, server := newEmulator(t, hubspotemu.Options{})
	paths := []string{hubspotemu.PathTokensCreate, hubspotemu.PathTokensCreateV3, hubspotemu.PathTokensCreateLegacy}

	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			client := newClient(server, path)
			token, err := client.CreateToken(context.Background(), Visitor{Email: "Ada@Example.com", FirstName: "Ada"})
			if err != nil {
				t.Fatalf("CreateToken() error = %v", err)
			}
			if err := emulator.Verify(token, "ada@example.com"); err != nil {
				t.Errorf("emulator rejects the minted token: %v", err)
			}
		})
	}
}

func TestCreateTokenMintsNewTokenEachCall(t *testing.T) {
	_, server := newEmulator(t, hubspotemu.Options{})
	client := newClient(server, hubspotemu.PathTokensCreate)

	first, err := client.CreateToken(context.Background(), Visitor{Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := client.CreateToken(context.Background(), Visitor{Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Error("two calls returned the same token, want a new one per call")
	}
}

func TestCreateTokenAPIErrors(t *testing.T) {
	tests := []struct {
		name         string
		setup        func(*hubspotemu.Emulator, *Client)
		email        string
		wantStatus   int
		wantCategory string
		wantHint     string
	}{
		{
			name:         "wrong access token",
			setup:        func(_ *hubspotemu.Emulator, c *Client) { c.AccessToken = "pat-na1-wrong" },
			email:        "ada@example.com",
			wantStatus:   http.StatusUnauthorized,
			wantCategory: "INVALID_AUTHENTICATION",
			wantHint:     "check access_token",
		},
		{
			name:         "missing scope",
			setup:        func(e *hubspotemu.Emulator, _ *Client) { e.SetForbidden(true) },
			email:        "ada@example.com",
			wantStatus:   http.StatusForbidden,
			wantCategory: "MISSING_SCOPES",
			wantHint:     "conversations.visitor_identification.tokens.create",
		},
		{
			name:         "invalid email",
			setup:        func(*hubspotemu.Emulator, *Client) {},
			email:        "not-an-email",
			wantStatus:   http.StatusBadRequest,
			wantCategory: "VALIDATION_ERROR",
		},
		{
			name:         "server error",
			setup:        func(e *hubspotemu.Emulator, _ *Client) { e.SetFault(hubspotemu.FaultServerError) },
			email:        "ada@example.com",
			wantStatus:   http.StatusInternalServerError,
			wantCategory: "INTERNAL_ERROR",
		},
		{
			name:       "load balancer error page",
			setup:      func(e *hubspotemu.Emulator, _ *Client) { e.SetFault(hubspotemu.FaultUnavailable) },
			email:      "ada@example.com",
			wantStatus: http.StatusServiceUnavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emulator, server := newEmulator(t, hubspotemu.Options{})
			client := newClient(server, hubspotemu.PathTokensCreate)
			tt.setup(emulator, client)

			_, err := client.CreateToken(context.Background(), Visitor{Email: tt.email})
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("CreateToken() error = %v, want an *APIError", err)
			}
			if apiErr.StatusCode != tt.wantStatus {
				t.Errorf("StatusCode = %d, want %d", apiErr.StatusCode, tt.wantStatus)
			}
			if apiErr.Category != tt.wantCategory {
				t.Errorf("Category = %q, want %q", apiErr.Category, tt.wantCategory)
			}
			if tt.wantCategory != "" && apiErr.CorrelationID == "" {
				t.Error("CorrelationID is empty, want HubSpot's correlation id")
			}
			if !strings.Contains(apiErr.Hint(), tt.wantHint) {
				t.Errorf("Hint() = %q, want it to contain %q", apiErr.Hint(), tt.wantHint)
			}
			for _, secret := range []string{testAccessToken, tt.email} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains %q", err, secret)
				}
			}
		})
	}
}

func TestCreateTokenRateLimited(t *testing.T) {
	_, server := newEmulator(t, hubspotemu.Options{RatePer10s: 1})
	client := newClient(server, hubspotemu.PathTokensCreate)

	if _, err := client.CreateToken(context.Background(), Visitor{Email: "a@example.com"}); err != nil {
		t.Fatalf("first CreateToken() error = %v", err)
	}
	_, err := client.CreateToken(context.Background(), Visitor{Email: "b@example.com"})

	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("CreateToken() error = %v, want an *APIError", err)
	}
	if apiErr.StatusCode != http.StatusTooManyRequests || apiErr.Category != "RATE_LIMITS" {
		t.Errorf("got status %d category %q, want 429 RATE_LIMITS", apiErr.StatusCode, apiErr.Category)
	}
	if apiErr.PolicyName != "TEN_SECONDLY_ROLLING" {
		t.Errorf("PolicyName = %q, want TEN_SECONDLY_ROLLING", apiErr.PolicyName)
	}
	if apiErr.RetryAfter <= 0 || apiErr.RetryAfter > 10*time.Second {
		t.Errorf("RetryAfter = %v, want within the 10s window", apiErr.RetryAfter)
	}
}

func TestCreateTokenMalformedResponses(t *testing.T) {
	tests := []struct {
		name  string
		fault hubspotemu.Fault
	}{
		{"garbage body", hubspotemu.FaultGarbage},
		{"dropped connection", hubspotemu.FaultDrop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emulator, server := newEmulator(t, hubspotemu.Options{})
			emulator.SetFault(tt.fault)
			client := newClient(server, hubspotemu.PathTokensCreate)

			token, err := client.CreateToken(context.Background(), Visitor{Email: "ada@example.com"})
			if err == nil {
				t.Fatalf("CreateToken() = %q, want an error", token)
			}
			if strings.Contains(err.Error(), testAccessToken) {
				t.Errorf("error %q contains the access token", err)
			}
		})
	}
}

func TestCreateTokenHonoursContext(t *testing.T) {
	emulator, server := newEmulator(t, hubspotemu.Options{})
	emulator.SetLatency(5 * time.Second)
	client := newClient(server, hubspotemu.PathTokensCreate)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := client.CreateToken(ctx, Visitor{Email: "ada@example.com"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("CreateToken() error = %v, want %v", err, context.DeadlineExceeded)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{"-3", 0},
		{"soon", 0},
		{"Fri, 04 Dec 2026 12:00:30 GMT", 30 * time.Second},
		{"Fri, 04 Dec 2026 11:59:00 GMT", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.value, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}
