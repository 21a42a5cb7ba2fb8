package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"text/template"

	"golang.org/x/crypto/bcrypt"
)

// Credentials of the demo's only user. The username is an email address
// because hubspot_identify takes the visitor's email from {http.auth.user.id}.
const (
	demoUsername = "demo@example.com"
	demoPassword = "hubspot-demo"
)

// caddyfileParams describes the demo's Caddy config.
type caddyfileParams struct {
	Host     string // loopback IP address that Caddy binds
	Port     int
	Upstream string // base URL of the sample site
	Endpoint string // token create URL of the emulator; empty for HubSpot's

	// StorageDir is Caddy's storage, for its lock and cleanup files, so
	// the demo leaves the storage of the user's own Caddy alone. Caddy
	// still writes instance.uuid to its data directory.
	StorageDir string
}

// SiteAddress returns the address of the site block, such as
// 127.0.0.1:8080 or [::1]:8080.
func (p caddyfileParams) SiteAddress() string {
	return net.JoinHostPort(p.Host, strconv.Itoa(p.Port))
}

// caddyfileTemplate is the demo's Caddy config. The site binds only its
// loopback address, because Caddy otherwise listens on every interface.
// grace_period bounds how long stopping waits for requests in flight.
var caddyfileTemplate = template.Must(template.New("Caddyfile").Parse(`{
	admin off
	auto_https off
	http_port {{.Port}}
	persist_config off
	grace_period 5s
	storage file_system "{{.StorageDir}}"
}

http://{{.SiteAddress}} {
	bind {{.Host}}
	encode gzip

	redir /account /account/
	basic_auth /account/* {
		{{.Username}} {{.PasswordHash}}
	}

	hubspot_identify {
		access_token {env.HUBSPOT_ACCESS_TOKEN}
		email {http.auth.user.id}
{{- if .Endpoint}}
		endpoint {{.Endpoint}}
{{- end}}
	}

	reverse_proxy {{.Upstream}}
}
`))

// buildCaddyfile returns the demo's Caddyfile, with the demo user and a fresh
// bcrypt hash of the demo password.
func buildCaddyfile(params caddyfileParams) (string, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(demoPassword), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hashing the demo password: %w", err)
	}

	data := struct {
		caddyfileParams
		Username     string
		PasswordHash string
	}{params, demoUsername, string(hash)}

	var b strings.Builder
	if err := caddyfileTemplate.Execute(&b, data); err != nil {
		return "", fmt.Errorf("writing the Caddyfile: %w", err)
	}
	return b.String(), nil
}
