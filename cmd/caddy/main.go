// Command caddy is Caddy with its standard modules and hubspot_identify, so
// `go build ./cmd/caddy` makes a usable server without xcaddy.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/hsidentify/caddy-hubspot-identify"
)

func main() {
	caddycmd.Main()
}
