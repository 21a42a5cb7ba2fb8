package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hsidentify/caddy-hubspot-identify/integration/caddyrun"
	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

// snippetPattern matches the script element that hubspot_identify injects
// and captures its JSON object.
var snippetPattern = regexp.MustCompile(`<script>\(function\(id\)\{[^<]*hsConversationsSettings[^<]*\}\)\((\{[^<]*\})\);</script>`)

// identification is the JSON object of an injected snippet.
type identification struct {
	Email string `json:"identificationEmail"`
	Token string `json:"identificationToken"`
}

// startDemo starts the demo with the emulator on a free loopback port and
// stops it when the test ends.
func startDemo(t *testing.T) *demo {
	t.Helper()

	// An empty access token selects the emulator. Caddy writes its
	// instance ID under XDG_DATA_HOME.
	t.Setenv(accessTokenEnv, "")
	t.Setenv("XDG_DATA_HOME", t.TempDir())

	port, err := caddyrun.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	d, err := start(config{listen: fmt.Sprintf("127.0.0.1:%d", port)})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("stopping the demo: %v", err)
		}
	})
	return d
}

// page is a fetched response with its body.
type page struct {
	status   int
	location string
	body     string
}

// fetch sends a GET for url with header, as a browser loading a page, and
// does not follow redirects.
func fetch(t *testing.T, url string, header http.Header) page {
	t.Helper()

	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	for name, values := range header {
		req.Header[name] = values
	}

	client := &http.Client{
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body)}
}

// basicAuth returns an Authorization header for username and password, or
// no header when username is empty.
func basicAuth(username, password string) http.Header {
	if username == "" {
		return nil
	}
	credentials := base64.StdEncoding.EncodeToString([]byte(username + ":" + password))
	return http.Header{"Authorization": {"Basic " + credentials}}
}

// snippets returns the identifications injected into body.
func snippets(t *testing.T, body string) []identification {
	t.Helper()

	var found []identification
	for _, match := range snippetPattern.FindAllStringSubmatch(body, -1) {
		var id identification
		if err := json.Unmarshal([]byte(match[1]), &id); err != nil {
			t.Fatalf("snippet %s: invalid JSON: %v", match[0], err)
		}
		found = append(found, id)
	}
	return found
}

func TestDemoIdentifiesSignedInVisitor(t *testing.T) {
	d := startDemo(t)

	for _, path := range []string{"/account/", "/account/profile"} {
		t.Run(path, func(t *testing.T) {
			got := fetch(t, d.url+path, basicAuth(demoUsername, demoPassword))
			if got.status != http.StatusOK {
				t.Fatalf("GET %s as %s: status %d, want 200", path, demoUsername, got.status)
			}

			found := snippets(t, got.body)
			if len(found) != 1 {
				t.Fatalf("GET %s as %s: %d snippets, want 1, in body:\n%s", path, demoUsername, len(found), got.body)
			}
			if found[0].Email != demoUsername {
				t.Errorf("GET %s: identificationEmail %q, want %q", path, found[0].Email, demoUsername)
			}
			if err := d.emulator.Verify(found[0].Token, demoUsername); err != nil {
				t.Errorf("GET %s: identificationToken %q does not verify: %v", path, found[0].Token, err)
			}
		})
	}
}

func TestDemoLeavesOtherRequestsAlone(t *testing.T) {
	d := startDemo(t)

	// No case has an unknown username: Caddy then checks a bcrypt hash of
	// cost 14, which takes about 10 seconds under the race detector.
	tests := []struct {
		name         string
		path         string
		username     string
		password     string
		wantStatus   int
		wantLocation string
	}{
		{name: "home anonymous", path: "/", wantStatus: http.StatusOK},
		{name: "account anonymous", path: "/account/", wantStatus: http.StatusUnauthorized},
		{name: "account wrong password", path: "/account/", username: demoUsername, password: "wrong-password", wantStatus: http.StatusUnauthorized},
		{name: "account without slash", path: "/account", wantStatus: http.StatusFound, wantLocation: "/account/"},
		{name: "unknown page", path: "/account/missing", username: demoUsername, password: demoPassword, wantStatus: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fetch(t, d.url+tt.path, basicAuth(tt.username, tt.password))
			if got.status != tt.wantStatus {
				t.Errorf("GET %s as %q: status %d, want %d", tt.path, tt.username, got.status, tt.wantStatus)
			}
			if got.location != tt.wantLocation {
				t.Errorf("GET %s as %q: Location %q, want %q", tt.path, tt.username, got.location, tt.wantLocation)
			}
			if found := snippets(t, got.body); len(found) != 0 {
				t.Errorf("GET %s as %q: %d snippets, want none, in body:\n%s", tt.path, tt.username, len(found), got.body)
			}
		})
	}
}

