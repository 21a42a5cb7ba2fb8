package integration

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

// page is the upstream's document: long enough for encode to compress it,
// with the charset declaration first in the head and HubSpot's loader after.
var page = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Account</title>
<script id="hs-script-loader" async defer src="//js.hs-scripts.com/123456.js"></script>
</head>
<body>
<h1>Welcome back</h1>
` + strings.Repeat("<p>Your account overview.</p>\n", 40) + `</body>
</html>
`

const pageETag = `"page-v1"`

// upstream is a real HTTP server standing in for the site behind Caddy. It
// records the headers of the last page request it received.
type upstream struct {
	*httptest.Server

	mu         sync.Mutex
	lastHeader http.Header
}

func startUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	mux := http.NewServeMux()

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.lastHeader = r.Header.Clone()
		u.mu.Unlock()

		w.Header().Set("ETag", pageETag)
		w.Header().Set("Last-Modified", "Wed, 02 Dec 2026 10:00:00 GMT")
		w.Header().Set("Cache-Control", "public, max-age=60, s-maxage=600")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.Header.Get("If-None-Match") == pageETag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(page)))
		if r.Method == http.MethodHead {
			return
		}
		fmt.Fprint(w, page)
	})

	mux.HandleFunc("/data.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"head":"<head>"}`)
	})

	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<!DOCTYPE html><html><head><title>Not found</title></head></html>")
	})

	mux.HandleFunc("/submit", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, page)
	})

	u.Server = httptest.NewServer(mux)
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) lastRequestHeader() http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.lastHeader
}

func proxySite(t *testing.T, up *upstream, timeout string) *site {
	t.Helper()
	return startSite(t, fmt.Sprintf(`
	encode gzip
	hubspot_identify {
		access_token {env.HUBSPOT_ACCESS_TOKEN}
		email        {http.request.header.X-Auth-Request-Email}
		endpoint     {endpoint}
		timeout      %s
	}
	reverse_proxy %s
`, timeout, up.URL))
}

func TestReverseProxyInjectsForVisitor(t *testing.T) {
	up := startUpstream(t)
	s := proxySite(t, up, "2s")

	header := visitorHeaders("Ada.Lovelace@Example.com")
	header.Set("Accept-Encoding", "br, zstd, gzip")
	header.Set("If-None-Match", pageETag)
	header.Set("Range", "bytes=0-10")
	resp := s.do(t, http.MethodGet, "/", header)

	if resp.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.status)
	}
	if resp.encoding != "gzip" {
		t.Errorf("Content-Encoding = %q, want gzip from encode", resp.encoding)
	}

	email, token, rest := injected(t, resp.body)
	if email != "Ada.Lovelace@Example.com" {
		t.Errorf("identificationEmail = %q, want the address as given", email)
	}
	if err := s.emulator.Verify(token, "ada.lovelace@example.com"); err != nil {
		t.Errorf("emulator rejects the injected token: %v", err)
	}
	if rest != page {
		t.Errorf("page without the snippet differs from the upstream's:\n%s", rest)
	}

	snippetAt := strings.Index(resp.body, "hsConversationsSettings")
	if charsetAt := strings.Index(resp.body, `<meta charset="utf-8">`); snippetAt < charsetAt {
		t.Errorf("snippet at %d comes before the charset declaration at %d", snippetAt, charsetAt)
	}
	if loaderAt := strings.Index(resp.body, "hs-script-loader"); snippetAt > loaderAt {
		t.Errorf("snippet at %d comes after HubSpot's loader at %d", snippetAt, loaderAt)
	}

	for _, name := range []string{"ETag", "Last-Modified"} {
		if got := resp.header.Get(name); got != "" {
			t.Errorf("%s = %q, want it removed from an identified page", name, got)
		}
	}
	if got := resp.header.Get("Content-Length"); got != "" && got != fmt.Sprint(resp.rawSize) {
		t.Errorf("Content-Length = %s, want it removed or %d as received", got, resp.rawSize)
	}
	if got, want := resp.header.Get("Cache-Control"), "max-age=60, private"; got != want {
		t.Errorf("Cache-Control = %q, want %q", got, want)
	}

	sent := up.lastRequestHeader()
	for _, name := range []string{"If-None-Match", "Range"} {
		if got := sent.Get(name); got != "" {
			t.Errorf("upstream received %s = %q, want it removed for a visitor's page", name, got)
		}
	}
	// reverse_proxy's transport may request gzip on its own, and then
	// decodes the response itself. The client's list must not get through.
	if got := sent.Get("Accept-Encoding"); got != "" && got != "gzip" {
		t.Errorf("upstream received Accept-Encoding = %q, want the client's removed", got)
	}
}

