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
//	    rate_limit   <n> <window>
//	    portal_id    <id>
//	    loader_url   <url>
//	    identity_from_response [<email_header> [<first_name_header> <last_name_header>]]
//	    reset_on_signout on|off
//	    persist
//	    redis        <url> {
//	        username        <name>
//	        password        <password>
//	        db              <n>
//	        tls_ca          <file>
//	        tls_server_name <name>
//	        key_prefix      <prefix>
//	        timeout         <duration>
//	    }
//	}
//
// access_token is required, and email unless identity_from_response is set. Values may be placeholders;
// access_token and the Redis URL and password are resolved once at
// startup, the identity values per request.
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

		case "rate_limit":
			limit, err := parseRateLimit(d)
			if err != nil {
				return err
			}
			h.RateLimit = limit

		case "portal_id", "loader_url":
			var value string
			if !d.AllArgs(&value) {
				return d.Errf("%s: expected one value, such as 'portal_id 123456' or 'loader_url https://js.hs-scripts.com/123456.js'", option)
			}
			if option == "portal_id" {
				h.PortalID = value
			} else {
				h.LoaderURL = value
			}

		case "identity_from_response":
			from := new(IdentityFromResponse)
			args := d.RemainingArgs()
			if len(args) != 0 && len(args) != 1 && len(args) != 3 {
				return d.Errf("identity_from_response: expected no header names, the email header, or the email, first name and last name headers")
			}
			for i, field := range []*string{&from.EmailHeader, &from.FirstNameHeader, &from.LastNameHeader} {
				if i < len(args) {
					*field = args[i]
				}
			}
			h.IdentityFromResponse = from

		case "reset_on_signout":
			var value string
			if !d.AllArgs(&value) || (value != "on" && value != "off") {
				return d.Errf("reset_on_signout: expected on or off")
			}
			on := value == "on"
			h.ResetOnSignout = &on

		case "persist":
			if d.NextArg() {
				return d.Errf("persist: takes no value; write just 'persist' to keep tokens in Caddy's storage")
			}
			h.Persist = true

		case "redis":
			redis, err := parseRedis(d)
			if err != nil {
				return err
			}
			h.Redis = redis

		default:
			return d.Errf("unrecognized subdirective %q; valid ones are access_token, email, first_name, last_name, endpoint, timeout, token_ttl, max_tokens, rate_limit, portal_id, loader_url, identity_from_response, reset_on_signout, persist and redis", option)
		}
	}

	if h.AccessToken == "" {
		return d.Errf("access_token: missing; add 'access_token {env.HUBSPOT_ACCESS_TOKEN}' to the hubspot_identify block")
	}
	if h.Email == "" && h.IdentityFromResponse == nil {
		return d.Errf("email: missing; add 'email {http.request.header.X-Auth-Request-Email}' (or the placeholder your authentication sets) to the hubspot_identify block")
	}
	return nil
}

// parseRateLimit reads "rate_limit <n> <window>".
func parseRateLimit(d *caddyfile.Dispenser) (*RateLimit, error) {
	var count, window string
	if !d.AllArgs(&count, &window) {
		return nil, d.Errf("rate_limit: expected a number of calls and a window, such as 'rate_limit 40 10s'")
	}
	n, err := strconv.Atoi(count)
	if err != nil || n <= 0 {
		return nil, d.Errf("rate_limit: invalid number of calls %q; use a positive whole number such as 40", count)
	}
	dur, err := caddy.ParseDuration(window)
	if err != nil || dur <= 0 {
		return nil, d.Errf("rate_limit: invalid window %q; use a positive duration such as 10s", window)
	}
	return &RateLimit{Requests: n, Window: caddy.Duration(dur)}, nil
}

// parseRedis reads "redis <url> { ... }".
func parseRedis(d *caddyfile.Dispenser) (*Redis, error) {
	redis := new(Redis)
	if !d.NextArg() {
		return nil, d.Errf("redis: expected a URL, such as 'redis redis://127.0.0.1:6379/0'")
	}
	redis.URL = d.Val()
	if d.NextArg() {
		return nil, d.ArgErr()
	}

	for nesting := d.Nesting(); d.NextBlock(nesting); {
		option := d.Val()
		var value string
		if !d.AllArgs(&value) {
			return nil, d.Errf("redis %s: expected one value", option)
		}

		switch option {
		case "username":
			redis.Username = value
		case "password":
			redis.Password = value
		case "db":
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 {
				return nil, d.Errf("redis db: invalid database number %q; use 0 or more", value)
			}
			redis.DB = n
		case "tls_ca":
			redis.TLSCA = value
		case "tls_server_name":
			redis.TLSServerName = value
		case "key_prefix":
			redis.KeyPrefix = value
		case "timeout":
			dur, err := caddy.ParseDuration(value)
			if err != nil || dur <= 0 {
				return nil, d.Errf("redis timeout: invalid duration %q; use a positive value such as 100ms", value)
			}
			redis.Timeout = caddy.Duration(dur)
		default:
			return nil, d.Errf("redis: unrecognized option %q; valid ones are username, password, db, tls_ca, tls_server_name, key_prefix and timeout", option)
		}
	}
	return redis, nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Handler)(nil)
