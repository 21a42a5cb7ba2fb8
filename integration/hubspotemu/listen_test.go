package hubspotemu

import (
	"net/http"
	"strings"
	"testing"
)

func TestListenLoopback(t *testing.T) {
	emulator := New(Options{AccessToken: testAccessToken})

	baseURL, shutdown, err := emulator.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen(%q): %v", "127.0.0.1:0", err)
	}
	if !strings.HasPrefix(baseURL, "http://127.0.0.1:") {
		t.Errorf("Listen(%q): got URL %q, want http://127.0.0.1:<port>", "127.0.0.1:0", baseURL)
	}

	res := send(t, http.MethodPost, baseURL+PathTokensCreate, validHeader(), `{"email":"visitor@example.com"}`)
	token := decodeToken(t, res)
	if err := emulator.Verify(token, "visitor@example.com"); err != nil {
		t.Errorf("Verify(%q): %v", token, err)
	}

	if err := shutdown(t.Context()); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if _, err := sendContext(t.Context(), http.MethodPost, baseURL+PathTokensCreate, validHeader(), "{}"); err == nil {
		t.Errorf("POST %s after shutdown: got a response, want a connection error", baseURL)
	}
}

func TestListenRejectsNonLoopback(t *testing.T) {
	addresses := []string{
		":0",
		"0.0.0.0:0",
		"[::]:0",
		"192.0.2.1:8080",
		"example.com:8080",
		"127.0.0.1",
	}
	for _, addr := range addresses {
		t.Run(addr, func(t *testing.T) {
			emulator := New(Options{AccessToken: testAccessToken})

			baseURL, shutdown, err := emulator.Listen(addr)

			if err == nil {
				shutdown(t.Context())
				t.Errorf("Listen(%q): got URL %q, want an error", addr, baseURL)
			}
		})
	}
}
