package hubspotemu

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

func TestCallsPerLowercasedEmail(t *testing.T) {
	emulator, server := startEmulator(t, Options{RatePer10s: 4, Now: newFakeClock().Now})
	wrongAuth := validHeader()
	wrongAuth.Set("Authorization", "Bearer pat-na1-wrong")
	url := server.URL + PathTokensCreate

	// Every POST on a token-create path counts, whatever its result.
	decodeToken(t, createToken(t, server, "Visitor@Example.com"))
	decodeToken(t, createToken(t, server, "visitor@example.com"))
	send(t, http.MethodPost, url, wrongAuth, `{"email":"VISITOR@example.com"}`)                                 // 401
	send(t, http.MethodPost, server.URL+PathTokensCreateLegacy, validHeader(), `{"email":"other@example.com"}`) // 200
	send(t, http.MethodPost, url, validHeader(), `{"email":"not-an-email"}`)                                    // 400
	send(t, http.MethodPost, url, validHeader(), `{"email":"visitor@example.com"}`)                             // 429
	send(t, http.MethodPost, url, validHeader(), `{"email":`)                                                   // 429, malformed, so no email to count
	send(t, http.MethodPost, url, validHeader(), `{"email":""}`)                                                // 429, empty email is not counted

	// Other methods and paths are not token-create requests.
	send(t, http.MethodGet, url, validHeader(), "")
	send(t, http.MethodPost, server.URL+"/unknown", validHeader(), `{"email":"visitor@example.com"}`)

	tests := []struct {
		email string
		want  int
	}{
		{"visitor@example.com", 4},
		{"VISITOR@EXAMPLE.COM", 4},
		{"other@example.com", 1},
		{"not-an-email", 1},
		{"unseen@example.com", 0},
		{"", 0},
	}
	for _, tt := range tests {
		if got := emulator.Calls(tt.email); got != tt.want {
			t.Errorf("Calls(%q): got %d, want %d", tt.email, got, tt.want)
		}
	}
	if got := emulator.TotalCalls(); got != 8 {
		t.Errorf("TotalCalls: got %d, want 8", got)
	}
}

func TestResetClearsCalls(t *testing.T) {
	emulator, server := startEmulator(t, Options{})
	decodeToken(t, createToken(t, server, "visitor@example.com"))

	emulator.Reset()

	if got := emulator.Calls("visitor@example.com"); got != 0 {
		t.Errorf("Calls after Reset: got %d, want 0", got)
	}
	if got := emulator.TotalCalls(); got != 0 {
		t.Errorf("TotalCalls after Reset: got %d, want 0", got)
	}
}

func TestConcurrentCalls(t *testing.T) {
	const (
		clients        = 8
		callsPerClient = 20
	)
	emulator, server := startEmulator(t, Options{RatePer10s: clients * callsPerClient})

	var wg sync.WaitGroup
	tokens := make(chan string, clients*callsPerClient)
	for client := range clients {
		wg.Go(func() {
			email := fmt.Sprintf("visitor%d@example.com", client)
			for range callsPerClient {
				res, err := sendContext(t.Context(), http.MethodPost, server.URL+PathTokensCreate, validHeader(),
					`{"email":"`+email+`"}`)
				if err != nil {
					t.Errorf("POST for %s: %v", email, err)
					return
				}
				if res.status != http.StatusOK {
					t.Errorf("POST for %s: got status %d, want 200, body %s", email, res.status, res.body)
					return
				}
				tokens <- res.body
				emulator.Calls(email)
				emulator.SetLatency(0)
				emulator.SetForbidden(false)
			}
		})
	}
	wg.Wait()
	close(tokens)

	if got := emulator.TotalCalls(); got != clients*callsPerClient {
		t.Errorf("TotalCalls: got %d, want %d", got, clients*callsPerClient)
	}
	for client := range clients {
		email := fmt.Sprintf("visitor%d@example.com", client)
		if got := emulator.Calls(email); got != callsPerClient {
			t.Errorf("Calls(%q): got %d, want %d", email, got, callsPerClient)
		}
	}

	seen := make(map[string]bool)
	for body := range tokens {
		if seen[body] {
			t.Errorf("got response %s twice, want a new token per call", body)
		}
		seen[body] = true
	}
}