// waitForCalls waits up to two seconds for the emulator to have seen want
// calls for email, and returns the count it last saw.
func waitForCalls(emulator *hubspotemu.Emulator, email string, want int) int {
	deadline := time.Now().Add(2 * time.Second)
	for {
		calls := emulator.Calls(email)
		if calls >= want || time.Now().After(deadline) {
			return calls
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sameETag reports whether etag is the upstream's, as sent or with the
// suffix encode adds to a compressed representation.
func sameETag(etag string) bool {
	return etag == pageETag || etag == `"page-v1-gzip"`
}

func TestReverseProxyCorrectsContentLength(t *testing.T) {
	up := startUpstream(t)
	s := proxySite(t, up, "2s")

	header := visitorHeaders("ada@example.com")
	header.Del("Accept-Encoding")
	resp := s.do(t, http.MethodGet, "/", header)

	if resp.encoding != "" {
		t.Fatalf("Content-Encoding = %q, want none for a client that accepts none", resp.encoding)
	}
	_, _, rest := injected(t, resp.body)
	if rest != page {
		t.Errorf("page without the snippet differs from the upstream's:\n%s", rest)
	}
	if got, want := resp.header.Get("Content-Length"), fmt.Sprint(len(resp.body)); got != want {
		t.Errorf("Content-Length = %q, want %s, the injected page's length", got, want)
	}
}

func TestReverseProxyReusesCachedToken(t *testing.T) {
	up := startUpstream(t)
	s := proxySite(t, up, "2s")

	_, first, _ := injected(t, s.do(t, http.MethodGet, "/", visitorHeaders("ada@example.com")).body)
	_, second, _ := injected(t, s.do(t, http.MethodGet, "/", visitorHeaders("ADA@example.com")).body)

	if first != second {
		t.Errorf("second page view got a new token, want the cached one")
	}
	if got := s.emulator.Calls("ada@example.com"); got != 1 {
		t.Errorf("HubSpot calls for the visitor = %d, want 1", got)
	}
}

func TestReverseProxyAnonymousUntouched(t *testing.T) {
	up := startUpstream(t)
	s := proxySite(t, up, "2s")

	tests := []struct {
		name  string
		email string
	}{
		{"no identity header", ""},
		{"invalid address", "not-an-email"},
		{"display name", "Ada <ada@example.com>"},
		{"unresolved placeholder", "{http.auth.user.id}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := browserHeaders()
			if tt.email != "" {
				header.Set("X-Auth-Request-Email", tt.email)
			}
			resp := s.do(t, http.MethodGet, "/", header)

			if resp.status != http.StatusOK {
				t.Fatalf("status = %d, want 200", resp.status)
			}
			if resp.body != page {
				t.Errorf("body differs from the upstream's page:\n%s", resp.body)
			}
			if got := resp.header.Get("ETag"); !sameETag(got) {
				t.Errorf("ETag = %q, want %q kept", got, pageETag)
			}
			if got, want := resp.header.Get("Cache-Control"), "public, max-age=60, s-maxage=600"; got != want {
				t.Errorf("Cache-Control = %q, want %q kept", got, want)
			}
		})
	}
	if got := s.emulator.TotalCalls(); got != 0 {
		t.Errorf("HubSpot calls = %d, want 0 without a visitor", got)
	}
}

func TestReverseProxyPassThrough(t *testing.T) {
	up := startUpstream(t)
	s := proxySite(t, up, "2s")

	// Each case has its own visitor, so the emulator's count per email
	// shows whether that request started a token lookup.
	fetchHeaders := func(email string) http.Header {
		header := visitorHeaders(email)
		header.Set("Sec-Fetch-Dest", "empty")
		header.Set("Accept", "*/*")
		return header
	}
	conditional := fetchHeaders("fetch@example.com")
	conditional.Set("If-None-Match", pageETag)

	tests := []struct {
		name       string
		method     string
		path       string
		header     http.Header
		wantStatus int
		wantBody   string
		wantLookup bool
	}{
		{"head", http.MethodHead, "/", visitorHeaders("head@example.com"), http.StatusOK, "", false},
		{"post", http.MethodPost, "/submit", visitorHeaders("post@example.com"), http.StatusOK, page, false},
		{"json fetched", http.MethodGet, "/data.json", fetchHeaders("json@example.com"), http.StatusOK, `{"head":"<head>"}`, false},
		{"revalidation by a fetch", http.MethodGet, "/", conditional, http.StatusNotModified, "", false},
		// A navigation starts the lookup before the response is known, so
		// HubSpot's latency overlaps the upstream's.
		{"json navigated to", http.MethodGet, "/data.json", visitorHeaders("navigate@example.com"), http.StatusOK, `{"head":"<head>"}`, true},
		{"not found page", http.MethodGet, "/missing", visitorHeaders("missing@example.com"), http.StatusNotFound, "<!DOCTYPE html><html><head><title>Not found</title></head></html>", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.do(t, tt.method, tt.path, tt.header)

			if resp.status != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.status, tt.wantStatus)
			}
			if resp.body != tt.wantBody {
				t.Errorf("body = %q, want %q", resp.body, tt.wantBody)
			}
			if tt.path == "/" && !sameETag(resp.header.Get("ETag")) {
				t.Errorf("ETag = %q, want %q kept", resp.header.Get("ETag"), pageETag)
			}

			// A lookup runs in the background and may reach the emulator
			// after the response.
			email := tt.header.Get("X-Auth-Request-Email")
			if tt.wantLookup {
				if calls := waitForCalls(s.emulator, email, 1); calls != 1 {
					t.Errorf("HubSpot calls = %d, want 1 for a navigation", calls)
				}
			} else if calls := s.emulator.Calls(email); calls != 0 {
				t.Errorf("HubSpot calls = %d, want 0 for a response that is never injected", calls)
			}
		})
	}
}

