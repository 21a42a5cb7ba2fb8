package main

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/hsidentify/caddy-hubspot-identify/integration/caddyrun"
	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

const exampleCaddyfilePath = "../../Caddyfile.example"

// accessTokenPlaceholder is the only access_token value the example may use.
const accessTokenPlaceholder = "{env.HUBSPOT_ACCESS_TOKEN}"

func readExample(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(exampleCaddyfilePath)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// identifyHandlers returns the hubspot_identify handlers in an adapted JSON
// config, grouped by the hosts that the enclosing top-level route matches.
func identifyHandlers(t *testing.T, config []byte) map[string][]map[string]any {
	t.Helper()

	var parsed struct {
		Apps struct {
			HTTP struct {
				Servers map[string]struct {
					Routes []map[string]any `json:"routes"`
				} `json:"servers"`
			} `json:"http"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(config, &parsed); err != nil {
		t.Fatalf("adapted config: invalid JSON: %v", err)
	}

	byHost := make(map[string][]map[string]any)
	for _, server := range parsed.Apps.HTTP.Servers {
		for _, route := range server.Routes {
			var handlers []map[string]any
			collectHandlers(route["handle"], "hubspot_identify", &handlers)
			for _, host := range routeHosts(route) {
				byHost[host] = append(byHost[host], handlers...)
			}
		}
	}
	return byHost
}

// collectHandlers appends every object in v, at any depth, whose "handler"
// field is name.
func collectHandlers(v any, name string, found *[]map[string]any) {
	switch v := v.(type) {
	case map[string]any:
		if v["handler"] == name {
			*found = append(*found, v)
		}
		for _, child := range v {
			collectHandlers(child, name, found)
		}
	case []any:
		for _, child := range v {
			collectHandlers(child, name, found)
		}
	}
}

// routeHosts returns the hosts in the host matchers of route.
func routeHosts(route map[string]any) []string {
	var hosts []string
	matchSets, _ := route["match"].([]any)
	for _, set := range matchSets {
		matchers, _ := set.(map[string]any)
		hostList, _ := matchers["host"].([]any)
		for _, host := range hostList {
			if s, ok := host.(string); ok {
				hosts = append(hosts, s)
			}
		}
	}
	return hosts
}

func TestCaddyfileExampleAdapts(t *testing.T) {
	// A token in the environment must not reach the adapted config, as it
	// would if the example used {$HUBSPOT_ACCESS_TOKEN}.
	const secret = "pat-example-secret-must-not-appear"
	t.Setenv(accessTokenEnv, secret)

	config, err := caddyrun.Adapt(readExample(t))
	if err != nil {
		t.Fatalf("%s: %v", exampleCaddyfilePath, err)
	}
	if strings.Contains(string(config), secret) {
		t.Errorf("adapted config contains the value of %s", accessTokenEnv)
	}

	handlers := identifyHandlers(t, config)
	sites := []struct {
		host  string
		email string
	}{
		{host: "app.example.com", email: "{http.request.header.X-Auth-Request-Email}"},
		{host: "intranet.example.com", email: "{http.auth.user.id}"},
		{host: "portal.example.com", email: "{http.auth.user.email}"},
	}
	for _, site := range sites {
		t.Run(site.host, func(t *testing.T) {
			found := handlers[site.host]
			if len(found) != 1 {
				t.Fatalf("site %s has %d hubspot_identify handlers, want 1", site.host, len(found))
			}
			if got := found[0]["access_token"]; got != accessTokenPlaceholder {
				t.Errorf("site %s: access_token %q, want %q", site.host, got, accessTokenPlaceholder)
			}
			if got := found[0]["email"]; got != site.email {
				t.Errorf("site %s: email %q, want %q", site.host, got, site.email)
			}
		})
	}
	if len(handlers) != len(sites) {
		t.Errorf("adapted config has hubspot_identify in %d sites, want %d: %v", len(handlers), len(sites), handlers)
	}
}

// localExample rewrites the example Caddyfile to run on loopback: each site
// gets a free port and plain HTTP, the upstreams become authProxy and
// upstream, and hubspot_identify calls endpoint instead of HubSpot. It
// returns the Caddyfile and the URL of each site by its host in the example.
func localExample(t *testing.T, example, authProxy, upstream, endpoint string) (string, map[string]string) {
	t.Helper()

	siteURLs := make(map[string]string)
	var replacements []string
	for _, host := range []string{"app.example.com", "intranet.example.com", "portal.example.com"} {
		port, err := caddyrun.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		siteURLs[host] = fmt.Sprintf("http://127.0.0.1:%d", port)
		replacements = append(replacements, host+" {", siteURLs[host]+" {")
	}
	replacements = append(replacements,
		"127.0.0.1:4180", strings.TrimPrefix(authProxy, "http://"),
		"127.0.0.1:8080", strings.TrimPrefix(upstream, "http://"),
		"access_token "+accessTokenPlaceholder, "access_token "+accessTokenPlaceholder+"\nendpoint "+endpoint,
	)

	global := fmt.Sprintf("{\n\tadmin off\n\tauto_https off\n\tpersist_config off\n\tstorage file_system %q\n}\n\n", t.TempDir())
	caddyfile := global + strings.NewReplacer(replacements...).Replace(example)

	// Nothing may reach HubSpot's real API, so every handler must use the
	// emulator before Caddy starts.
	config, err := caddyrun.Adapt(caddyfile)
	if err != nil {
		t.Fatalf("adapting the local example: %v\n%s", err, caddyfile)
	}
	count := 0
	for host, found := range identifyHandlers(t, config) {
		for _, handler := range found {
			if handler["endpoint"] != endpoint {
				t.Fatalf("local example: a site on %s has endpoint %q, want %q", host, handler["endpoint"], endpoint)
			}
			count++
		}
	}
	if count != len(siteURLs) {
		t.Fatalf("local example has %d hubspot_identify handlers, want %d:\n%s", count, len(siteURLs), caddyfile)
	}
	return caddyfile, siteURLs
}

// Cookie values that the stand-in for oauth2-proxy accepts.
const (
	sessionWithEmail    = "alice"
	sessionWithoutEmail = "no-email"
)

// newAuthProxy returns a stand-in for oauth2-proxy. Its auth endpoint
// accepts the session cookie values above, and its other pages return 200.
func newAuthProxy(t *testing.T) *httptest.Server {
	t.Helper()

	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth2/auth" {
			io.WriteString(w, "oauth2-proxy page")
			return
		}

		cookie, err := r.Cookie("_oauth2_proxy")
		switch {
		case err == nil && cookie.Value == sessionWithEmail:
			w.Header().Set("X-Auth-Request-Email", "alice@example.com")
			w.WriteHeader(http.StatusAccepted)
		case err == nil && cookie.Value == sessionWithoutEmail:
			w.WriteHeader(http.StatusAccepted)
		default:
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(server.Close)
	return server
}

// newEchoUpstream returns an upstream whose HTML page shows the
// X-Auth-Request-Email header that it received.
func newEchoUpstream(t *testing.T) *httptest.Server {
	t.Helper()

	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>App</title></head><body><p id=\"email\">%s</p></body></html>",
			html.EscapeString(r.Header.Get("X-Auth-Request-Email")))
	}))
	t.Cleanup(server.Close)
	return server
}

func TestCaddyfileExampleForwardAuth(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())

	const accessToken = "pat-example-test"
	t.Setenv(accessTokenEnv, accessToken)
	emulator := hubspotemu.New(hubspotemu.Options{AccessToken: accessToken})
	emulatorServer := httptest.NewServer(emulator)
	t.Cleanup(emulatorServer.Close)

	authProxy := newAuthProxy(t)
	upstream := newEchoUpstream(t)
	caddyfile, siteURLs := localExample(t, readExample(t), authProxy.URL, upstream.URL,
		emulatorServer.URL+hubspotemu.PathTokensCreate)

	stop, err := caddyrun.Start(caddyfile)
	if err != nil {
		t.Fatalf("starting Caddy: %v\n%s", err, caddyfile)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping Caddy: %v", err)
		}
	})

	appURL := siteURLs["app.example.com"]
	const pagePath = "/orders?id=1&tab=items"
	signInURL := "/oauth2/sign_in?rd=" + appURL + url.QueryEscape(pagePath)
	tests := []struct {
		name           string
		path           string
		session        string // _oauth2_proxy cookie value, or empty
		forgedEmail    string // X-Auth-Request-Email sent by the client
		wantStatus     int
		wantLocation   string
		wantUpstream   string // X-Auth-Request-Email that the upstream received
		wantIdentified string // email in the injected snippet, or empty for none
	}{
		{name: "signed in", path: "/", session: sessionWithEmail,
			wantStatus: http.StatusOK, wantUpstream: "alice@example.com", wantIdentified: "alice@example.com"},
		{name: "signed in with forged email", path: "/", session: sessionWithEmail, forgedEmail: "mallory@example.com",
			wantStatus: http.StatusOK, wantUpstream: "alice@example.com", wantIdentified: "alice@example.com"},
		{name: "signed in without email, forged email", path: "/", session: sessionWithoutEmail, forgedEmail: "mallory@example.com",
			wantStatus: http.StatusOK, wantUpstream: ""},
		{name: "anonymous with forged email", path: pagePath, forgedEmail: "mallory@example.com",
			wantStatus: http.StatusFound, wantLocation: signInURL},
		{name: "sign-in page", path: "/oauth2/sign_in", wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{}
			if tt.session != "" {
				header.Set("Cookie", (&http.Cookie{Name: "_oauth2_proxy", Value: tt.session}).String())
			}
			if tt.forgedEmail != "" {
				header.Set("X-Auth-Request-Email", tt.forgedEmail)
			}

			got := fetch(t, appURL+tt.path, header)
			if got.status != tt.wantStatus {
				t.Fatalf("GET %s with session %q: status %d, want %d; body:\n%s", tt.path, tt.session, got.status, tt.wantStatus, got.body)
			}
			if got.location != tt.wantLocation {
				t.Errorf("GET %s with session %q: Location %q, want %q", tt.path, tt.session, got.location, tt.wantLocation)
			}
			if got.status == http.StatusOK && tt.path == "/" {
				want := `<p id="email">` + tt.wantUpstream + `</p>`
				if !strings.Contains(got.body, want) {
					t.Errorf("GET %s with session %q: upstream page does not contain %q:\n%s", tt.path, tt.session, want, got.body)
				}
			}

			found := snippets(t, got.body)
			if tt.wantIdentified == "" {
				if len(found) != 0 {
					t.Errorf("GET %s with session %q: %d snippets, want none:\n%s", tt.path, tt.session, len(found), got.body)
				}
				return
			}
			if len(found) != 1 {
				t.Fatalf("GET %s with session %q: %d snippets, want 1:\n%s", tt.path, tt.session, len(found), got.body)
			}
			if found[0].Email != tt.wantIdentified {
				t.Errorf("GET %s with session %q: identificationEmail %q, want %q", tt.path, tt.session, found[0].Email, tt.wantIdentified)
			}
			if err := emulator.Verify(found[0].Token, tt.wantIdentified); err != nil {
				t.Errorf("GET %s with session %q: identificationToken does not verify: %v", tt.path, tt.session, err)
			}
		})
	}

	t.Run("caddy-security site closed", func(t *testing.T) {
		portalURL := siteURLs["portal.example.com"]
		if got := fetch(t, portalURL+"/", nil); got.status != http.StatusServiceUnavailable {
			t.Errorf("GET %s/: status %d, want 503 until authorize is configured", portalURL, got.status)
		}
	})
}
