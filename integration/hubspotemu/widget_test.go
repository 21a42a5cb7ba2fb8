package hubspotemu

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// startWidget serves a Widget for a new emulator on a loopback server that
// is closed when the test ends. The emulator's own server mints tokens.
func startWidget(t *testing.T, opts Options) (*Widget, *httptest.Server, *httptest.Server) {
	t.Helper()

	emulator, emuServer := startEmulator(t, opts)
	widget := NewWidget(emulator)
	widgetServer := httptest.NewServer(widget)
	t.Cleanup(widgetServer.Close)
	return widget, widgetServer, emuServer
}

// reportBody returns a widget report as the stand-in loader sends it.
func reportBody(t *testing.T, page, kind, email, token string) string {
	t.Helper()

	data, err := json.Marshal(widgetReport{Page: page, Kind: kind, Email: email, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func jsonHeader() http.Header {
	return http.Header{"Content-Type": {"application/json"}}
}

func TestWidgetChecksIdentification(t *testing.T) {
	clock := newFakeClock()
	widget, widgetServer, emuServer := startWidget(t, Options{Now: clock.Now})
	adaToken := decodeToken(t, createToken(t, emuServer, "ada@example.com"))
	otherEmulator := New(Options{AccessToken: testAccessToken})
	foreignToken, err := otherEmulator.mintToken(tokenRequest{Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name         string
		email, token string
		wantVerified bool
		wantError    error  // wrapped by the recorded error, when set
		wantMessage  string // contained in the recorded error, when set
	}{
		{"verified", "ada@example.com", adaToken, true, nil, ""},
		{"email in other case", "Ada@Example.com", adaToken, true, nil, ""},
		{"anonymous", "", "", false, nil, ""},
		{"other visitor", "grace@example.com", adaToken, false, ErrEmailMismatch, ""},
		{"another emulator's token", "ada@example.com", foreignToken, false, jwt.ErrTokenSignatureInvalid, ""},
		{"malformed token", "ada@example.com", "not.a.token", false, jwt.ErrTokenMalformed, ""},
		{"email only", "ada@example.com", "", false, nil, "without an identification token"},
		{"token only", "", adaToken, false, nil, "without an identification email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			widget.Reset()

			res := send(t, http.MethodPost, widgetServer.URL+PathWidgetLoads, jsonHeader(),
				reportBody(t, "/account/", WidgetKindLoad, tt.email, tt.token))

			if res.status != http.StatusNoContent {
				t.Fatalf("email %q: got status %d, want 204, body %s", tt.email, res.status, res.body)
			}
			loads := widget.Loads()
			if len(loads) != 1 {
				t.Fatalf("email %q: got %d loads, want 1", tt.email, len(loads))
			}
			load := loads[0]
			if load.Page != "/account/" || load.Kind != WidgetKindLoad || load.Email != tt.email {
				t.Errorf("email %q: got load %+v, want page /account/, kind load and the email as sent", tt.email, load)
			}
			if load.Verified != tt.wantVerified {
				t.Errorf("email %q: got Verified %v, want %v (error %q)", tt.email, load.Verified, tt.wantVerified, load.Error)
			}

			wantMessage := tt.wantMessage
			if tt.wantError != nil {
				wantMessage = tt.wantError.Error()
			}
			if wantMessage == "" && load.Error != "" {
				t.Errorf("email %q: got error %q, want none", tt.email, load.Error)
			}
			if wantMessage != "" && !strings.Contains(load.Error, wantMessage) {
				t.Errorf("email %q: got error %q, want it to contain %q", tt.email, load.Error, wantMessage)
			}
		})
	}
}

func TestWidgetRejectsExpiredToken(t *testing.T) {
	clock := newFakeClock()
	widget, widgetServer, emuServer := startWidget(t, Options{Now: clock.Now})
	token := decodeToken(t, createToken(t, emuServer, "ada@example.com"))

	clock.Advance(TokenLifetime + time.Second)
	send(t, http.MethodPost, widgetServer.URL+PathWidgetLoads, jsonHeader(),
		reportBody(t, "/", WidgetKindLoad, "ada@example.com", token))

	loads := widget.Loads()
	if len(loads) != 1 {
		t.Fatalf("got %d loads, want 1", len(loads))
	}
	if loads[0].Verified {
		t.Errorf("token %s after %v: got Verified, want rejected", token, TokenLifetime+time.Second)
	}
	if !strings.Contains(loads[0].Error, jwt.ErrTokenExpired.Error()) {
		t.Errorf("got error %q, want it to contain %q", loads[0].Error, jwt.ErrTokenExpired)
	}
}

func TestWidgetKeepsOrder(t *testing.T) {
	widget, widgetServer, _ := startWidget(t, Options{})
	kinds := []string{WidgetKindLoad, WidgetKindRefresh, WidgetKindReload}

	for i, kind := range kinds {
		send(t, http.MethodPost, widgetServer.URL+PathWidgetLoads, jsonHeader(),
			reportBody(t, "/page/"+kind, kinds[i], "", ""))
	}

	loads := widget.Loads()
	if len(loads) != len(kinds) {
		t.Fatalf("got %d loads, want %d", len(loads), len(kinds))
	}
	for i, kind := range kinds {
		if loads[i].Kind != kind || loads[i].Page != "/page/"+kind {
			t.Errorf("load %d: got kind %q on %q, want %q on %q", i, loads[i].Kind, loads[i].Page, kind, "/page/"+kind)
		}
	}

	// Loads returns a copy, so a caller cannot change the record.
	loads[0].Email = "changed@example.com"
	if got := widget.Loads()[0].Email; got != "" {
		t.Errorf("after changing the returned slice: got email %q, want %q", got, "")
	}
}

func TestWidgetRejectsBadReports(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantMessage string
	}{
		{"unknown path", http.MethodPost, "/hs-widget/other", "application/json", `{"kind":"load"}`, http.StatusNotFound, "/hs-widget/other"},
		{"GET", http.MethodGet, PathWidgetLoads, "", "", http.StatusMethodNotAllowed, "use POST"},
		{"form body", http.MethodPost, PathWidgetLoads, "application/x-www-form-urlencoded", "kind=load", http.StatusUnsupportedMediaType, "application/json"},
		{"malformed JSON", http.MethodPost, PathWidgetLoads, "application/json", `{"kind":`, http.StatusBadRequest, "invalid JSON"},
		{"unknown kind", http.MethodPost, PathWidgetLoads, "application/json", `{"kind":"open"}`, http.StatusBadRequest, `"open"`},
		{"missing kind", http.MethodPost, PathWidgetLoads, "application/json", `{"page":"/"}`, http.StatusBadRequest, "invalid kind"},
		{"too large", http.MethodPost, PathWidgetLoads, "application/json",
			`{"kind":"load","page":"` + strings.Repeat("a", maxWidgetReportBytes) + `"}`, http.StatusBadRequest, "failed to read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			widget, widgetServer, _ := startWidget(t, Options{})
			header := http.Header{}
			if tt.contentType != "" {
				header.Set("Content-Type", tt.contentType)
			}

			res := send(t, tt.method, widgetServer.URL+tt.path, header, tt.body)

			body := checkError(t, res, tt.wantStatus, checkCategory(tt.wantStatus))
			if !strings.Contains(body.Message, tt.wantMessage) {
				t.Errorf("%s %s with %q: got message %q, want it to contain %q", tt.method, tt.path, tt.body, body.Message, tt.wantMessage)
			}
			if got := widget.Loads(); len(got) != 0 {
				t.Errorf("%s %s with %q: got loads %+v, want none recorded", tt.method, tt.path, tt.body, got)
			}
		})
	}
}

// checkCategory returns the error category the widget endpoint uses for a
// status.
func checkCategory(status int) string {
	if status == http.StatusNotFound {
		return "OBJECT_NOT_FOUND"
	}
	return "VALIDATION_ERROR"
}

func TestWidgetResetClearsLoads(t *testing.T) {
	widget, widgetServer, _ := startWidget(t, Options{})
	send(t, http.MethodPost, widgetServer.URL+PathWidgetLoads, jsonHeader(), reportBody(t, "/", WidgetKindLoad, "", ""))

	widget.Reset()

	if got := widget.Loads(); len(got) != 0 {
		t.Errorf("Loads after Reset: got %+v, want none", got)
	}
}

// The emulator's Reset keeps its signing key, so a token minted before it
// still verifies at the widget.
func TestWidgetIndependentOfEmulatorReset(t *testing.T) {
	emulator, emuServer := startEmulator(t, Options{})
	widget := NewWidget(emulator)
	widgetServer := httptest.NewServer(widget)
	t.Cleanup(widgetServer.Close)
	token := decodeToken(t, createToken(t, emuServer, "ada@example.com"))

	emulator.Reset()
	send(t, http.MethodPost, widgetServer.URL+PathWidgetLoads, jsonHeader(), reportBody(t, "/", WidgetKindLoad, "ada@example.com", token))

	loads := widget.Loads()
	if len(loads) != 1 || !loads[0].Verified {
		t.Errorf("token minted before the emulator's Reset: got loads %+v, want one verified", loads)
	}
}