func TestDemoUpstreamHasNoIdentification(t *testing.T) {
	d := startDemo(t)

	for path := range sitePages {
		t.Run(path, func(t *testing.T) {
			got := fetch(t, d.upstreamURL+path, nil)
			if got.status != http.StatusOK {
				t.Fatalf("GET %s from the upstream: status %d, want 200", path, got.status)
			}
			if found := snippets(t, got.body); len(found) != 0 {
				t.Errorf("GET %s from the upstream: %d snippets, want none, in body:\n%s", path, len(found), got.body)
			}
		})
	}
}

func TestRunPrintsInstructionsAndStops(t *testing.T) {
	t.Setenv(accessTokenEnv, "")
	t.Setenv("XDG_DATA_HOME", t.TempDir())

	port, err := caddyrun.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	siteURL := "http://" + listen

	// A context that is already done makes run stop right after it has
	// printed the instructions.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	var out strings.Builder
	if err := run(ctx, config{listen: listen}, &out); err != nil {
		t.Fatalf("run: %v", err)
	}

	for _, want := range []string{
		"Open      " + siteURL + "/",
		"Username  " + demoUsername,
		"Password  " + demoPassword,
		"a local emulator at http://127.0.0.1:",
		"curl -u " + demoUsername + ":" + demoPassword + " " + siteURL + "/account/",
		"Stopping the demo.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("run output does not contain %q:\n%s", want, out.String())
		}
	}

	client := &http.Client{Timeout: 5 * time.Second}
	if resp, err := client.Get(siteURL + "/"); err == nil {
		resp.Body.Close()
		t.Errorf("GET %s/ after run returned: status %d, want a connection error", siteURL, resp.StatusCode)
	}
}

func TestPrintInstructionsHubSpotModes(t *testing.T) {
	tests := []struct {
		name     string
		emulator bool
		portalID string
		want     []string
	}{
		{name: "emulator", emulator: true,
			want: []string{"a local emulator at http://127.0.0.1:4000", "Chat widget: not loaded"}},
		{name: "emulator with widget", emulator: true, portalID: "1234567",
			want: []string{"a local emulator at", "loaded for HubSpot account 1234567", "cannot identify you"}},
		{name: "HubSpot",
			want: []string{"the real HubSpot API at https://api.hubapi.com", "Chat widget: not loaded"}},
		{name: "HubSpot with widget", portalID: "1234567",
			want: []string{"the real HubSpot API", "Chat widget: loaded for HubSpot account 1234567.\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &demo{url: "http://127.0.0.1:8080", portalID: tt.portalID}
			if tt.emulator {
				d.emulator = hubspotemu.New(hubspotemu.Options{AccessToken: "unused"})
				d.emulatorURL = "http://127.0.0.1:4000"
			}

			var out strings.Builder
			d.printInstructions(&out)
			for _, want := range tt.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("instructions do not contain %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestDemoCloseStopsServers(t *testing.T) {
	d := startDemo(t)

	urls := []string{d.url + "/", d.upstreamURL + "/", d.emulatorURL + "/"}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	client := &http.Client{Timeout: 5 * time.Second}
	for _, url := range urls {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			t.Errorf("GET %s after Close: status %d, want a connection error", url, resp.StatusCode)
		}
	}
}

func TestStartPortInUseCleansUp(t *testing.T) {
	t.Setenv(accessTokenEnv, "")
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	tempDir := t.TempDir()
	t.Setenv("TMPDIR", tempDir) // where start creates Caddy's storage

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()

	d, err := start(config{listen: listener.Addr().String()})
	if err == nil {
		d.Close()
		t.Fatalf("start on %s, which is in use: no error", listener.Addr())
	}
	if want := "choose another with -listen"; !strings.Contains(err.Error(), want) {
		t.Errorf("start on %s, which is in use: error %q, want one containing %q", listener.Addr(), err, want)
	}

	entries, err := os.ReadDir(tempDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		t.Errorf("after a failed start, %s still contains %s", tempDir, entry.Name())
	}
}
