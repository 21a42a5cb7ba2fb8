package integration

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestStreamedPageIsInjectedAndNotHeld serves a page whose upstream flushes
// the head and then waits: the client must get the injected head before the
// upstream sends the rest, which proves the page is not buffered.
func TestStreamedPageIsInjectedAndNotHeld(t *testing.T) {
	const head = "<!DOCTYPE html>\n<html>\n<head>\n<title>Feed</title>"
	const rest = "\n</head>\n<body>\n<p>Loaded later.</p>\n</body>\n</html>\n"

	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// Write in small pieces with flushes, the way a server-rendering
		// framework streams, so the head arrives over several chunks.
		for _, piece := range []string{"<!DOCTYPE html>\n<ht", "ml>\n<he", "ad>\n<title>Feed</title>"} {
			fmt.Fprint(w, piece)
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, rest)
	}))
	t.Cleanup(up.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})

	s := startSite(t, fmt.Sprintf(`
	hubspot_identify {
		access_token {env.HUBSPOT_ACCESS_TOKEN}
		email        {http.request.header.X-Auth-Request-Email}
		endpoint     {endpoint}
	}
	reverse_proxy %s
`, up.URL))

	header := visitorHeaders("ada@example.com")
	header.Del("Accept-Encoding")
	req, err := http.NewRequest(http.MethodGet, s.url+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	// Read until the title, which comes after the snippet, with the
	// upstream still holding the rest of the page.
	got := make(chan string, 1)
	go func() {
		reader := bufio.NewReader(resp.Body)
		var sb strings.Builder
		for !strings.Contains(sb.String(), "<title>Feed</title>") {
			b, err := reader.ReadByte()
			if err != nil {
				break
			}
			sb.WriteByte(b)
		}
		got <- sb.String()
		close(release)
		remaining, _ := io.ReadAll(reader)
		got <- string(remaining)
	}()

	var first string
	select {
	case first = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the injected head did not arrive while the upstream held the rest of the page")
	}

	email, token, withoutSnippet := injected(t, first)
	if email != "ada@example.com" {
		t.Errorf("identificationEmail = %q, want ada@example.com", email)
	}
	if err := s.emulator.Verify(token, "ada@example.com"); err != nil {
		t.Errorf("emulator rejects the injected token: %v", err)
	}
	if withoutSnippet != head {
		t.Errorf("head without the snippet = %q, want %q", withoutSnippet, head)
	}

	if remaining := <-got; remaining != rest {
		t.Errorf("rest of the page = %q, want %q", remaining, rest)
	}
	if got := resp.Header.Get("Cache-Control"); got != "private" {
		t.Errorf("Cache-Control = %q, want private", got)
	}
}
