// Package hubspotidentify is the import path that xcaddy builds with. It
// registers the hubspot_identify module, which lives in package caddymodule,
// so `xcaddy build --with github.com/hsidentify/caddy-hubspot-identify`
// works without naming a subpackage.
package hubspotidentify

import (
	_ "github.com/hsidentify/caddy-hubspot-identify/caddymodule"
)
