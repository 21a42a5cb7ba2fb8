package caddymodule

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/hubspot"
)

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	handler := new(Handler)
	if err := handler.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	return handler, nil
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	hubspot_identify [<matcher>] {
//	    access_token <token>
//	    email        <value>
//	    first_name   <value>
//	    last_name    <value>
//	    endpoint     <url>
//	    timeout      <duration>
//	    token_ttl    <duration>
//	    max_tokens   <n>
//	}
//
// access_token and email are required. Values may be placeholders;
// access_token is resolved once at startup, the others per request.
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume directive name

	if d.NextArg() {
		return d.ArgErr()
	}

	for d.NextBlock(0) {
		option := d.Val()
		switch option {
		case "access_token":
			if !d.AllArgs(&h.AccessToken) {
				return d.Errf("access_token: expected one value, such as {env.HUBSPOT_ACCESS_TOKEN}")
			}

		case "email":
			if !d.AllArgs(&h.Email) {
				return d.Errf("email: expected one value, such as {http.request.header.X-Auth-Request-Email}")
			}

		case "first_name":
			if !d.AllArgs(&h.FirstName) {
				return d.Errf("first_name: expected one value")
			}

		case "last_name":
			if !d.AllArgs(&h.LastName) {
				return d.Errf("last_name: expected one value")
			}

		case "endpoint":
			if !d.AllArgs(&h.Endpoint) {
				return d.Errf("endpoint: expected one URL")
			}
			if err := validateEndpoint(h.Endpoint); err != nil {
				return d.Err(err.Error())
			}

		case "timeout", "token_ttl":
			var value string
			if !d.AllArgs(&value) {
				return d.Errf("%s: expected one duration, such as 1s or 11h", option)
			}
			dur, err := caddy.ParseDuration(value)
			if err != nil || dur <= 0 {
				return d.Errf("%s: invalid duration %q; use a positive value such as 1s or 11h", option, value)
			}
			if option == "token_ttl" && dur > hubspot.TokenLifetime {
				return d.Errf("token_ttl: invalid value %q; it must be at most 12h, because HubSpot rejects tokens older than 12 hours", value)
			}
			if option == "timeout" {
				h.Timeout = caddy.Duration(dur)
			} else {
				h.TokenTTL = caddy.Duration(dur)
			}

		case "max_tokens":
			var value string
			if !d.AllArgs(&value) {
				return d.Errf("max_tokens: expected one number")
			}
			n, err := strconv.Atoi(value)
			if err != nil || n <= 0 {
				return d.Errf("max_tokens: invalid value %q; it must be a positive whole number such as 100000", value)
			}
			h.MaxTokens = n

		default:
			return d.Errf("unrecognized subdirective %q; valid ones are access_token, email, first_name, last_name, endpoint, timeout, token_ttl and max_tokens", option)
		}
	}

	if h.AccessToken == "" {
		return d.Errf("access_token: missing; add 'access_token {env.HUBSPOT_ACCESS_TOKEN}' to the hubspot_identify block")
	}
	if h.Email == "" {
		return d.Errf("email: missing; add 'email {http.request.header.X-Auth-Request-Email}' (or the placeholder your authentication sets) to the hubspot_identify block")
	}
	return nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Handler)(nil)
