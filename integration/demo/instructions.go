package main

import (
	"fmt"
	"io"
)

// printInstructions writes how to use the running demo to w.
func (d *demo) printInstructions(w io.Writer) {
	fmt.Fprintf(w, "\nHubSpot visitor identification demo\n\n")
	fmt.Fprintf(w, "  Open      %s/\n", d.url)
	fmt.Fprintf(w, "  Sign in   %s/account/\n", d.url)
	fmt.Fprintf(w, "  Username  %s\n", demoUsername)
	fmt.Fprintf(w, "  Password  %s\n\n", demoPassword)

	if d.emulator != nil {
		fmt.Fprintf(w, "HubSpot: a local emulator at %s mints the identification tokens.\n", d.emulatorURL)
		fmt.Fprintf(w, "Set %s to use the real HubSpot API instead.\n\n", accessTokenEnv)
	} else {
		fmt.Fprintf(w, "HubSpot: the real HubSpot API at https://api.hubapi.com mints the identification\n")
		fmt.Fprintf(w, "tokens, with the access token from %s.\n\n", accessTokenEnv)
	}

	switch {
	case d.portalID == "":
		fmt.Fprintf(w, "Chat widget: not loaded. Set %s to your HubSpot account ID to load it.\n\n", portalIDEnv)
	case d.emulator != nil:
		fmt.Fprintf(w, "Chat widget: loaded for HubSpot account %s. HubSpot did not mint the emulator's\n", d.portalID)
		fmt.Fprintf(w, "tokens, so the chat cannot identify you; set %s as well.\n\n", accessTokenEnv)
	default:
		fmt.Fprintf(w, "Chat widget: loaded for HubSpot account %s.\n\n", d.portalID)
	}

	fmt.Fprintf(w, "See the identified page from a terminal:\n\n")
	fmt.Fprintf(w, "  curl -u %s:%s %s/account/\n\n", demoUsername, demoPassword, d.url)
	fmt.Fprintf(w, "Press Ctrl+C to stop.\n")
}
