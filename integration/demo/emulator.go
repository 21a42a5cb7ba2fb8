package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

// shutdownTimeout bounds how long a server that the demo started waits for
// requests in flight when it stops.
const shutdownTimeout = 5 * time.Second

// newAccessToken returns a random access token for the emulator, with at
// least 128 bits of randomness.
func newAccessToken() string {
	return "pat-demo-" + rand.Text()
}

// startEmulator serves an emulator of HubSpot's visitor identification API
// on a free loopback port. It accepts only accessToken.
func (d *demo) startEmulator(accessToken string) error {
	emulator := hubspotemu.New(hubspotemu.Options{AccessToken: accessToken})
	baseURL, shutdown, err := emulator.Listen("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("starting the HubSpot emulator: %w", err)
	}

	d.emulator = emulator
	d.emulatorURL = baseURL
	d.closers = append(d.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			return fmt.Errorf("stopping the HubSpot emulator: %w", err)
		}
		return nil
	})
	return nil
}
