package main

import (
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// TestModulesRegistered checks that the binary built from this package has
// the handler and the standard modules it is used with.
func TestModulesRegistered(t *testing.T) {
	for _, id := range []string{
		"http.handlers.hubspot_identify",
		"http.handlers.reverse_proxy",
		"http.handlers.encode",
		"http.handlers.authentication",
	} {
		if _, err := caddy.GetModule(id); err != nil {
			t.Errorf("module %s is not registered: %v", id, err)
		}
	}
}
