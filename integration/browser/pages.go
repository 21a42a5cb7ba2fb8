package browser

import (
	"crypto/rand"
	"embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"
)

//go:embed assets
var assets embed.FS

var pageTemplates = template.Must(template.ParseFS(assets, "assets/*.html"))

// loaderPath is the path of the stand-in for HubSpot's loader script.
const loaderPath = "/hs-loader.js"

// spaPrefix is the path prefix of the single-page app. Every path under it
// serves the same document, as a server does for client-side routes.
const spaPrefix = "/account/spa/"

// sitePage is one page of the test site.
type sitePage struct {
	template string // file name in assets

	// policy returns the Content-Security-Policy for a response with the
	// given nonce, or "" for none. Nil means no policy.
	policy func(nonce string) string
}

func noncePolicy(nonce string) string {
	return "script-src 'nonce-" + nonce + "' 'strict-dynamic'; object-src 'none'; base-uri 'none'"
}

func selfPolicy(string) string {
	return "script-src 'self'; object-src 'none'"
}

// sitePages maps each URL path of the test site to its page. Pages under
// /account/ need a signed-in visitor.
var sitePages = map[string]sitePage{
	"/public/":              {template: "public.html"},
	"/account/":             {template: "account.html"},
	"/account/head-async/":  {template: "head-async.html"},
	"/account/deferred/":    {template: "deferred-load.html"},
	"/account/gzip/":        {template: "gzip.html"},
	"/account/csp-nonce/":   {template: "csp-nonce.html", policy: noncePolicy},
	"/account/csp-blocked/": {template: "csp-violation.html", policy: noncePolicy},
	"/account/csp-self/":    {template: "csp-self.html", policy: selfPolicy},
}

// siteHandler serves the test site that Caddy proxies to: the pages in
// sitePages, the single-page app under spaPrefix and the stand-in loader.
// It does not check who is signed in, because Caddy does that in front.
func siteHandler() http.Handler {
	return http.HandlerFunc(serveSite)
}

func serveSite(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == loaderPath {
		serveLoader(w, r)
		return
	}

	page, ok := sitePages[r.URL.Path]
	if !ok && strings.HasPrefix(r.URL.Path, spaPrefix) {
		page, ok = sitePage{template: "spa.html"}, true
	}
	if !ok {
		http.NotFound(w, r)
		return
	}

	nonce := newNonce()
	if page.policy != nil {
		w.Header().Set("Content-Security-Policy", page.policy(nonce))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")

	data := struct{ Nonce string }{nonce}
	if err := pageTemplates.ExecuteTemplate(w, page.template, data); err != nil {
		http.Error(w, "executing template "+page.template+": "+err.Error(), http.StatusInternalServerError)
	}
}

func serveLoader(w http.ResponseWriter, r *http.Request) {
	script, err := assets.ReadFile("assets/hs-loader.js")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Write(script)
}

// newNonce returns a nonce for one response: 128 random bits in base64, the
// minimum that Content Security Policy Level 3 recommends.
func newNonce() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}
