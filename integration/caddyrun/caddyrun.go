// Package caddyrun runs Caddy in the current process from a Caddyfile, with
// the standard modules and hubspot_identify compiled in. Tests and the demo
// use it so they exercise the same config path as the caddy command.
package caddyrun

import (
	"fmt"
	"net"
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"

	// Adapters and handlers a Caddyfile may use.
	_ "github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/hsidentify/caddy-hubspot-identify/caddymodule"
)

// Adapt converts a Caddyfile to Caddy's JSON config.
func Adapt(caddyfile string) ([]byte, error) {
	adapter := caddyconfig.GetAdapter("caddyfile")
	if adapter == nil {
		return nil, fmt.Errorf("caddyfile adapter is not registered")
	}
	// Warnings are about style, such as an unformatted file; errors are
	// what stop a config from loading.
	config, _, err := adapter.Adapt([]byte(caddyfile), nil)
	if err != nil {
		return nil, fmt.Errorf("adapting Caddyfile: %w", err)
	}
	return config, nil
}

// Start adapts caddyfile and runs it. Only one config runs per process:
// starting another replaces it. The returned function stops Caddy.
func Start(caddyfile string) (stop func() error, err error) {
	config, err := Adapt(caddyfile)
	if err != nil {
		return nil, err
	}
	if err := caddy.Load(config, true); err != nil {
		return nil, fmt.Errorf("loading config: %w", err)
	}
	return caddy.Stop, nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. A
// Caddyfile needs a fixed port, so a listener cannot be passed in instead.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()

	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(port)
}
