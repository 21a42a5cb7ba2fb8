package hubspotemu

import (
	"net/http"
	"strings"
	"testing"
)

func TestServeHTTPPaths(t *testing.T) {
	paths := []string{PathTokensCreate, PathTokensCreateV3, PathTokensCreateLegacy}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			emulator, server := startEmulator(t, Options{})

			body := `{"email": "visitor@example.com", "firstName": "Ada", "lastName": "Lovelace"}`
			res := send(t, http.MethodPost, server.URL+path, validHeader(), body)

			token := decodeToken(t, res)
			if got := res.header.Get("Content-Type"); got != jsonContentType {
				t.Errorf("POST %s: got Content-Type %q, want %q", path, got, jsonContentType)
			}
			if err := emulator.Verify(token, "visitor@example.com"); err != nil {
				t.Errorf("POST %s: Verify(%q): %v", path, token, err)
			}
		})
	}
}

func TestServeHTTPWrongMethod(t *testing.T) {
	_, server := startEmulator(t, Options{})

	methods := []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch}
	for _, method := range methods {
		t.Run(method, func(t *testing.T) {
			res := send(t, method, server.URL+PathTokensCreate, validHeader(), `{"email":"visitor@example.com"}`)

			checkError(t, res, http.StatusMethodNotAllowed, "VALIDATION_ERROR")
			if got := res.header.Get("Allow"); got != "POST" {
				t.Errorf("%s: got Allow %q, want %q", method, got, "POST")
			}
		})
	}
}

func TestServeHTTPUnknownPath(t *testing.T) {
	_, server := startEmulator(t, Options{})

	paths := []string{
		"/",
		"/visitor-identification/v2/tokens/create",
		"/visitor-identification/2026-03/tokens/create/",
		"/crm/v3/objects/contacts",
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			res := send(t, http.MethodPost, server.URL+path, validHeader(), `{"email":"visitor@example.com"}`)

			checkError(t, res, http.StatusNotFound, "OBJECT_NOT_FOUND")
			if got := res.header.Get("Allow"); got != "" {
				t.Errorf("POST %s: got Allow %q, want none", path, got)
			}
		})
	}
}

func TestServeHTTPAuthentication(t *testing.T) {
	tests := []struct {
		name          string
		authorization string
	}{
		{"missing", ""},
		{"wrong token", "Bearer pat-na1-wrong"},
		{"empty bearer", "Bearer "},
		{"basic scheme", "Basic " + testAccessToken},
		{"token without scheme", testAccessToken},
		{"token prefix", "Bearer " + testAccessToken[:len(testAccessToken)-1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, server := startEmulator(t, Options{})
			header := validHeader()
			header.Del("Authorization")
			if tt.authorization != "" {
				header.Set("Authorization", tt.authorization)
			}

			res := send(t, http.MethodPost, server.URL+PathTokensCreate, header, `{"email":"visitor@example.com"}`)

			checkError(t, res, http.StatusUnauthorized, "INVALID_AUTHENTICATION")
			if got := res.header.Get("X-HubSpot-RateLimit-Max"); got != "" {
				t.Errorf("Authorization %q: got X-HubSpot-RateLimit-Max %q, want none", tt.authorization, got)
			}
		})
	}
}

func TestServeHTTPBearerSchemeCaseInsensitive(t *testing.T) {
	_, server := startEmulator(t, Options{})
	header := validHeader()
	header.Set("Authorization", "bearer "+testAccessToken)

	res := send(t, http.MethodPost, server.URL+PathTokensCreate, header, `{"email":"visitor@example.com"}`)

	decodeToken(t, res)
}

