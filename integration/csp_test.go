package integration

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

var scriptElement = regexp.MustCompile(`<script( nonce="[^"]*")?>(\(function\(id\)\{[^<]*hsConversationsSettings[^<]*)</script>`)

func TestContentSecurityPolicy(t *testing.T) {
	policies := map[string]http.Header{
		"nonce":       {"Content-Security-Policy": {"script-src 'nonce-Zm9vYmFy' 'strict-dynamic'; object-src 'none'"}},
		"self":        {"Content-Security-Policy": {"default-src 'self'; img-src *"}},
		"inline":      {"Content-Security-Policy": {"script-src 'self' 'unsafe-inline'"}},
		"none":        {"Content-Security-Policy": {"script-src 'none'"}},
		"report-only": {"Content-Security-Policy-Report-Only": {"script-src 'self'"}},
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for name, values := range policies[strings.TrimPrefix(r.URL.Path, "/")] {
			w.Header()[name] = values
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", fmt.Sprint(len(page)))
		fmt.Fprint(w, page)
	}))
	t.Cleanup(up.Close)

	s := startSite(t, fmt.Sprintf(`
	hubspot_identify {
		access_token {env.HUBSPOT_ACCESS_TOKEN}
		email        {http.request.header.X-Auth-Request-Email}
		endpoint     {endpoint}
	}
	reverse_proxy %s
`, up.URL))

	get := func(t *testing.T, path string) response {
		t.Helper()
		header := visitorHeaders(strings.TrimPrefix(path, "/") + "@example.com")
		header.Del("Accept-Encoding")
		return s.do(t, http.MethodGet, path, header)
	}

	t.Run("nonce", func(t *testing.T) {
		resp := get(t, "/nonce")
		m := scriptElement.FindStringSubmatch(resp.body)
		if m == nil {
			t.Fatalf("no identification script in:\n%s", resp.body)
		}
		if m[1] != ` nonce="Zm9vYmFy"` {
			t.Errorf("script attributes = %q, want the policy's nonce", m[1])
		}
		if got, want := resp.header.Get("Content-Security-Policy"), policies["nonce"].Get("Content-Security-Policy"); got != want {
			t.Errorf("Content-Security-Policy = %q, want %q unchanged", got, want)
		}
	})

	t.Run("hash added", func(t *testing.T) {
		resp := get(t, "/self")
		m := scriptElement.FindStringSubmatch(resp.body)
		if m == nil {
			t.Fatalf("no identification script in:\n%s", resp.body)
		}
		if m[1] != "" {
			t.Errorf("script attributes = %q, want none", m[1])
		}
		sum := sha256.Sum256([]byte(m[2]))
		hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		want := "default-src 'self' " + hash + "; img-src *"
		if got := resp.header.Get("Content-Security-Policy"); got != want {
			t.Errorf("Content-Security-Policy = %q, want %q", got, want)
		}
	})

	t.Run("unsafe-inline", func(t *testing.T) {
		resp := get(t, "/inline")
		if scriptElement.FindStringSubmatch(resp.body) == nil {
			t.Fatalf("no identification script in:\n%s", resp.body)
		}
		if got, want := resp.header.Get("Content-Security-Policy"), policies["inline"].Get("Content-Security-Policy"); got != want {
			t.Errorf("Content-Security-Policy = %q, want %q unchanged, since a hash would turn unsafe-inline off", got, want)
		}
	})

	t.Run("no scripts allowed", func(t *testing.T) {
		resp := get(t, "/none")
		if resp.body != page {
			t.Errorf("body differs from the upstream's page under script-src 'none':\n%s", resp.body)
		}
		if got := resp.header.Get("Content-Security-Policy"); got != "script-src 'none'" {
			t.Errorf("Content-Security-Policy = %q, want it unchanged", got)
		}
	})

	t.Run("report-only left alone", func(t *testing.T) {
		resp := get(t, "/report-only")
		m := scriptElement.FindStringSubmatch(resp.body)
		if m == nil || m[1] != "" {
			t.Fatalf("want a plain identification script in:\n%s", resp.body)
		}
		if got := resp.header.Get("Content-Security-Policy-Report-Only"); got != "script-src 'self'" {
			t.Errorf("Content-Security-Policy-Report-Only = %q, want it unchanged", got)
		}
	})
}
