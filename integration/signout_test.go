package integration

import (
	"net/http"
	"strings"
	"testing"
)

func TestSignOutResetsWidget(t *testing.T) {
	up := startUpstream(t)
	s := startSite(t, identifiedSite(up, ""))

	// Signed in: identified, and the browser is marked.
	signedIn := s.do(t, http.MethodGet, "/", visitorHeaders("ada@example.com"))
	injected(t, signedIn.body)
	marker := findCookie(signedIn.header, "hubspot_identified")
	if marker == nil || marker.Value != "1" || !marker.HttpOnly || marker.SameSite != http.SameSiteLaxMode || marker.MaxAge <= 0 {
		t.Fatalf("Set-Cookie = %q, want an HttpOnly, SameSite=Lax marker", signedIn.header.Values("Set-Cookie"))
	}

	// A marked browser already carries the marker, so it is not set again.
	again := visitorHeaders("ada@example.com")
	again.Set("Cookie", "hubspot_identified=1")
	if got := s.do(t, http.MethodGet, "/", again).header.Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("Set-Cookie for a marked browser = %q, want none", got)
	}

	// Signed out on the same browser: the widget reset, and the marker expires.
	signedOut := browserHeaders()
	signedOut.Set("Cookie", "session=abc; hubspot_identified=1")
	resp := s.do(t, http.MethodGet, "/", signedOut)
	if strings.Contains(resp.body, "identificationToken") {
		t.Error("signed-out page carries identification")
	}
	if !strings.Contains(resp.body, "HubSpotConversations.clear({resetWidget:true})") {
		t.Errorf("signed-out page lacks the widget reset:\n%.400s", resp.body)
	}
	if strings.Index(resp.body, "resetWidget") > strings.Index(resp.body, "hs-script-loader") {
		t.Error("the widget reset comes after HubSpot's loader")
	}
	expired := findCookie(resp.header, "hubspot_identified")
	if expired == nil || expired.MaxAge >= 0 {
		t.Errorf("Set-Cookie = %q, want the marker expired", resp.header.Values("Set-Cookie"))
	}
	if got := resp.header.Get("Cache-Control"); !strings.Contains(got, "private") {
		t.Errorf("Cache-Control = %q, want private", got)
	}

	// An anonymous browser that was never identified gets nothing.
	plain := s.do(t, http.MethodGet, "/", browserHeaders())
	if plain.body != page {
		t.Error("a browser without the marker got a changed page")
	}
	if got := s.emulator.TotalCalls(); got != 1 {
		t.Errorf("HubSpot calls = %d, want 1: a reset needs no token", got)
	}
}

func TestSignOutResetCanBeTurnedOff(t *testing.T) {
	up := startUpstream(t)
	s := startSite(t, identifiedSite(up, "reset_on_signout off"))

	if got := s.do(t, http.MethodGet, "/", visitorHeaders("ada@example.com")).header.Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("Set-Cookie with reset_on_signout off = %q, want none", got)
	}
	signedOut := browserHeaders()
	signedOut.Set("Cookie", "hubspot_identified=1")
	if resp := s.do(t, http.MethodGet, "/", signedOut); resp.body != page {
		t.Error("page changed with reset_on_signout off")
	}
}

// findCookie returns the cookie name set by a response's headers.
func findCookie(header http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
