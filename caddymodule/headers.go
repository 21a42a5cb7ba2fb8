package caddymodule

import (
	"net/http"
	"strings"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/decode"
)

// isInjectable reports whether a response can carry the snippet: a 200
// HTML page in an ASCII-compatible charset whose Cache-Control does not
// forbid intermediaries to transform it (no-transform, RFC 9111).
func isInjectable(status int, header http.Header) bool {
	if status != http.StatusOK || hasDirective(header.Values("Cache-Control"), "no-transform") {
		return false
	}
	contentType := header.Get("Content-Type")
	return isHTML(contentType) && asciiCompatible(contentType)
}

// hasDirective reports whether Cache-Control values contain directive.
func hasDirective(values []string, directive string) bool {
	for _, value := range values {
		for d := range strings.SplitSeq(value, ",") {
			name, _, _ := strings.Cut(d, "=")
			if strings.EqualFold(strings.TrimSpace(name), directive) {
				return true
			}
		}
	}
	return false
}

// contentCoding returns the response's single content coding, "" for none
// or identity, and ok false if the codings are stacked or one is not
// supported, so the body cannot be decoded.
func contentCoding(header http.Header) (coding string, ok bool) {
	for _, value := range header.Values("Content-Encoding") {
		for c := range strings.SplitSeq(value, ",") {
			c = strings.TrimSpace(c)
			if c == "" || strings.EqualFold(c, "identity") {
				continue
			}
			if coding != "" || !decode.Supported(c) {
				return "", false
			}
			coding = c
		}
	}
	return coding, true
}

// isHTML reports whether a Content-Type is text/html, with any parameters.
func isHTML(contentType string) bool {
	mediaType, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mediaType), "text/html")
}

// asciiCompatible reports whether the charset parameter, if any, encodes
// ASCII as itself, which the scanner and the ASCII-only snippet rely on.
func asciiCompatible(contentType string) bool {
	_, params, _ := strings.Cut(contentType, ";")
	for param := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(param), "=")
		if !strings.EqualFold(name, "charset") {
			continue
		}
		value = strings.ToLower(strings.Trim(strings.TrimSpace(value), `"`))
		return !strings.HasPrefix(value, "utf-16") && !strings.HasPrefix(value, "utf-32") &&
			!strings.HasPrefix(value, "ucs-") && !strings.HasPrefix(value, "utf-7")
	}
	return true
}

// makePrivate changes the headers of a page that now carries one visitor's
// token: its length changed, validators would match other visitors' copies,
// and no shared cache may store it. The caller sets the new length.
func makePrivate(header http.Header) {
	header.Del("Content-Length")
	header.Del("ETag")
	header.Del("Last-Modified")

	// Cache-Control for CDNs (RFC 9213) and Surrogate-Control would let an
	// edge cache the page regardless of Cache-Control.
	header.Del("CDN-Cache-Control")
	header.Del("Surrogate-Control")

	header.Set("Cache-Control", privateCacheControl(header.Values("Cache-Control")))
}

// privateCacheControl returns the Cache-Control directives of values with
// the ones that allow shared caching removed and a bare "private" added.
// A qualified private="field" is replaced, because it leaves the rest of
// the response cacheable by shared caches.
func privateCacheControl(values []string) string {
	var kept []string
	for _, value := range values {
		for directive := range strings.SplitSeq(value, ",") {
			directive = strings.TrimSpace(directive)
			name, _, _ := strings.Cut(directive, "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "", "public", "private", "s-maxage", "proxy-revalidate":
				continue
			}
			kept = append(kept, directive)
		}
	}
	return strings.Join(append(kept, "private"), ", ")
}
