package caddymodule

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/csp"
	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/inject"
)

// loaderMarkers are the strings that show a page already loads HubSpot's
// chat widget: the loader's host and the id HubSpot's embed code gives it.
var loaderMarkers = []string{"js.hs-scripts.com/", "hs-script-loader"}

// loaderURL returns the URL of HubSpot's loader script for the portal.
func (h *Handler) loaderURL() string {
	if h.LoaderURL != "" {
		return h.LoaderURL
	}
	return "https://js.hs-scripts.com/" + h.PortalID + ".js"
}

// newBodyEnd returns the writer that adds HubSpot's loader before the end
// of the body, with the nonce of the page's Content-Security-Policy if it
// has one, or nil if no portal is configured.
func (rw *responseWriter) newBodyEnd(header http.Header) *inject.BodyEndWriter {
	h := rw.handler
	if h.PortalID == "" {
		return nil
	}

	var b strings.Builder
	b.WriteString(`<script type="text/javascript" id="hs-script-loader" async defer src="`)
	b.WriteString(html.EscapeString(h.loaderURL()))
	b.WriteByte('"')
	if policies := header.Values("Content-Security-Policy"); len(policies) > 0 {
		if nonce := csp.Check(policies).Nonce; nonce != "" {
			b.WriteString(` nonce="` + html.EscapeString(nonce) + `"`)
		}
	}
	b.WriteString("></script>")

	markers := append([]string{h.loaderURL()}, loaderMarkers...)
	return inject.NewBodyEndWriter(rw.ResponseWriter, []byte(b.String()), markers...)
}

// bodyWriter is the injector's destination: the loader writer once the
// response is known to be a document, the wrapped writer before that.
type bodyWriter struct {
	rw *responseWriter
}

func (b bodyWriter) Write(p []byte) (int, error) {
	if b.rw.bodyEnd != nil && b.rw.document {
		return b.rw.bodyEnd.Write(p)
	}
	return b.rw.ResponseWriter.Write(p)
}

// serveLoader serves a page without a visitor that gets only HubSpot's
// loader.
func (h *Handler) serveLoader(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	rw := &responseWriter{
		ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w},
		handler:               h,
		request:               r,
		loaderOnly:            true,
	}
	return rw.serve(next)
}

// validatePortal checks portal_id and loader_url.
func (h *Handler) validatePortal() error {
	if h.PortalID == "" {
		if h.LoaderURL != "" {
			return fmt.Errorf("loader_url: set portal_id too; the loader is added only for a HubSpot portal")
		}
		return nil
	}
	for _, c := range h.PortalID {
		if c < '0' || c > '9' {
			return fmt.Errorf("portal_id: invalid value %q; use the numeric HubSpot account ID shown in the embed code", h.PortalID)
		}
	}
	if h.LoaderURL != "" {
		u, err := url.Parse(h.LoaderURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("loader_url: invalid URL %q; use a full URL such as https://js.hs-scripts.com/%s.js", h.LoaderURL, h.PortalID)
		}
	}
	return nil
}
