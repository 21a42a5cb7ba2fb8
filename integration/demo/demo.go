package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"

	"github.com/hsidentify/caddy-hubspot-identify/integration/caddyrun"
	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

// Environment variables the demo reads.
const (
	accessTokenEnv = "HUBSPOT_ACCESS_TOKEN"
	portalIDEnv    = "HUBSPOT_PORTAL_ID"
)

const defaultListen = "127.0.0.1:8080"

// config contains the demo settings from flags and the environment.
type config struct {
	// listen is the loopback IP address and port of the demo site, such
	// as 127.0.0.1:8080.
	listen string

	// accessToken is a HubSpot access token. Empty starts the emulator
	// with a random access token instead.
	accessToken string

	// portalID is the HubSpot account ID whose chat widget the pages load.
	// Empty leaves the widget out.
	portalID string
}

// demo is a running demo: the sample site as the upstream, the emulator
// unless real HubSpot is used, and Caddy in front.
type demo struct {
	url         string               // URL of Caddy's site, such as http://127.0.0.1:8080
	upstreamURL string               // base URL of the sample site, Caddy's upstream
	emulator    *hubspotemu.Emulator // nil when real HubSpot is used
	emulatorURL string               // base URL of the emulator, or empty
	portalID    string

	// closers stop what start started, in start order. Close runs them in
	// reverse, so Caddy stops before the servers it sends requests to.
	closers []func() error
}

// start starts the demo described by cfg. Caddy runs in this process, and
// only one Caddy config runs per process, so only one demo can run at a time.
// start sets HUBSPOT_ACCESS_TOKEN in the process environment, because the
// Caddyfile reads the access token from there.
func start(cfg config) (_ *demo, err error) {
	host, port, err := splitListen(cfg.listen)
	if err != nil {
		return nil, err
	}
	if err := validatePortalID(cfg.portalID); err != nil {
		return nil, err
	}

	d := &demo{
		url:      "http://" + net.JoinHostPort(host.String(), strconv.Itoa(port)),
		portalID: cfg.portalID,
	}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()

	// NOTE: No test starts the demo with an access token, because tests
	// must not call HubSpot's API.
	accessToken := cfg.accessToken
	endpoint := "" // empty selects hubspot_identify's default, HubSpot's API
	if accessToken == "" {
		accessToken = newAccessToken()
		if err := d.startEmulator(accessToken); err != nil {
			return nil, err
		}
		endpoint = d.emulatorURL + hubspotemu.PathTokensCreate
	}

	// hubspot_identify resolves {env.HUBSPOT_ACCESS_TOKEN} when Caddy
	// provisions it, so the token never appears in the Caddyfile or in
	// the JSON config adapted from it.
	if err := os.Setenv(accessTokenEnv, accessToken); err != nil {
		return nil, fmt.Errorf("setting %s: %w", accessTokenEnv, err)
	}

	if err := d.startSite(); err != nil {
		return nil, err
	}

	storageDir, err := os.MkdirTemp("", "hubspot-identify-demo-")
	if err != nil {
		return nil, fmt.Errorf("creating Caddy's storage directory: %w", err)
	}
	d.closers = append(d.closers, func() error { return os.RemoveAll(storageDir) })

	caddyfile, err := buildCaddyfile(caddyfileParams{
		Host:       host.String(),
		Port:       port,
		Upstream:   d.upstreamURL,
		Endpoint:   endpoint,
		StorageDir: storageDir,
	})
	if err != nil {
		return nil, err
	}
	stopCaddy, err := caddyrun.Start(caddyfile)
	if err != nil {
		return nil, fmt.Errorf("starting Caddy on %s: %w; if the port is in use, choose another with -listen", d.url, err)
	}
	d.closers = append(d.closers, stopCaddy)

	return d, nil
}

// Close stops Caddy, the sample site and the emulator, removes Caddy's
// storage directory, and returns the errors joined. It is safe to call more
// than once.
func (d *demo) Close() error {
	var errs []error
	for i := len(d.closers) - 1; i >= 0; i-- {
		errs = append(errs, d.closers[i]())
	}
	d.closers = nil
	return errors.Join(errs...)
}

// splitListen parses a -listen value. It rejects addresses other than
// loopback IP addresses, because the demo's password is public.
func splitListen(listen string) (netip.Addr, int, error) {
	addrPort, err := netip.ParseAddrPort(listen)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("invalid listen address %q: %v; use an IP address and port such as %s", listen, err, defaultListen)
	}

	host := addrPort.Addr().Unmap()
	if !host.IsLoopback() {
		return netip.Addr{}, 0, fmt.Errorf("invalid listen address %q: %s is not a loopback address; use 127.0.0.1 or [::1], because the demo credentials are public", listen, host)
	}

	// A Caddyfile site address needs the port that Caddy will bind.
	if addrPort.Port() == 0 {
		return netip.Addr{}, 0, fmt.Errorf("invalid listen address %q: port 0 is not supported; choose a free port such as 8080", listen)
	}
	return host, int(addrPort.Port()), nil
}

// validatePortalID checks that id, if set, looks like a HubSpot account ID,
// because it becomes part of the chat widget's script URL.
func validatePortalID(id string) error {
	if id == "" {
		return nil
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return fmt.Errorf("invalid %s %q: it must be your HubSpot account ID, which has only digits, such as 1234567", portalIDEnv, id)
		}
	}
	return nil
}
