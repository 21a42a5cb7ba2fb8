// Command demo shows hubspot_identify at work in one process: a sample site
// as the upstream, Caddy in front of it with basic_auth and hubspot_identify,
// and, unless HUBSPOT_ACCESS_TOKEN is set, a local emulator of HubSpot's
// visitor identification API. Run it from the repository root:
//
//	go run ./integration/demo
//
// then open the printed URL and sign in with the printed credentials. The
// pages of the signed-in area show the identification that Caddy injected.
//
// Environment:
//
//	HUBSPOT_ACCESS_TOKEN  access token of a HubSpot private app; when set, the
//	                      demo calls the real HubSpot API instead of the emulator
//	HUBSPOT_PORTAL_ID     HubSpot account ID; when set, the pages load HubSpot's
//	                      chat widget for that account
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	listen := flag.String("listen", defaultListen, "loopback `address` (IP:port) the demo site listens on")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "demo: unexpected argument %q; the only option is -listen\n", flag.Arg(0))
		os.Exit(2)
	}

	cfg := config{
		listen:      *listen,
		accessToken: os.Getenv(accessTokenEnv),
		portalID:    os.Getenv(portalIDEnv),
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// After the first signal, a second one ends the process at once in
	// case a clean stop hangs.
	go func() {
		<-ctx.Done()
		stop()
	}()

	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

// run starts the demo, prints how to use it to stdout, and stops it when ctx
// is done.
func run(ctx context.Context, cfg config, stdout io.Writer) error {
	d, err := start(cfg)
	if err != nil {
		return err
	}

	d.printInstructions(stdout)
	<-ctx.Done()

	fmt.Fprintln(stdout, "Stopping the demo.")
	return d.Close()
}