func TestHubSpotFailureServesPageUnchanged(t *testing.T) {
	tests := []struct {
		name    string
		fault   hubspotemu.Fault
		latency time.Duration
	}{
		{"server error", hubspotemu.FaultServerError, 0},
		{"unavailable", hubspotemu.FaultUnavailable, 0},
		{"garbage body", hubspotemu.FaultGarbage, 0},
		{"token that would end the script", hubspotemu.FaultBadToken, 0},
		{"dropped connection", hubspotemu.FaultDrop, 0},
		{"slower than timeout", hubspotemu.FaultNone, 3 * time.Second},
	}
	up := startUpstream(t)
	s := proxySite(t, up, "300ms")

	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.emulator.SetFault(tt.fault)
			s.emulator.SetLatency(tt.latency)
			t.Cleanup(s.emulator.Reset)

			// A new visitor per case, so no cached token hides the fault.
			start := time.Now()
			resp := s.do(t, http.MethodGet, "/", visitorHeaders(fmt.Sprintf("visitor%d@example.com", i)))
			elapsed := time.Since(start)

			if resp.status != http.StatusOK {
				t.Fatalf("status = %d, want 200", resp.status)
			}
			if resp.body != page {
				t.Errorf("body differs from the upstream's page:\n%s", resp.body)
			}
			if strings.Contains(resp.body, "identificationToken") {
				t.Error("page carries an identification token despite the failure")
			}
			// The page waits at most the 300ms timeout; the bound leaves
			// room for a slow, loaded machine without hiding a wait on the
			// 3s response.
			if elapsed > 2*time.Second {
				t.Errorf("page took %v, want it served within the timeout", elapsed)
			}
			if got := s.emulator.Calls(fmt.Sprintf("visitor%d@example.com", i)); got != 1 {
				t.Errorf("HubSpot calls = %d, want 1", got)
			}
		})
	}
}

