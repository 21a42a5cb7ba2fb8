package integration

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPortalLoaderAdded(t *testing.T) {
	const plain = "<!DOCTYPE html>\n<html><head><title>Shop</title></head>\n<body><p>Welcome</p></body>\n</html>\n"
	const loader = `<script type="text/javascript" id="hs-script-loader" async defer src="http://127.0.0.1/hs-loader.js"></script>`
	pages := map[string]string{
		"/plain":    plain,
		"/has":      strings.Replace(plain, "</body>", `<script id="hs-script-loader" src="//js.hs-scripts.com/42.js"></script></body>`, 1),
		"/fragment": "<div>partial</div>",
		"/nobody":   "<!DOCTYPE html><title>t</title><p>no body end tag",
	}
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprint(w, pages[r.URL.Path])
	}))
	t.Cleanup(app.Close)

	s := startSite(t, fmt.Sprintf(`
	hubspot_identify {
		access_token {env.HUBSPOT_ACCESS_TOKEN}
		email        {http.request.header.X-Auth-Request-Email}
		endpoint     {endpoint}
		portal_id    42
		loader_url   http://127.0.0.1/hs-loader.js
	}
	reverse_proxy %s
`, app.URL))

	tests := []struct {
		name    string
		path    string
		visitor string
		want    string
	}{
		{"anonymous page", "/plain", "", strings.Replace(plain, "</body>", loader+"</body>", 1)},
		{"page with a loader", "/has", "", pages["/has"]},
		{"fragment", "/fragment", "", pages["/fragment"]},
		{"no body end tag", "/nobody", "", pages["/nobody"] + loader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.do(t, http.MethodGet, tt.path, browserHeaders())
			if resp.body != tt.want {
				t.Errorf("body = %q, want %q", resp.body, tt.want)
			}
			if tt.want != pages[tt.path] && resp.header.Get("ETag") != `W/"v1"` {
				t.Errorf("ETag = %q, want the weak W/\"v1\"", resp.header.Get("ETag"))
			}
		})
	}

	t.Run("visitor page", func(t *testing.T) {
		resp := s.do(t, http.MethodGet, "/plain", visitorHeaders("ada@example.com"))
		email, _, rest := injected(t, resp.body)
		if email != "ada@example.com" {
			t.Errorf("identified as %q", email)
		}
		if want := strings.Replace(plain, "</body>", loader+"</body>", 1); rest != want {
			t.Errorf("page without the identification = %q, want %q", rest, want)
		}
	})

	t.Run("not html", func(t *testing.T) {
		header := browserHeaders()
		header.Set("Accept", "application/json")
		resp := s.do(t, http.MethodGet, "/plain", header)
		if resp.body != plain {
			t.Errorf("body for a JSON request changed: %q", resp.body)
		}
	})
}
