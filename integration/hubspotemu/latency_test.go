package hubspotemu

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestLatencyHonoured(t *testing.T) {
	const latency = 100 * time.Millisecond
	tests := []struct {
		name string
		path string
	}{
		{"token create", PathTokensCreate},
		{"unknown path", "/unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emulator, server := startEmulator(t, Options{})
			emulator.SetLatency(latency)

			start := time.Now()
			send(t, http.MethodPost, server.URL+tt.path, validHeader(), `{"email":"visitor@example.com"}`)
			elapsed := time.Since(start)

			if elapsed < latency {
				t.Errorf("POST %s: got response after %v, want at least %v", tt.path, elapsed, latency)
			}
		})
	}
}

func TestLatencyCancelledByClient(t *testing.T) {
	emulator := New(Options{AccessToken: testAccessToken})
	emulator.SetLatency(time.Minute)
	handlerDone := make(chan struct{})
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(handlerDone)
		emulator.ServeHTTP(w, r)
	}))
	t.Cleanup(server.Close)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := sendContext(ctx, http.MethodPost, server.URL+PathTokensCreate, validHeader(), `{"email":"visitor@example.com"}`)

	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got error %v, want %v", err, context.DeadlineExceeded)
	}
	select {
	case <-handlerDone:
	case <-time.After(5 * time.Second):
		t.Fatal("handler still waiting 5 s after the client gave up")
	}
	if got := emulator.Calls("visitor@example.com"); got != 1 {
		t.Errorf("got Calls %d, want 1 for a call abandoned during latency", got)
	}
}

func TestResetClearsLatency(t *testing.T) {
	emulator, server := startEmulator(t, Options{})
	emulator.SetLatency(time.Minute)

	emulator.Reset()

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := sendContext(ctx, http.MethodPost, server.URL+PathTokensCreate, validHeader(), `{"email":"visitor@example.com"}`); err != nil {
		t.Errorf("after Reset: %v", err)
	}
}
