package integration

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestIdentityFromResponseHeaders(t *testing.T) {
	// The app sets the identity headers for signed-in visitors, as a
	// session-based app would, and uses custom names for one route.
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user := r.URL.Query().Get("user"); user != "" {
			w.Header().Set("X-HubSpot-Identify-Email", user)
			w.Header().Set("X-HubSpot-Identify-First-Name", "Ada")
		}
		if r.URL.Path == "/api" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{}`)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	t.Cleanup(app.Close)

	s := startSite(t, fmt.Sprintf(`
	hubspot_identify {
		access_token {env.HUBSPOT_ACCESS_TOKEN}
		endpoint     {endpoint}
		identity_from_response
	}
	reverse_proxy %s
`, app.URL))

	checkStripped := func(t *testing.T, resp response) {
		t.Helper()
		for name := range resp.header {
			if strings.HasPrefix(strings.ToLower(name), "x-hubspot-identify") {
				t.Errorf("response header %s reached the client", name)
			}
		}
	}

	t.Run("signed in", func(t *testing.T) {
		resp := s.do(t, http.MethodGet, "/?user=ada@example.com", browserHeaders())
		email, token, rest := injected(t, resp.body)
		if email != "ada@example.com" {
			t.Errorf("identified as %q, want ada@example.com", email)
		}
		if err := s.emulator.Verify(token, "ada@example.com"); err != nil {
			t.Errorf("emulator rejects the token: %v", err)
		}
		if rest != page {
			t.Error("page without the snippet differs from the app's")
		}
		checkStripped(t, resp)
	})

	t.Run("anonymous", func(t *testing.T) {
		resp := s.do(t, http.MethodGet, "/", browserHeaders())
		if resp.body != page {
			t.Error("anonymous page changed")
		}
		checkStripped(t, resp)
	})

	t.Run("invalid identity", func(t *testing.T) {
		resp := s.do(t, http.MethodGet, "/?user=not-an-email", browserHeaders())
		if resp.body != page {
			t.Error("page changed for an invalid identity")
		}
		checkStripped(t, resp)
	})

	t.Run("headers stripped from other responses", func(t *testing.T) {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodHead} {
			header := http.Header{"Accept": {"application/json"}}
			resp := s.do(t, method, "/api?user=ada@example.com", header)
			checkStripped(t, resp)
		}
	})

	t.Run("signed out resets the widget", func(t *testing.T) {
		header := browserHeaders()
		header.Set("Cookie", "hubspot_identified=1")
		resp := s.do(t, http.MethodGet, "/", header)
		if !strings.Contains(resp.body, "resetWidget") {
			t.Error("signed-out page lacks the widget reset")
		}
		checkStripped(t, resp)
	})
}
