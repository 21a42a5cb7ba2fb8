package browser

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

var screenshotPath = flag.String("screenshot", "", "write a PNG screenshot of an identified page to this `file`")

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// Time limits for one browser step and for waiting on a page's state.
const (
	stepTimeout = 15 * time.Second
	waitTimeout = 10 * time.Second
)

// violationWatcher runs before any script of each document and collects the
// page's Content-Security-Policy violations in window.cspViolations. It is
// added through the DevTools protocol, which the page's policy does not
// govern, so it also runs on pages whose policy would block it.
const violationWatcher = `window.cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
	window.cspViolations.push(e.effectiveDirective + " blocked " + (e.blockedURI || "?") + ": " + (e.sample || ""));
});`

// findChromium returns the path of the Chromium binary, or fails the test
// with how to install it. A missing browser is a failure and not a skip, so
// the suite cannot pass without running.
func findChromium(t *testing.T) string {
	t.Helper()

	if _, err := os.Stat(chromiumPath); err == nil {
		return chromiumPath
	}
	if path, err := exec.LookPath("chromium"); err == nil {
		return path
	}
	t.Fatalf("Chromium not found at %s or as chromium on PATH. These tests drive a real browser: "+
		"install it with `apt-get install -y chromium` (Debian) and run them again", chromiumPath)
	return ""
}

// startBrowser launches headless Chromium with a new profile and returns a
// context for it. Tabs opened with openTab share the process. The browser
// stops when the test ends.
func startBrowser(t *testing.T) context.Context {
	t.Helper()

	options := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(findChromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Every host but 127.0.0.1 fails to resolve, so nothing the browser
		// does on its own can leave the machine.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
	)
	allocator, cancelAllocator := chromedp.NewExecAllocator(context.Background(), options...)
	browser, cancelBrowser := chromedp.NewContext(allocator)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAllocator()
	})

	// The first Run starts the browser. It gets no timeout, because the
	// browser lives as long as the context of that call.
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return browser
}

// tab is one browser tab in a browser context of its own, so its cookies
// and cache are its own too. It records the page's uncaught exceptions and
// the response headers of each document it loads.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu         sync.Mutex
	exceptions []string
	documents  map[string]network.Headers // by URL path; the last response wins
}

func openTab(t *testing.T, browser context.Context) *tab {
	t.Helper()

	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx, documents: make(map[string]network.Headers)}

	// The first call opens the tab, with no timeout for the same reason as
	// in startBrowser.
	if err := chromedp.Listen(ctx, tb.record); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	tb.do(chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: violationWatcher})
		return err
	}))
	return tb
}

// record stores uncaught exceptions and document responses. It runs on
// chromedp's event loop, so it does nothing slow.
func (tb *tab) record(event any) {
	switch event := event.(type) {
	case *runtime.EventExceptionThrown:
		details := event.ExceptionDetails
		text := details.Text
		if details.Exception != nil && details.Exception.Description != "" {
			text = details.Exception.Description
		}
		tb.mu.Lock()
		tb.exceptions = append(tb.exceptions, fmt.Sprintf("%s (%s:%d)", text, details.URL, details.LineNumber+1))
		tb.mu.Unlock()

	case *network.EventResponseReceived:
		if event.Type != network.ResourceTypeDocument || event.Response == nil {
			return
		}
		u, err := url.Parse(event.Response.URL)
		if err != nil {
			return
		}
		tb.mu.Lock()
		tb.documents[u.Path] = event.Response.Headers
		tb.mu.Unlock()
	}
}

// do runs steps in the tab, failing the test on an error.
func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()

	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("browser: %v", err)
	}
}

// eval returns the value of a JavaScript expression in the page.
func eval[T any](tb *tab, expression string) T {
	tb.t.Helper()

	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	value, err := chromedp.Run(ctx, chromedp.Evaluate[T](expression))
	if err != nil {
		tb.t.Fatalf("evaluating %s: %v", expression, err)
	}
	return value
}

// waitFor evaluates a JavaScript expression every 20 ms until it is true.
// It polls from Go because chromedp.Poll compiles its predicate with
// new Function, which a page's Content-Security-Policy may block and report
// as a violation.
func (tb *tab) waitFor(expression string) {
	tb.t.Helper()

	deadline := time.Now().Add(waitTimeout)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expression))
		cancel()

		// An error does not end the wait at once, because a navigation
		// can replace the page between two checks.
		if err == nil && done {
			return
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("timed out after %v waiting for %s on %s (last error: %v)", waitTimeout, expression, tb.location(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// navigate loads a URL and waits for its load event.
func (tb *tab) navigate(rawURL string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(rawURL))
}

func (tb *tab) location() string {
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return fmt.Sprintf("(location unknown: %v)", err)
	}
	return location
}

// setHeaders makes the tab send header with every request, replacing the
// headers set before. An empty map removes them.
func (tb *tab) setHeaders(header map[string]string) {
	tb.t.Helper()

	headers := make(network.Headers, len(header))
	for name, value := range header {
		headers[name] = value
	}
	tb.do(chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: headers})
		return err
	}))
}

// documentHeader returns a header of the last document response for path,
// matching the name without regard to case, as HTTP does.
func (tb *tab) documentHeader(path, name string) (string, bool) {
	tb.mu.Lock()
	defer tb.mu.Unlock()

	headers, ok := tb.documents[path]
	if !ok {
		return "", false
	}
	for key, value := range headers {
		if strings.EqualFold(key, name) {
			text, _ := value.(string)
			return text, true
		}
	}
	return "", true
}

// seenDocument reports whether the tab received a document response for
// path.
func (tb *tab) seenDocument(path string) bool {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	_, ok := tb.documents[path]
	return ok
}

// checkClean fails the test if the page threw an uncaught exception or
// reported a Content-Security-Policy violation.
func (tb *tab) checkClean() {
	tb.t.Helper()

	tb.mu.Lock()
	exceptions := tb.exceptions
	tb.mu.Unlock()
	for _, exception := range exceptions {
		tb.t.Errorf("page threw an uncaught exception: %s", exception)
	}

	if violations := tb.violations(); len(violations) != 0 {
		tb.t.Errorf("page at %s reported Content-Security-Policy violations: %q", tb.location(), violations)
	}
}

// violations returns the Content-Security-Policy violations of the current
// document.
func (tb *tab) violations() []string {
	tb.t.Helper()
	return eval[[]string](tb, "window.cspViolations || []")
}

// screenshot saves a PNG of the whole page to path.
func (tb *tab) screenshot(path string) {
	tb.t.Helper()

	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	image, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("taking a screenshot: %v", err)
	}
	if err := os.WriteFile(path, image, 0o644); err != nil {
		tb.t.Fatalf("saving the screenshot: %v", err)
	}
	tb.t.Logf("screenshot of %s saved to %s", tb.location(), path)
}
