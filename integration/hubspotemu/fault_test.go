package hubspotemu

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestFaultServerError(t *testing.T) {
	emulator, server := startEmulator(t, Options{})
	emulator.SetFault(FaultServerError)

	res := createToken(t, server, "visitor@example.com")

	checkError(t, res, http.StatusInternalServerError, "INTERNAL_ERROR")
}

func TestFaultUnavailable(t *testing.T) {
	emulator, server := startEmulator(t, Options{})
	emulator.SetFault(FaultUnavailable)

	res := createToken(t, server, "visitor@example.com")

	if res.status != http.StatusServiceUnavailable {
		t.Errorf("got status %d, want 503", res.status)
	}
	if got := res.header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
		t.Errorf("got Content-Type %q, want text/html", got)
	}
	if json.Valid([]byte(res.body)) {
		t.Errorf("got JSON body %q, want HTML", res.body)
	}
	if !strings.Contains(res.body, "<html>") {
		t.Errorf("got body %q, want an HTML page", res.body)
	}
}

func TestFaultGarbage(t *testing.T) {
	emulator, server := startEmulator(t, Options{})
	emulator.SetFault(FaultGarbage)

	res := createToken(t, server, "visitor@example.com")

	if res.status != http.StatusOK {
		t.Errorf("got status %d, want 200", res.status)
	}
	if json.Valid([]byte(res.body)) {
		t.Errorf("got valid JSON body %q, want invalid JSON", res.body)
	}
}

func TestFaultBadToken(t *testing.T) {
	emulator, server := startEmulator(t, Options{})
	emulator.SetFault(FaultBadToken)

	token := decodeToken(t, createToken(t, server, "visitor@example.com"))

	if token != BadToken {
		t.Errorf("got token %q, want %q", token, BadToken)
	}
	if !strings.Contains(token, "</script>") {
		t.Errorf("got token %q, want it to contain </script>", token)
	}
	if err := emulator.Verify(token, "visitor@example.com"); err == nil {
		t.Errorf("Verify(%q) succeeded, want an error", token)
	}
}

func TestFaultDrop(t *testing.T) {
	emulator, server := startEmulator(t, Options{})
	emulator.SetFault(FaultDrop)

	_, err := sendContext(t.Context(), http.MethodPost, server.URL+PathTokensCreate, validHeader(), `{"email":"visitor@example.com"}`)

	if err == nil {
		t.Fatal("got a response, want a transport error")
	}
	if got := emulator.TotalCalls(); got != 1 {
		t.Errorf("got TotalCalls %d, want 1", got)
	}
}

func TestFaultOnlyTokenCreate(t *testing.T) {
	emulator, server := startEmulator(t, Options{})
	emulator.SetFault(FaultServerError)

	checkError(t, send(t, http.MethodGet, server.URL+PathTokensCreate, nil, ""), http.StatusMethodNotAllowed, "VALIDATION_ERROR")
	checkError(t, send(t, http.MethodPost, server.URL+"/unknown", validHeader(), "{}"), http.StatusNotFound, "OBJECT_NOT_FOUND")
}

func TestFaultPrecedesAuthentication(t *testing.T) {
	emulator, server := startEmulator(t, Options{})
	emulator.SetFault(FaultServerError)

	res := send(t, http.MethodPost, server.URL+PathTokensCreate, http.Header{}, `{"email":"visitor@example.com"}`)

	checkError(t, res, http.StatusInternalServerError, "INTERNAL_ERROR")
}

func TestFaultNoneRestores(t *testing.T) {
	faults := []Fault{FaultServerError, FaultUnavailable, FaultGarbage, FaultBadToken, FaultDrop}
	for _, fault := range faults {
		t.Run(fault.String(), func(t *testing.T) {
			emulator, server := startEmulator(t, Options{})
			emulator.SetFault(fault)
			sendContext(t.Context(), http.MethodPost, server.URL+PathTokensCreate, validHeader(), `{"email":"visitor@example.com"}`)

			emulator.SetFault(FaultNone)

			token := decodeToken(t, createToken(t, server, "visitor@example.com"))
			if err := emulator.Verify(token, "visitor@example.com"); err != nil {
				t.Errorf("after %v: Verify(%q): %v", fault, token, err)
			}
		})
	}
}

func TestResetClearsFault(t *testing.T) {
	emulator, server := startEmulator(t, Options{})
	emulator.SetFault(FaultServerError)
	emulator.SetForbidden(true)

	emulator.Reset()

	decodeToken(t, createToken(t, server, "visitor@example.com"))
}

func TestSetFaultUnknownPanics(t *testing.T) {
	for _, fault := range []Fault{-1, FaultDrop + 1} {
		t.Run(fault.String(), func(t *testing.T) {
			emulator := New(Options{AccessToken: testAccessToken})
			defer func() {
				if recover() == nil {
					t.Errorf("SetFault(%v) did not panic", fault)
				}
			}()
			emulator.SetFault(fault)
		})
	}
}
