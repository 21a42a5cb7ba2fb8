package caddymodule

import (
	"fmt"
	"net/http"

	"golang.org/x/net/http/httpguts"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/hubspot"
	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/visitor"
)

// IdentityFromResponse names the response headers in which an upstream
// that has its own sign-in, but sits behind no auth proxy, sends the
// visitor's identity to the module. The headers are removed from every
// response, so they never reach the browser.
type IdentityFromResponse struct {
	// The header with the visitor's email. Default: X-HubSpot-Identify-Email
	EmailHeader string `json:"email_header,omitempty"`

	// The header with the first name. Default: X-HubSpot-Identify-First-Name
	FirstNameHeader string `json:"first_name_header,omitempty"`

	// The header with the last name. Default: X-HubSpot-Identify-Last-Name
	LastNameHeader string `json:"last_name_header,omitempty"`
}

// Default header names of IdentityFromResponse.
const (
	DefaultEmailHeader     = "X-HubSpot-Identify-Email"
	DefaultFirstNameHeader = "X-HubSpot-Identify-First-Name"
	DefaultLastNameHeader  = "X-HubSpot-Identify-Last-Name"
)

// validate checks that the header names can occur in a response.
func (f *IdentityFromResponse) validate() error {
	for _, name := range []string{f.EmailHeader, f.FirstNameHeader, f.LastNameHeader} {
		if !httpguts.ValidHeaderFieldName(name) {
			return fmt.Errorf("identity_from_response: invalid header name %q; use a name such as %s", name, DefaultEmailHeader)
		}
	}
	return nil
}

func (f *IdentityFromResponse) setDefaults() {
	if f.EmailHeader == "" {
		f.EmailHeader = DefaultEmailHeader
	}
	if f.FirstNameHeader == "" {
		f.FirstNameHeader = DefaultFirstNameHeader
	}
	if f.LastNameHeader == "" {
		f.LastNameHeader = DefaultLastNameHeader
	}
}

// take removes the identity headers and returns the visitor they name, or
// false if there is none.
func (f *IdentityFromResponse) take(header http.Header) (hubspot.Visitor, bool) {
	rawEmail := header.Get(f.EmailHeader)
	first := header.Get(f.FirstNameHeader)
	last := header.Get(f.LastNameHeader)
	header.Del(f.EmailHeader)
	header.Del(f.FirstNameHeader)
	header.Del(f.LastNameHeader)

	email, ok := visitor.Email(rawEmail)
	if !ok {
		return hubspot.Visitor{}, false
	}
	return hubspot.Visitor{Email: email, FirstName: visitor.Name(first), LastName: visitor.Name(last)}, true
}

// serveFromResponse serves a request whose visitor, if any, the upstream
// names in its response headers.
func (h *Handler) serveFromResponse(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, page, marked bool) error {
	rw := &responseWriter{
		ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w},
		handler:               h,
		request:               r,
		marked:                marked,
		fromResponse:          true,
		stripOnly:             !page,
	}
	return rw.serve(next)
}

// identifyFromResponse removes the identity headers and decides what the
// response gets: identification, the widget reset, or nothing.
func (rw *responseWriter) identifyFromResponse(header http.Header) {
	v, ok := rw.handler.IdentityFromResponse.take(header)
	switch {
	case rw.stripOnly:
	case ok:
		rw.visitor = v
	case rw.marked && rw.handler.resetOnSignout():
		rw.reset = true
	case rw.handler.PortalID != "":
		rw.loaderOnly = true
	default:
		rw.stripOnly = true
	}
}
