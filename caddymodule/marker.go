package caddymodule

import (
	"net/http"
	"strings"
	"time"
)

// markerName is the cookie that remembers a browser was identified, so its
// widget can be reset when no visitor is signed in any more. Its value is
// always "1": it carries no personal data.
const markerName = "hubspot_identified"

// markerMaxAge matches the six months that HubSpot's chat cookies last,
// so the reset still happens on a browser that was closed in between.
const markerMaxAge = 180 * 24 * time.Hour

// hasMarker reports whether r carries the marker cookie. It looks at the
// raw header first, so requests without it parse no cookies.
func hasMarker(r *http.Request) bool {
	for _, header := range r.Header.Values("Cookie") {
		if strings.Contains(header, markerName+"=") {
			_, err := r.Cookie(markerName)
			return err == nil
		}
	}
	return false
}

// markerCookie returns the cookie that sets the marker, or expires it.
func markerCookie(r *http.Request, set bool) *http.Cookie {
	cookie := &http.Cookie{
		Name:     markerName,
		Value:    "1",
		Path:     "/",
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
		MaxAge:   int(markerMaxAge / time.Second),
	}
	if !set {
		cookie.Value = ""
		cookie.MaxAge = -1
	}
	return cookie
}

// resetOnSignout reports whether the widget reset is on, which it is
// unless reset_on_signout is off.
func (h *Handler) resetOnSignout() bool {
	return h.ResetOnSignout == nil || *h.ResetOnSignout
}
