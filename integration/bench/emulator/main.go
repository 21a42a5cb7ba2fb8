// Command emulator serves the HubSpot API emulator on a loopback address for
// the benchmarks that integration/bench/run.sh runs. Its rate limits are
// far above HubSpot's, so a load test of cold visitors measures latency, not
// 429 responses. It accepts only the access token in HUBSPOT_ACCESS_TOKEN.
//
// GET /bench/stats returns "<token requests> <connections>": the token
// requests received and the TCP connections accepted so far, so the script
// can tell how many connections Caddy opened per token request.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

// Rate limits for load tests: a 10 s run of cold visitors makes a few
// thousand token requests, and HubSpot's default of 100 per 10 s would
// reject most of them with 429.
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

	listener, err := listenLoopback(listen)
	if err != nil {
		return err
	}

	server, connections := newServer(emulator)
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()

	if addrFile != "" {
		if err := writeAddress(addrFile, "http://"+listener.Addr().String()); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
	case <-time.After(lifetime):
		log.Printf("emulator: stopping after -lifetime %s", lifetime)
	case err := <-served:
		return err
	}
	log.Printf("emulator: received %d token requests over %d connections", emulator.TotalCalls(), connections.Load())

	shutdownCtx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// newServer returns a server of emulator that also serves /bench/stats,
// and the count of connections it accepted.
func newServer(emulator *hubspotemu.Emulator) (*http.Server, *atomic.Int64) {
	connections := new(atomic.Int64)
	mux := http.NewServeMux()
	mux.Handle("/", emulator)
	mux.HandleFunc("GET /bench/stats", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d %d\n", emulator.TotalCalls(), connections.Load())
	})

	server := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, state http.ConnState) {
			if state == http.StateNew {
				connections.Add(1)
			}
		},
	}
	return server, connections
}

// listenLoopback listens on addr, which must be a loopback address, because
// the emulator accepts a fixed access token and must not be reachable from
// other hosts.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("invalid listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("listen address %q is not a loopback IP address; use 127.0.0.1 or [::1]", addr)
	}
	return net.Listen("tcp", addr)
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