func TestConcurrentColdVisitorOneCall(t *testing.T) {
	up := startUpstream(t)
	s := proxySite(t, up, "5s")
	s.emulator.SetLatency(200 * time.Millisecond)

	const requests = 20
	tokens := make([]string, requests)
	var wg sync.WaitGroup
	for i := range requests {
		wg.Go(func() {
			resp := s.do(t, http.MethodGet, "/", visitorHeaders("grace@example.com"))
			_, tokens[i], _ = injected(t, resp.body)
		})
	}
	wg.Wait()

	if got := s.emulator.Calls("grace@example.com"); got != 1 {
		t.Errorf("HubSpot calls = %d for %d concurrent page views, want 1", got, requests)
	}
	for i, token := range tokens {
		if token != tokens[0] {
			t.Errorf("request %d got a different token than request 0", i)
		}
	}
}

func TestFileServerInjects(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "index.html"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "style.css"), []byte("head { color: red }"), 0o644); err != nil {
		t.Fatal(err)
	}

	s := startSite(t, fmt.Sprintf(`
	encode gzip
	hubspot_identify {
		access_token {env.HUBSPOT_ACCESS_TOKEN}
		email        {http.request.header.X-Auth-Request-Email}
		endpoint     {endpoint}
	}
	root * %s
	file_server
`, root))

	resp := s.do(t, http.MethodGet, "/", visitorHeaders("ada@example.com"))
	if resp.status != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.status)
	}
	_, token, rest := injected(t, resp.body)
	if err := s.emulator.Verify(token, "ada@example.com"); err != nil {
		t.Errorf("emulator rejects the injected token: %v", err)
	}
	if rest != page {
		t.Errorf("page without the snippet differs from the file:\n%s", rest)
	}
	if got := resp.header.Get("ETag"); got != "" {
		t.Errorf("ETag = %q, want it removed", got)
	}

	anonymous := s.do(t, http.MethodGet, "/", browserHeaders())
	if anonymous.body != page {
		t.Errorf("anonymous body differs from the file:\n%s", anonymous.body)
	}
	if anonymous.header.Get("ETag") == "" {
		t.Error("anonymous response lost file_server's ETag")
	}

	css := s.do(t, http.MethodGet, "/style.css", visitorHeaders("ada@example.com"))
	if css.body != "head { color: red }" {
		t.Errorf("style.css = %q, want it unchanged", css.body)
	}

	etag := anonymous.header.Get("ETag")
	revalidate := browserHeaders()
	revalidate.Set("If-None-Match", etag)
	if got := s.do(t, http.MethodGet, "/", revalidate).status; got != http.StatusNotModified {
		t.Errorf("anonymous revalidation status = %d, want 304", got)
	}
	revalidate.Set("X-Auth-Request-Email", "ada@example.com")
	if got := s.do(t, http.MethodGet, "/", revalidate); got.status != http.StatusOK || !strings.Contains(got.body, "identificationToken") {
		t.Errorf("visitor revalidation status = %d, want 200 with a fresh identified page", got.status)
	}
}
