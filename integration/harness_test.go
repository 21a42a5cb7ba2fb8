package integration

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hsidentify/caddy-hubspot-identify/integration/caddyrun"
	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

const testAccessToken = "pat-na1-7d0c58e2-41a6-4f0b-9c1e-2b8f3a6d5e10"

// site is a running Caddy in front of a test upstream, with an emulator
// standing in for HubSpot.
type site struct {
	url       string
	emulator  *hubspotemu.Emulator
	emuURL    string
	client    *http.Client
	caddyfile string // as loaded, for reloads
	storage   string
}

// startSite starts an emulator and Caddy from a Caddyfile site block body.
// In body, {addr} is Caddy's address and {endpoint} the emulator's token
// endpoint. Caddy runs in this process, so tests using it must not run in
// parallel.
func startSite(t *testing.T, body string) *site {
	t.Helper()
	return startSiteWith(t, siteOptions{}, body)
}

// siteOptions changes what startSiteWith sets up.
type siteOptions struct {
	global   string               // extra global options
	admin    string               // admin endpoint address, or "" for none
	storage  string               // storage folder, or "" for a new one
	emulator *hubspotemu.Emulator // emulator to reuse, or nil for a new one
	emuURL   string               // its base URL, with emulator
}

func startSiteWith(t *testing.T, opts siteOptions, body string) *site {
	t.Helper()

	emulator, emuURL := opts.emulator, opts.emuURL
	if emulator == nil {
		emulator = hubspotemu.New(hubspotemu.Options{AccessToken: testAccessToken})
		emuServer := httptest.NewServer(emulator)
		t.Cleanup(emuServer.Close)
		emuURL = emuServer.URL
	}

	port, err := caddyrun.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	admin := "admin off"
	if opts.admin != "" {
		admin = "admin " + opts.admin
	}
	storage := opts.storage
	if storage == "" {
		storage = t.TempDir()
	}

	t.Setenv("HUBSPOT_ACCESS_TOKEN", testAccessToken)
	caddyfile := fmt.Sprintf(`{
	%s
	auto_https off
	default_bind 127.0.0.1
	persist_config off
	storage file_system %s
	http_port %d
	%s
}

http://%s {
%s
}
`, admin, storage, port, opts.global, addr, body)
	caddyfile = strings.ReplaceAll(caddyfile, "{endpoint}", emuURL+hubspotemu.PathTokensCreate)

	stop, err := caddyrun.Start(caddyfile)
	if err != nil {
		t.Fatalf("starting Caddy: %v\n%s", err, caddyfile)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping Caddy: %v", err)
		}
	})

	return &site{
		url:       "http://" + addr,
		emulator:  emulator,
		emuURL:    emuURL,
		caddyfile: caddyfile,
		storage:   storage,
		client: &http.Client{
			Timeout: 10 * time.Second,
			// Each test reads the raw encoding, so the transport must not
			// ask for gzip and decode it behind the test's back.
			Transport: &http.Transport{DisableCompression: true},
		},
	}
}

// response is a fetched response with its body decoded.
type response struct {
	status   int
	header   http.Header
	body     string
	encoding string // Content-Encoding as received
	rawSize  int    // body bytes as received, before decoding
}

// do sends a request and decodes a gzip body the way a browser would.
func (s *site) do(t *testing.T, method, path string, header http.Header) response {
	t.Helper()

	req, err := http.NewRequest(method, s.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range header {
		req.Header[name] = values
	}

	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	return s.read(t, resp)
}

// read reads a response body and decodes gzip the way a browser would.
func (s *site) read(t *testing.T, resp *http.Response) response {
	t.Helper()

	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}

	// A body labelled gzip that does not decode is kept as received, for
	// tests of responses that pass through untouched.
	body := raw
	encoding := resp.Header.Get("Content-Encoding")
	if encoding == "gzip" && len(raw) > 0 {
		if decoded, err := gunzip(raw); err == nil {
			body = decoded
		}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(body), encoding: encoding, rawSize: len(raw)}
}

func gunzip(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// visitorHeaders returns the request headers a browser sends for a page
// load, plus the identity header an auth proxy would set.
func visitorHeaders(email string) http.Header {
	header := browserHeaders()
	header.Set("X-Auth-Request-Email", email)
	return header
}

func browserHeaders() http.Header {
	return http.Header{
		"Accept":          {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
		"Accept-Encoding": {"gzip"},
		"Sec-Fetch-Dest":  {"document"},
	}
}

var snippetPattern = regexp.MustCompile(`<script>\(function\(id\)\{[^<]*hsConversationsSettings[^<]*\}\)\(\{"identificationEmail":"([^"]*)","identificationToken":"([A-Za-z0-9_.=-]+)"\}\);</script>`)

// injected returns the email and token of the one snippet in body, and body
// without it.
func injected(t *testing.T, body string) (email, token, rest string) {
	t.Helper()
	matches := snippetPattern.FindAllStringSubmatchIndex(body, -1)
	if len(matches) != 1 {
		t.Fatalf("found %d identification snippets, want 1, in body:\n%s", len(matches), body)
	}
	m := matches[0]
	return body[m[2]:m[3]], body[m[4]:m[5]], body[:m[0]] + body[m[1]:]
}
