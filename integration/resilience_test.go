package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"

	"github.com/hsidentify/caddy-hubspot-identify/integration/caddyrun"
	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

// identifiedSite is a site block with the upstream page and the handler
// options given.
func identifiedSite(up *upstream, options string) string {
	return fmt.Sprintf(`
	hubspot_identify {
		access_token {env.HUBSPOT_ACCESS_TOKEN}
		email        {http.request.header.X-Auth-Request-Email}
		endpoint     {endpoint}
		%s
	}
	reverse_proxy %s
`, options, up.URL)
}

// identifiedAs returns the email injected into a page for email, or "".
func identifiedAs(t *testing.T, s *site, email string) string {
	t.Helper()
	resp := s.do(t, http.MethodGet, "/", visitorHeaders(email))
	if resp.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.status)
	}
	if !strings.Contains(resp.body, "identificationToken") {
		return ""
	}
	got, _, _ := injected(t, resp.body)
	return got
}

func TestReloadKeepsTokens(t *testing.T) {
	up := startUpstream(t)
	s := startSite(t, identifiedSite(up, "timeout 2s"))

	if got := identifiedAs(t, s, "ada@example.com"); got != "ada@example.com" {
		t.Fatalf("identified as %q before the reload", got)
	}

	// A reload with a change that does not affect the token cache.
	reloaded := strings.Replace(s.caddyfile, "timeout 2s", "timeout 3s", 1)
	if _, err := caddyrun.Start(reloaded); err != nil {
		t.Fatalf("reloading: %v", err)
	}

	if got := identifiedAs(t, s, "ada@example.com"); got != "ada@example.com" {
		t.Fatalf("identified as %q after the reload", got)
	}
	if got := s.emulator.Calls("ada@example.com"); got != 1 {
		t.Errorf("HubSpot calls = %d, want 1: the reload must keep the cached token", got)
	}
}

func TestPersistSurvivesRestart(t *testing.T) {
	up := startUpstream(t)
	first := startSite(t, identifiedSite(up, "persist"))

	if got := identifiedAs(t, first, "ada@example.com"); got != "ada@example.com" {
		t.Fatalf("identified as %q before the restart", got)
	}
	if err := caddy.Stop(); err != nil {
		t.Fatal(err)
	}

	second := startSiteWith(t, siteOptions{storage: first.storage, emulator: first.emulator, emuURL: first.emuURL},
		identifiedSite(up, "persist"))
	if got := identifiedAs(t, second, "ada@example.com"); got != "ada@example.com" {
		t.Fatalf("identified as %q after the restart", got)
	}
	if got := first.emulator.Calls("ada@example.com"); got != 1 {
		t.Errorf("HubSpot calls = %d, want 1: the restart must load the stored token", got)
	}

	// The stored files are named by a hash, never by the address.
	var names []string
	filepath.WalkDir(first.storage, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(path, "hubspot_identify") {
			names = append(names, d.Name())
		}
		return nil
	})
	if len(names) != 1 {
		t.Fatalf("stored token files = %q, want 1", names)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(names[0]) {
		t.Errorf("stored file name = %q, want a SHA-256 hex digest", names[0])
	}
}

func TestAdminForgetAndStats(t *testing.T) {
	up := startUpstream(t)
	port, err := caddyrun.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	admin := fmt.Sprintf("127.0.0.1:%d", port)
	s := startSiteWith(t, siteOptions{admin: admin}, identifiedSite(up, ""))

	identifiedAs(t, s, "ada@example.com")

	stats := adminRequest(t, http.MethodGet, admin, "/hubspot_identify/stats", "", http.StatusOK)
	var parsed struct {
		Caches []struct{ Entries int } `json:"caches"`
	}
	if err := json.Unmarshal([]byte(stats), &parsed); err != nil {
		t.Fatalf("stats %q: %v", stats, err)
	}
	if len(parsed.Caches) != 1 || parsed.Caches[0].Entries != 1 {
		t.Errorf("stats = %s, want one cache with one entry", stats)
	}

	adminRequest(t, http.MethodPost, admin, "/hubspot_identify/forget", `{"email": "ADA@example.com"}`, http.StatusOK)
	identifiedAs(t, s, "ada@example.com")
	if got := s.emulator.Calls("ada@example.com"); got != 2 {
		t.Errorf("HubSpot calls = %d, want 2: forgetting must drop the cached token", got)
	}

	adminRequest(t, http.MethodPost, admin, "/hubspot_identify/forget", `{"email": "not an email"}`, http.StatusBadRequest)
	adminRequest(t, http.MethodGet, admin, "/hubspot_identify/forget", "", http.StatusMethodNotAllowed)
}

