package browser

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

// browserCase is one scenario, run once for each front.
type browserCase struct {
	name string

	// visitors are the local parts of the case's visitor emails. The front's
	// name is added, so every case and front has visitors of its own.
	visitors []string

	run func(t *testing.T, s *site, f front, tb *tab, emails []string)
}

var browserCases = []browserCase{
	{"loader at end of body", []string{"end-of-body"}, testLoaderAtEndOfBody},
	{"loader in head", []string{"head-async"}, testLoaderInHead},
	{"page assigns settings", []string{"deferred"}, testPageAssignsSettings},
	{"single-page app", []string{"spa"}, testSinglePageApp},
	{"sign out and in again", []string{"first", "second"}, testSignOutAndIn},
	{"encode gzip", []string{"gzip"}, testEncodeGzip},
	{"CSP nonce", []string{"csp-nonce"}, testCSPNonce},
	{"CSP violation seen", []string{"csp-blocked"}, testCSPViolationSeen},
	{"CSP self", []string{"csp-self"}, testCSPSelf},
}

func TestBasicAuth(t *testing.T) {
	runCases(t, basicAuthFront)
}

func TestForwardAuth(t *testing.T) {
	runCases(t, forwardAuthFront)
}

// runCases runs every browser case with f in front, in one browser. Each
// case gets a tab with a browser context of its own, so no cookie or
// session leaks between cases.
func runCases(t *testing.T, f front) {
	var visitors []string
	for _, c := range browserCases {
		visitors = append(visitors, visitorEmails(c, f)...)
	}
	browser := startBrowser(t)
	s := startSite(t, f, visitors)

	for _, c := range browserCases {
		t.Run(c.name, func(t *testing.T) {
			tb := openTab(t, browser)
			c.run(t, s, f, tb, visitorEmails(c, f))
		})
	}
}

func visitorEmails(c browserCase, f front) []string {
	emails := make([]string, len(c.visitors))
	for i, local := range c.visitors {
		emails[i] = local + "." + strings.ReplaceAll(f.name, "_", "-") + "@example.com"
	}
	return emails
}

// visitIdentified loads path as the visitor email and checks that the
// widget loaded once, identified as email with a token the emulator
// verifies, and that the page had no error or policy violation.
func visitIdentified(t *testing.T, s *site, f front, tb *tab, path, email string) {
	t.Helper()

	mark := s.mark()
	f.signIn(tb, s, path, email)
	loads := s.waitLoads(tb, mark, 1)

	if len(loads) != 1 {
		t.Fatalf("%s as %s: got widget loads %+v, want 1", path, email, loads)
	}
	checkLoad(t, loads[0], path, hubspotemu.WidgetKindLoad, email)
	checkSettingsEmail(t, tb, email)
	if !eval[bool](tb, `document.scripts[0].textContent.includes("identificationToken")`) {
		t.Errorf("%s as %s: the first script of the page is not the identification", path, email)
	}
	if got := s.emulator.Calls(email); got != 1 {
		t.Errorf("%s as %s: got %d token requests, want 1", path, email, got)
	}
	tb.checkClean()
}

// checkLoad checks one widget load. An empty email means the load must
// carry no identification at all.
func checkLoad(t *testing.T, load hubspotemu.WidgetLoad, page, kind, email string) {
	t.Helper()

	if load.Page != page || load.Kind != kind {
		t.Errorf("got widget %s on %s, want %s on %s", load.Kind, load.Page, kind, page)
	}
	if email == "" {
		if load.Email != "" || load.Verified || load.Error != "" {
			t.Errorf("%s on %s: got identification %+v, want none for an anonymous visitor", load.Kind, page, load)
		}
		return
	}
	if load.Email != email {
		t.Errorf("%s on %s: got identificationEmail %q, want %q", load.Kind, page, load.Email, email)
	}
	if !load.Verified {
		t.Errorf("%s on %s as %s: got token rejected (%s), want it verified", load.Kind, page, email, load.Error)
	}
}

// checkSettingsEmail checks the identificationEmail that the page's
// scripts see in window.hsConversationsSettings.
func checkSettingsEmail(t *testing.T, tb *tab, email string) {
	t.Helper()

	got := eval[string](tb, `(window.hsConversationsSettings || {}).identificationEmail || ""`)
	if got != email {
		t.Errorf("%s: got hsConversationsSettings.identificationEmail %q, want %q", tb.location(), got, email)
	}
}