func TestServeHTTPForbidden(t *testing.T) {
	emulator, server := startEmulator(t, Options{})
	emulator.SetForbidden(true)

	res := createToken(t, server, "visitor@example.com")

	body := checkError(t, res, http.StatusForbidden, "MISSING_SCOPES")
	if len(body.Errors) != 1 {
		t.Fatalf("got %d errors entries, want 1, body %s", len(body.Errors), res.body)
	}
	scopes := body.Errors[0].Context["requiredGranularScopes"]
	if len(scopes) != 1 || scopes[0] != Scope {
		t.Errorf("got requiredGranularScopes %q, want [%q]", scopes, Scope)
	}

	emulator.SetForbidden(false)
	decodeToken(t, createToken(t, server, "visitor@example.com"))
}

func TestServeHTTPValidation(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantCode string // code of the single errors entry, or "" for none
	}{
		{"empty body", ``, ""},
		{"malformed JSON", `{"email": "visitor@example.com"`, ""},
		{"trailing data", `{"email": "visitor@example.com"} {}`, ""},
		{"array", `["visitor@example.com"]`, ""},
		{"email not a string", `{"email": 42}`, ""},
		{"name not a string", `{"email": "visitor@example.com", "firstName": true}`, ""},
		{"missing email", `{"firstName": "Ada"}`, "REQUIRED"},
		{"empty email", `{"email": ""}`, "REQUIRED"},
		{"null body", `null`, "REQUIRED"},
		{"no at sign", `{"email": "visitor.example.com"}`, "INVALID_EMAIL"},
		{"display name", `{"email": "Ada <visitor@example.com>"}`, "INVALID_EMAIL"},
		{"surrounding space", `{"email": " visitor@example.com"}`, "INVALID_EMAIL"},
		{"two addresses", `{"email": "a@example.com, b@example.com"}`, "INVALID_EMAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, server := startEmulator(t, Options{})

			res := send(t, http.MethodPost, server.URL+PathTokensCreate, validHeader(), tt.body)

			body := checkError(t, res, http.StatusBadRequest, "VALIDATION_ERROR")
			if tt.wantCode == "" {
				if len(body.Errors) != 0 {
					t.Errorf("body %q: got errors %+v, want none", tt.body, body.Errors)
				}
				return
			}
			if len(body.Errors) != 1 {
				t.Fatalf("body %q: got %d errors entries, want 1", tt.body, len(body.Errors))
			}
			if got := body.Errors[0].Code; got != tt.wantCode {
				t.Errorf("body %q: got code %q, want %q", tt.body, got, tt.wantCode)
			}
			if got := body.Errors[0].In; got != "email" {
				t.Errorf("body %q: got in %q, want %q", tt.body, got, "email")
			}
		})
	}
}

func TestServeHTTPBodyTooLarge(t *testing.T) {
	_, server := startEmulator(t, Options{})
	body := `{"email": "visitor@example.com", "firstName": "` + strings.Repeat("a", maxBodyBytes) + `"}`

	res := send(t, http.MethodPost, server.URL+PathTokensCreate, validHeader(), body)

	checkError(t, res, http.StatusBadRequest, "VALIDATION_ERROR")
}

func TestServeHTTPContentType(t *testing.T) {
	tests := []struct {
		contentType string
		wantStatus  int
	}{
		{"application/json", http.StatusOK},
		{"application/json; charset=utf-8", http.StatusOK},
		{"Application/JSON", http.StatusOK},
		{"", http.StatusUnsupportedMediaType},
		{"text/plain", http.StatusUnsupportedMediaType},
		{"application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			_, server := startEmulator(t, Options{})
			header := validHeader()
			header.Set("Content-Type", tt.contentType)

			res := send(t, http.MethodPost, server.URL+PathTokensCreate, header, `{"email":"visitor@example.com"}`)

			if tt.wantStatus == http.StatusOK {
				decodeToken(t, res)
				return
			}
			checkError(t, res, tt.wantStatus, "VALIDATION_ERROR")
		})
	}
}

func TestNewPanics(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"no access token", Options{}},
		{"negative rate", Options{AccessToken: testAccessToken, RatePer10s: -1}},
		{"negative daily limit", Options{AccessToken: testAccessToken, DailyLimit: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", tt.opts)
				}
			}()
			New(tt.opts)
		})
	}
}