// adminRequest calls Caddy's admin endpoint and checks the status.
func adminRequest(t *testing.T, method, admin, path, body string, wantStatus int) string {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+admin+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Errorf("%s %s status = %d, want %d; body %s", method, path, resp.StatusCode, wantStatus, data)
	}
	return string(data)
}

func TestRateLimitedByHubSpotPausesCalls(t *testing.T) {
	up := startUpstream(t)
	emulator := hubspotemu.New(hubspotemu.Options{AccessToken: testAccessToken, RatePer10s: 1})
	emuServer := httptest.NewServer(emulator)
	t.Cleanup(emuServer.Close)
	s := startSiteWith(t, siteOptions{emulator: emulator, emuURL: emuServer.URL}, identifiedSite(up, ""))

	if got := identifiedAs(t, s, "first@example.com"); got == "" {
		t.Fatal("first visitor not identified")
	}
	if got := identifiedAs(t, s, "second@example.com"); got != "" {
		t.Errorf("second visitor identified as %q despite HubSpot's 429", got)
	}
	for i := range 5 {
		if got := identifiedAs(t, s, fmt.Sprintf("later%d@example.com", i)); got != "" {
			t.Errorf("visitor identified during the pause: %q", got)
		}
	}
	if got := emulator.TotalCalls(); got != 2 {
		t.Errorf("HubSpot calls = %d, want 2: calls must pause after a 429", got)
	}
}

func TestRejectedAccessTokenBacksOff(t *testing.T) {
	up := startUpstream(t)
	emulator := hubspotemu.New(hubspotemu.Options{AccessToken: "pat-na1-a-different-token"})
	emuServer := httptest.NewServer(emulator)
	t.Cleanup(emuServer.Close)
	s := startSiteWith(t, siteOptions{emulator: emulator, emuURL: emuServer.URL}, identifiedSite(up, ""))

	for i := range 5 {
		if got := identifiedAs(t, s, fmt.Sprintf("visitor%d@example.com", i)); got != "" {
			t.Errorf("visitor identified with a rejected access token: %q", got)
		}
	}
	if got := emulator.TotalCalls(); got != 1 {
		t.Errorf("HubSpot calls = %d, want 1: a rejected access token must stop the calls", got)
	}
}

func TestCircuitBreakerStopsCallsDuringOutage(t *testing.T) {
	up := startUpstream(t)
	s := startSite(t, identifiedSite(up, ""))
	s.emulator.SetFault(hubspotemu.FaultServerError)

	for i := range 8 {
		identifiedAs(t, s, fmt.Sprintf("visitor%d@example.com", i))
	}
	if got := s.emulator.TotalCalls(); got != 5 {
		t.Errorf("HubSpot calls = %d, want 5 before the breaker opens", got)
	}
}

func TestMetricsExposed(t *testing.T) {
	up := startUpstream(t)
	s := startSite(t, `
	handle /metrics {
		metrics
	}
	handle {
`+identifiedSite(up, "")+`
	}
`)
	identifiedAs(t, s, "ada@example.com")
	identifiedAs(t, s, "ada@example.com")

	resp := s.do(t, http.MethodGet, "/metrics", http.Header{})
	for _, want := range []string{
		`caddy_hubspot_identify_token_lookups_total{result="minted"} 1`,
		`caddy_hubspot_identify_token_lookups_total{result="memory_hit"} 1`,
		`caddy_hubspot_identify_responses_total{result="injected"} 2`,
		`caddy_hubspot_identify_hubspot_call_duration_seconds_count{status="2xx"} 1`,
		`caddy_hubspot_identify_page_wait_seconds_count 2`,
	} {
		if !bytes.Contains([]byte(resp.body), []byte(want)) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
