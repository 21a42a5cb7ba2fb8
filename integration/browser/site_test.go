package browser

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/hsidentify/caddy-hubspot-identify/integration/caddyrun"
	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

const (
	testAccessToken = "pat-na1-0b6f4c2e-8d7a-4e1b-a3c9-5f2d8e7b1a64"

	// visitorPassword is every test visitor's password, for basic_auth
	// and for the sign-in service.
	visitorPassword = "correct horse battery staple"
)

// site is a running Caddy in front of the test site, with the HubSpot
// emulator minting tokens and its widget endpoint checking them.
type site struct {
	url      string
	emulator *hubspotemu.Emulator
	widget   *hubspotemu.Widget
}

// backends are the loopback servers that a front's Caddyfile refers to.
type backends struct {
	site     string // the test site's pages and the stand-in loader
	widget   string // the emulator's widget endpoint
	signIn   string // the sign-in service for forward_auth
	endpoint string // the emulator's token endpoint, for hubspot_identify
}

// front is a way for visitors to sign in, with the Caddy site that puts it
// in front of the test site.
type front struct {
	name string

	// siteBody returns the body of the Caddyfile site block.
	siteBody func(t *testing.T, b backends, visitors []string) string

	// signIn loads path in the tab as the visitor email, signing in first
	// if the front requires it.
	signIn func(tb *tab, s *site, path, email string)

	// signOut ends the visitor's sign-in in the tab.
	signOut func(tb *tab, s *site)
}

// identifyBlock returns the hubspot_identify directive with the visitor's
// email taken from emailPlaceholder. The timeout leaves room for a slow test
// machine, where a page served without identification would fail a test.
func identifyBlock(emailPlaceholder, endpoint string) string {
	return fmt.Sprintf(`hubspot_identify {
			access_token {env.HUBSPOT_ACCESS_TOKEN}
			email        %s
			endpoint     %s
			timeout      5s
		}`, emailPlaceholder, endpoint)
}

// basicAuthFront signs visitors in with Caddy's basic_auth on /account/*.
// The tab sends the Authorization header itself, as a browser does after
// the visitor answers the sign-in prompt.
var basicAuthFront = front{
	name: "basic_auth",

	siteBody: func(t *testing.T, b backends, visitors []string) string {
		var accounts strings.Builder
		for _, email := range visitors {
			// MinCost keeps hashing fast, and test passwords need no strength.
			hash, err := bcrypt.GenerateFromPassword([]byte(visitorPassword), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&accounts, "\t\t\t%s %s\n", email, hash)
		}

		return fmt.Sprintf(`
	handle /hs-widget/* {
		reverse_proxy %s
	}
	handle {
		basic_auth /account/* {
%s		}
		encode /account/gzip/* gzip
		%s
		reverse_proxy %s
	}
`, b.widget, accounts.String(), identifyBlock("{http.auth.user.id}", b.endpoint), b.site)
	},

	signIn: func(tb *tab, s *site, path, email string) {
		tb.t.Helper()

		credentials := base64.StdEncoding.EncodeToString([]byte(email + ":" + visitorPassword))
		tb.setHeaders(map[string]string{"Authorization": "Basic " + credentials})
		tb.navigate(s.url + path)
	},

	signOut: func(tb *tab, s *site) {
		tb.t.Helper()
		tb.setHeaders(nil)
	},
}

// forwardAuthFront signs visitors in through forward_auth to the sign-in
// service, in the layout of Caddyfile.example: a route that first removes
// the client's identity header, then lets forward_auth copy the service's.
var forwardAuthFront = front{
	name: "forward_auth",

	siteBody: func(t *testing.T, b backends, visitors []string) string {
		return fmt.Sprintf(`
	handle /hs-widget/* {
		reverse_proxy %[1]s
	}
	handle /login {
		reverse_proxy %[2]s
	}
	handle /logout {
		reverse_proxy %[2]s
	}
	handle {
		route {
			request_header -%[3]s
			forward_auth /account/* %[2]s {
				uri /auth
				copy_headers %[3]s
				@unauthenticated status 401
				handle_response @unauthenticated {
					redir * /login?rd={http.request.uri_escaped}
				}
			}
			encode /account/gzip/* gzip
			%[4]s
			reverse_proxy %[5]s
		}
	}
`, b.widget, b.signIn, authEmailHeader, identifyBlock("{http.request.header."+authEmailHeader+"}", b.endpoint), b.site)
	},

	signIn: func(tb *tab, s *site, path, email string) {
		tb.t.Helper()

		tb.navigate(s.url + path)
		if eval[string](tb, "location.pathname") != "/login" {
			return
		}
		tb.do(
			chromedp.SendKeys(chromedp.CSS("#email"), email),
			chromedp.SendKeys(chromedp.CSS("#password"), visitorPassword),
			chromedp.Click(chromedp.CSS("#sign-in")),
		)
		tb.waitFor(fmt.Sprintf("location.pathname === %q && document.readyState === \"complete\"", path))
	},

	signOut: func(tb *tab, s *site) {
		tb.t.Helper()

		tb.navigate(s.url + "/logout")
		tb.do(chromedp.Click(chromedp.CSS("#sign-out")))
		tb.waitFor(`location.pathname === "/login" && document.readyState === "complete"`)
	},
}

// startSite starts the emulator, the test site, the sign-in service and
// Caddy with f in front. Caddy runs in the test process, so at most one
// site runs at a time.
func startSite(t *testing.T, f front, visitors []string) *site {
	t.Helper()

	emulator := hubspotemu.New(hubspotemu.Options{AccessToken: testAccessToken})
	widget := hubspotemu.NewWidget(emulator)
	b := backends{
		site:   startServer(t, siteHandler()).URL,
		widget: startServer(t, widget).URL,
		signIn: startServer(t, newSignInService(visitorPassword, visitors)).URL,
	}
	b.endpoint = startServer(t, emulator).URL + hubspotemu.PathTokensCreate

	port, err := caddyrun.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	t.Setenv("HUBSPOT_ACCESS_TOKEN", testAccessToken)
	caddyfile := fmt.Sprintf(`{
	admin off
	auto_https off
	default_bind 127.0.0.1
	persist_config off
	storage file_system %s
	http_port %d
}

http://%s {
%s
}
`, t.TempDir(), port, addr, f.siteBody(t, b, visitors))

	stop, err := caddyrun.Start(caddyfile)
	if err != nil {
		t.Fatalf("starting Caddy: %v\n%s", err, caddyfile)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping Caddy: %v", err)
		}
	})

	return &site{url: "http://" + addr, emulator: emulator, widget: widget}
}

func startServer(t *testing.T, handler http.Handler) *httptest.Server {
	t.Helper()

	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)
	return server
}

// mark returns the number of widget loads recorded so far, to pass to
// waitLoads before the page under test loads.
func (s *site) mark() int {
	return len(s.widget.Loads())
}

// waitLoads waits until the page in tb has started at least n widget
// reports and has a response to each, and returns the loads the emulator
// recorded after mark.
func (s *site) waitLoads(tb *tab, mark, n int) []hubspotemu.WidgetLoad {
	tb.t.Helper()

	tb.waitFor(fmt.Sprintf("window.hsStandInLoader !== undefined && hsStandInLoader.started >= %d && "+
		"hsStandInLoader.finished === hsStandInLoader.started", n))
	if failed := eval[int](tb, "hsStandInLoader.failed"); failed != 0 {
		tb.t.Errorf("%d widget reports from %s failed, want none", failed, tb.location())
	}
	return s.widget.Loads()[mark:]
}
