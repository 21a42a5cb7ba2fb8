package caddymodule

import (
	"net/http"
	"testing"
)

func TestPrivateCacheControl(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, "private"},
		{[]string{"public, max-age=600"}, "max-age=600, private"},
		{[]string{"max-age=60, s-maxage=3600"}, "max-age=60, private"},
		{[]string{"PUBLIC", "S-MaxAge=10"}, "private"},
		{[]string{`private="Set-Cookie", max-age=5`}, "max-age=5, private"},
		{[]string{"no-store"}, "no-store, private"},
		{[]string{"no-cache, proxy-revalidate"}, "no-cache, private"},
	}
	for _, tt := range tests {
		if got := privateCacheControl(tt.in); got != tt.want {
			t.Errorf("privateCacheControl(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMakePrivate(t *testing.T) {
	header := http.Header{
		"Content-Length":    {"1234"},
		"Etag":              {`"abc"`},
		"Last-Modified":     {"Wed, 02 Dec 2026 10:00:00 GMT"},
		"Cache-Control":     {"public, max-age=300"},
		"Cdn-Cache-Control": {"max-age=86400"},
		"Surrogate-Control": {"max-age=86400"},
		"Content-Type":      {"text/html; charset=utf-8"},
	}
	makePrivate(header)

	for _, name := range []string{"Content-Length", "ETag", "Last-Modified", "CDN-Cache-Control", "Surrogate-Control"} {
		if got := header.Get(name); got != "" {
			t.Errorf("%s = %q after makePrivate, want it removed", name, got)
		}
	}
	if got, want := header.Get("Cache-Control"), "max-age=300, private"; got != want {
		t.Errorf("Cache-Control = %q, want %q", got, want)
	}
	if got, want := header.Get("Content-Type"), "text/html; charset=utf-8"; got != want {
		t.Errorf("Content-Type = %q, want %q (unchanged)", got, want)
	}
}

func TestIsInjectable(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header http.Header
		want   bool
	}{
		{"html", 200, http.Header{"Content-Type": {"text/html"}}, true},
		{"html with charset", 200, http.Header{"Content-Type": {"Text/HTML; Charset=UTF-8"}}, true},
		{"html identity encoding", 200, http.Header{"Content-Type": {"text/html"}, "Content-Encoding": {"identity"}}, true},
		{"no-transform", 200, http.Header{"Content-Type": {"text/html"}, "Cache-Control": {"private, No-Transform"}}, false},
		{"utf-16", 200, http.Header{"Content-Type": {`text/html; charset="UTF-16LE"`}}, false},
		{"json", 200, http.Header{"Content-Type": {"application/json"}}, false},
		{"xhtml", 200, http.Header{"Content-Type": {"application/xhtml+xml"}}, false},
		{"no type", 200, http.Header{}, false},
		{"not found", 404, http.Header{"Content-Type": {"text/html"}}, false},
		{"partial", 206, http.Header{"Content-Type": {"text/html"}}, false},
		{"not modified", 304, http.Header{"Content-Type": {"text/html"}}, false},
	}
	for _, tt := range tests {
		if got := isInjectable(tt.status, tt.header); got != tt.want {
			t.Errorf("%s: isInjectable(%d, %v) = %v, want %v", tt.name, tt.status, tt.header, got, tt.want)
		}
	}
}

func TestContentCoding(t *testing.T) {
	tests := []struct {
		values     []string
		wantCoding string
		wantOK     bool
	}{
		{nil, "", true},
		{[]string{"identity"}, "", true},
		{[]string{"gzip"}, "gzip", true},
		{[]string{"BR"}, "BR", true},
		{[]string{"zstd"}, "zstd", true},
		{[]string{"gzip, br"}, "", false},
		{[]string{"gzip", "gzip"}, "", false},
		{[]string{"compress"}, "", false},
	}
	for _, tt := range tests {
		header := http.Header{"Content-Encoding": tt.values}
		coding, ok := contentCoding(header)
		if coding != tt.wantCoding || ok != tt.wantOK {
			t.Errorf("contentCoding(%q) = (%q, %v), want (%q, %v)", tt.values, coding, ok, tt.wantCoding, tt.wantOK)
		}
	}
}

func TestAcceptsDocument(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   bool
	}{
		{"no headers", http.Header{}, true},
		{"navigation", http.Header{"Accept": {"text/html"}, "Sec-Fetch-Dest": {"document"}}, true},
		{"iframe", http.Header{"Accept": {"text/html"}, "Sec-Fetch-Dest": {"iframe"}}, true},
		{"fetch", http.Header{"Accept": {"text/html"}, "Sec-Fetch-Dest": {"empty"}}, false},
		{"script", http.Header{"Accept": {"*/*"}, "Sec-Fetch-Dest": {"script"}}, false},
		{"json client", http.Header{"Accept": {"application/json"}}, false},
	}
	for _, tt := range tests {
		r := &http.Request{Header: tt.header}
		if got := acceptsDocument(r); got != tt.want {
			t.Errorf("%s: acceptsDocument(%v) = %v, want %v", tt.name, tt.header, got, tt.want)
		}
	}
}

func TestIsDocumentRequest(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   bool
	}{
		{"no headers", http.Header{}, true},
		{"browser navigation", http.Header{"Accept": {"text/html,application/xhtml+xml,*/*;q=0.8"}, "Sec-Fetch-Dest": {"document"}}, true},
		{"fetch", http.Header{"Accept": {"*/*"}, "Sec-Fetch-Dest": {"empty"}}, false},
		{"image", http.Header{"Accept": {"image/avif,image/webp"}, "Sec-Fetch-Dest": {"image"}}, false},
		{"json only", http.Header{"Accept": {"application/json"}}, false},
		{"html refused", http.Header{"Accept": {"text/html;q=0, application/json"}}, false},
		{"html refused with zeros", http.Header{"Accept": {"text/html; q=0.000"}}, false},
		{"html low quality", http.Header{"Accept": {"text/html;q=0.1"}}, true},
		{"any text", http.Header{"Accept": {"text/*"}}, true},
		{"iframe", http.Header{"Accept": {"text/html"}, "Sec-Fetch-Dest": {"iframe"}}, false},
	}
	for _, tt := range tests {
		r := &http.Request{Header: tt.header}
		if got := isDocumentRequest(r); got != tt.want {
			t.Errorf("%s: isDocumentRequest(%v) = %v, want %v", tt.name, tt.header, got, tt.want)
		}
	}
}

func TestPlaceholderKey(t *testing.T) {
	tests := map[string]string{
		"{http.auth.user.id}":                        "http.auth.user.id",
		"{http.request.header.X-Auth-Request-Email}": "http.request.header.X-Auth-Request-Email",
		"{a}{b}":                   "",
		"user-{http.auth.user.id}": "",
		"ada@example.com":          "",
		"{}":                       "",
		`{http.request.header.X\}`: "",
	}
	for value, want := range tests {
		if got := placeholderKey(value); got != want {
			t.Errorf("placeholderKey(%q) = %q, want %q", value, got, want)
		}
	}
}