func testLoaderAtEndOfBody(t *testing.T, s *site, f front, tb *tab, emails []string) {
	visitIdentified(t, s, f, tb, "/account/", emails[0])

	got := eval[string](tb, `document.getElementById("hs-stand-in-widget").textContent`)
	if want := "Chat: identified as " + emails[0]; got != want {
		t.Errorf("widget text: got %q, want %q", got, want)
	}
	if *screenshotPath != "" && f.name == forwardAuthFront.name {
		tb.screenshot(*screenshotPath)
	}
}

func testLoaderInHead(t *testing.T, s *site, f front, tb *tab, emails []string) {
	visitIdentified(t, s, f, tb, "/account/head-async/", emails[0])
}

// testPageAssignsSettings loads a page whose own head script assigns
// {loadImmediately: false} after the injected script, as HubSpot's
// documentation shows, and loads the widget on a click.
func testPageAssignsSettings(t *testing.T, s *site, f front, tb *tab, emails []string) {
	const path = "/account/deferred/"
	email := emails[0]
	mark := s.mark()
	f.signIn(tb, s, path, email)

	tb.waitFor("window.HubSpotConversations !== undefined")
	if eval[bool](tb, "HubSpotConversations.widget.status().loaded") {
		t.Errorf("%s: widget loaded before widget.load(), want loadImmediately: false honoured", path)
	}
	if started := eval[int](tb, "hsStandInLoader.started"); started != 0 {
		t.Errorf("%s: got %d widget reports before widget.load(), want 0", path, started)
	}
	if eval[bool](tb, "window.hsConversationsSettings.loadImmediately") {
		t.Errorf("%s: got loadImmediately true, want the page's false kept", path)
	}
	checkSettingsEmail(t, tb, email)

	tb.do(chromedp.Click(chromedp.CSS("#open-chat")))
	loads := s.waitLoads(tb, mark, 1)

	if len(loads) != 1 {
		t.Fatalf("%s: got widget loads %+v, want 1 after widget.load()", path, loads)
	}
	checkLoad(t, loads[0], path, hubspotemu.WidgetKindLoad, email)
	tb.checkClean()
}

// testSinglePageApp changes routes with history.pushState and
// history.back, and checks that the widget loaded once and kept the
// identification at every refresh.
func testSinglePageApp(t *testing.T, s *site, f front, tb *tab, emails []string) {
	email := emails[0]
	mark := s.mark()
	f.signIn(tb, s, "/account/spa/", email)
	s.waitLoads(tb, mark, 1)

	// A full page load would lose this property.
	eval[bool](tb, "window.sameDocument = true")

	back := chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool]("history.back(), true")(ctx, target)
		return err
	})
	routes := []struct {
		step chromedp.Action[chromedp.Void] // changes the route
		path string
		view string
	}{
		{chromedp.Click(chromedp.CSS("#nav-orders")), "/account/spa/orders", "Orders"},
		{chromedp.Click(chromedp.CSS("#nav-settings")), "/account/spa/settings", "Settings"},
		{back, "/account/spa/orders", "Orders"},
	}
	var loads []hubspotemu.WidgetLoad
	for i, route := range routes {
		tb.do(route.step)
		tb.waitFor(fmt.Sprintf(`location.pathname === %q && document.getElementById("view").textContent === %q`,
			route.path, route.view))

		// Waiting for each refresh keeps the reports in route order, which
		// concurrent requests would not.
		loads = s.waitLoads(tb, mark, 2+i)
	}

	want := []struct{ page, kind string }{
		{"/account/spa/", hubspotemu.WidgetKindLoad},
		{"/account/spa/orders", hubspotemu.WidgetKindRefresh},
		{"/account/spa/settings", hubspotemu.WidgetKindRefresh},
		{"/account/spa/orders", hubspotemu.WidgetKindRefresh},
	}
	if len(loads) != len(want) {
		t.Fatalf("got widget loads %+v, want %d", loads, len(want))
	}
	for i, w := range want {
		checkLoad(t, loads[i], w.page, w.kind, email)
	}

	if !eval[bool](tb, "window.sameDocument === true") {
		t.Error("the page was loaded again during route changes, want one document")
	}
	for _, route := range routes {
		if tb.seenDocument(route.path) {
			t.Errorf("got a document request for %s, want the route changed in the page", route.path)
		}
	}
	if got := s.emulator.Calls(email); got != 1 {
		t.Errorf("got %d token requests for %s, want 1", got, email)
	}
	tb.checkClean()
}

