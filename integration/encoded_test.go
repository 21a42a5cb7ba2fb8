package integration

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// compress encodes data with a content coding, as an upstream would.
func compress(t *testing.T, coding string, data []byte) []byte {
	t.Helper()

	var buf bytes.Buffer
	var w io.WriteCloser
	switch coding {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "deflate":
		w = zlib.NewWriter(&buf)
	case "br":
		w = brotli.NewWriter(&buf)
	case "zstd":
		zw, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	default:
		t.Fatalf("no encoder for %q", coding)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// encodedUpstream serves, at /<name>, a body with the Content-Encoding
// given for it, whatever the request's Accept-Encoding lists.
func encodedUpstream(t *testing.T, bodies map[string]struct {
	coding string
	body   []byte
}) *httptest.Server {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entry, ok := bodies[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", entry.coding)
		w.Header().Set("ETag", `"encoded-v1"`)
		w.Header().Set("Content-Length", fmt.Sprint(len(entry.body)))
		w.Write(entry.body)
	}))
	t.Cleanup(up.Close)
	return up
}

func TestCompressedUpstreamIsDecodedAndInjected(t *testing.T) {
	pageBytes := []byte(page)
	corrupt := compress(t, "gzip", pageBytes)
	corrupt = bytes.Clone(corrupt[:len(corrupt)-12]) // cut the end: truncated stream

	bodies := map[string]struct {
		coding string
		body   []byte
	}{
		"gzip":      {"gzip", compress(t, "gzip", pageBytes)},
		"deflate":   {"deflate", compress(t, "deflate", pageBytes)},
		"br":        {"br", compress(t, "br", pageBytes)},
		"zstd":      {"zstd", compress(t, "zstd", pageBytes)},
		"garbage":   {"gzip", []byte("this is not gzip at all, but claims to be")},
		"stacked":   {"gzip, br", []byte("two codings are passed through as they are")},
		"unknown":   {"compress", []byte("an obsolete coding is passed through")},
		"truncated": {"gzip", corrupt},
	}
	up := encodedUpstream(t, bodies)

	// The transport's own compression is off, so the upstream's encoded
	// body reaches the module as it was sent.
	s := startSite(t, fmt.Sprintf(`
	encode gzip
	hubspot_identify {
		access_token {env.HUBSPOT_ACCESS_TOKEN}
		email        {http.request.header.X-Auth-Request-Email}
		endpoint     {endpoint}
	}
	reverse_proxy %s {
		transport http {
			compression off
		}
	}
`, up.URL))

	for _, coding := range []string{"gzip", "deflate", "br", "zstd"} {
		t.Run(coding, func(t *testing.T) {
			resp := s.do(t, http.MethodGet, "/"+coding, visitorHeaders(coding+"@example.com"))

			if resp.status != http.StatusOK {
				t.Fatalf("status = %d, want 200", resp.status)
			}
			_, token, rest := injected(t, resp.body)
			if err := s.emulator.Verify(token, coding+"@example.com"); err != nil {
				t.Errorf("emulator rejects the injected token: %v", err)
			}
			if rest != page {
				t.Errorf("decoded page without the snippet differs from the upstream's:\n%s", rest)
			}
			if resp.encoding != "gzip" {
				t.Errorf("Content-Encoding = %q, want gzip from encode", resp.encoding)
			}
			if got := resp.header.Get("ETag"); got != "" {
				t.Errorf("ETag = %q, want the encoded representation's removed", got)
			}
		})
	}

	// Bodies that cannot be decoded pass through byte for byte. The client
	// accepts no encoding here, so encode leaves them alone.
	for _, name := range []string{"garbage", "stacked", "unknown"} {
		t.Run(name, func(t *testing.T) {
			header := visitorHeaders(name + "@example.com")
			header.Del("Accept-Encoding")
			resp := s.do(t, http.MethodGet, "/"+name, header)

			if resp.status != http.StatusOK {
				t.Fatalf("status = %d, want 200", resp.status)
			}
			if resp.body != string(bodies[name].body) {
				t.Errorf("body = %q, want the upstream's bytes %q", resp.body, bodies[name].body)
			}
			if got := resp.header.Get("Content-Encoding"); got != bodies[name].coding {
				t.Errorf("Content-Encoding = %q, want %q kept", got, bodies[name].coding)
			}
			if got := resp.header.Get("ETag"); got != `"encoded-v1"` {
				t.Errorf("ETag = %q, want the upstream's kept", got)
			}
		})
	}

	// A stream cut short after the injected head was sent must not look
	// like a complete page.
	t.Run("truncated", func(t *testing.T) {
		header := visitorHeaders("truncated@example.com")
		header.Del("Accept-Encoding")
		req, err := http.NewRequest(http.MethodGet, s.url+"/truncated", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header
		resp, err := s.client.Do(req)
		if err != nil {
			return // the connection was dropped before the headers: not complete either
		}
		defer resp.Body.Close()

		body, err := io.ReadAll(resp.Body)
		if err == nil {
			t.Errorf("read a complete %d-byte body of a truncated stream, want an error", len(body))
		}
	})
}
