// Command emulator serves the HubSpot API emulator on a loopback address for
// the benchmarks that integration/bench/run.sh runs. Its rate limits are
// far above HubSpot's, so a load test of cold visitors measures latency, not
// 429 responses. It accepts only the access token in HUBSPOT_ACCESS_TOKEN.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

// Rate limits for load tests: a 10 s run of cold visitors makes a few
// thousand token requests, and HubSpot's default of 100 per 10 s would
// answer most of them with 429.
const (
	ratePer10s = 1_000_000
	dailyLimit = 100_000_000
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback `address` to listen on")
	addrFile := flag.String("addr-file", "", "`file` to write the base URL to once the server accepts connections")
	latency := flag.Duration("latency", 150*time.Millisecond, "time each response waits before it is written")
	lifetime := flag.Duration("lifetime", 30*time.Minute, "exit after this long, in case the script that started the server died")
	flag.Parse()

	if err := run(*listen, *addrFile, *latency, *lifetime); err != nil {
		log.Fatalf("emulator: %v", err)
	}
}

func run(listen, addrFile string, latency, lifetime time.Duration) error {
	accessToken := os.Getenv("HUBSPOT_ACCESS_TOKEN")
	if accessToken == "" {
		return fmt.Errorf("HUBSPOT_ACCESS_TOKEN is not set; set it to the token that Caddy sends")
	}

	emulator := hubspotemu.New(hubspotemu.Options{
		AccessToken: accessToken,
		RatePer10s:  ratePer10s,
		DailyLimit:  dailyLimit,
	})
	emulator.SetLatency(latency)

	baseURL, shutdown, err := emulator.Listen(listen)
	if err != nil {
		return err
	}
	if addrFile != "" {
		if err := writeAddress(addrFile, baseURL); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
	case <-time.After(lifetime):
		log.Printf("emulator: stopping after -lifetime %s", lifetime)
	}
	log.Printf("emulator: answered %d token requests", emulator.TotalCalls())

	shutdownCtx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// writeAddress writes addr to path through a temporary file, so a script
// polling for path never reads a partial address.
func writeAddress(path, addr string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(addr+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