// testSignOutAndIn signs in as one visitor, signs out, loads a public page
// and signs in as another visitor in the same browser context. Each page
// must identify the visitor signed in when it loaded, or no visitor.
//
// The widget reset that the module injects after sign-out is not checked
// here: the stand-in reloads the widget when the page calls clear, which
// only adds another anonymous load.
func testSignOutAndIn(t *testing.T, s *site, f front, tb *tab, emails []string) {
	first, second := emails[0], emails[1]
	visitIdentified(t, s, f, tb, "/account/", first)

	f.signOut(tb, s)
	mark := s.mark()
	tb.navigate(s.url + "/public/")
	// The module injects the widget reset into the first page after
	// sign-out, so the widget loads and then reloads, anonymous both times.
	loads := s.waitLoads(tb, mark, 2)

	t.Logf("/public/ after sign-out: widget loads %+v", loads)

	// The reset's reload may reach the emulator before the first load, so
	// the order of the loads is not checked.
	kinds := make(map[string]int)
	for _, load := range loads {
		kinds[load.Kind]++
		checkLoad(t, load, "/public/", load.Kind, "")
	}
	if kinds[hubspotemu.WidgetKindLoad] != 1 || kinds[hubspotemu.WidgetKindReload] != 1 || kinds[hubspotemu.WidgetKindRefresh] != 0 {
		t.Errorf("/public/ after sign-out: got widget loads %+v, want one load and one reload from the widget reset", loads)
	}
	checkSettingsEmail(t, tb, "")
	if html := eval[string](tb, "document.documentElement.outerHTML"); strings.Contains(html, "identificationToken") {
		t.Errorf("/public/ after sign-out: page contains an identification token:\n%s", html)
	}
	tb.checkClean()

	visitIdentified(t, s, f, tb, "/account/", second)
	if html := eval[string](tb, "document.documentElement.outerHTML"); strings.Contains(html, first) {
		t.Errorf("/account/ as %s: page contains the previous visitor %s:\n%s", second, first, html)
	}
}

func testEncodeGzip(t *testing.T, s *site, f front, tb *tab, emails []string) {
	const path = "/account/gzip/"
	visitIdentified(t, s, f, tb, path, emails[0])

	if got, _ := tb.documentHeader(path, "Content-Encoding"); got != "gzip" {
		t.Errorf("%s: got Content-Encoding %q, want gzip from encode", path, got)
	}
}

func testCSPNonce(t *testing.T, s *site, f front, tb *tab, emails []string) {
	const path = "/account/csp-nonce/"
	visitIdentified(t, s, f, tb, path, emails[0])

	policy, _ := tb.documentHeader(path, "Content-Security-Policy")
	if !strings.Contains(policy, "'nonce-") || strings.Contains(policy, "'sha256-") {
		t.Errorf("%s: got Content-Security-Policy %q, want the page's nonce policy unchanged", path, policy)
	}
	if got, want := eval[string](tb, `document.getElementById("status").textContent`), "The page script ran."; got != want {
		t.Errorf("%s: got status %q, want %q", path, got, want)
	}
	if !eval[bool](tb, `document.scripts[0].nonce !== "" && document.scripts[0].nonce === document.getElementById("hs-script-loader").nonce`) {
		t.Errorf("%s: the identification script does not carry the page's nonce", path)
	}
}

// testCSPViolationSeen checks that the violation watcher records what the
// nonce policy blocks, so that a clean result elsewhere means something.
func testCSPViolationSeen(t *testing.T, s *site, f front, tb *tab, emails []string) {
	const path = "/account/csp-blocked/"
	email := emails[0]
	mark := s.mark()
	f.signIn(tb, s, path, email)
	loads := s.waitLoads(tb, mark, 1)

	if len(loads) != 1 {
		t.Fatalf("%s: got widget loads %+v, want 1", path, loads)
	}
	checkLoad(t, loads[0], path, hubspotemu.WidgetKindLoad, email)

	violations := tb.violations()
	if len(violations) != 1 || !strings.HasPrefix(violations[0], "script-src") {
		t.Errorf("%s: got violations %q, want one for the script without a nonce", path, violations)
	}
	if got, want := eval[string](tb, `document.getElementById("status").textContent`), "The script without a nonce has not run."; got != want {
		t.Errorf("%s: got status %q, want %q", path, got, want)
	}
}

func testCSPSelf(t *testing.T, s *site, f front, tb *tab, emails []string) {
	const path = "/account/csp-self/"
	visitIdentified(t, s, f, tb, path, emails[0])

	policy, _ := tb.documentHeader(path, "Content-Security-Policy")
	if !strings.HasPrefix(policy, "script-src 'self' 'sha256-") {
		t.Errorf("%s: got Content-Security-Policy %q, want the injected script's hash added to script-src", path, policy)
	}
}
