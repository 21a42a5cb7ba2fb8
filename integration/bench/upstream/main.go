// Command upstream is the site behind Caddy in the benchmarks that
// integration/bench/run.sh runs. It serves generated HTML pages on a
// loopback address and can write the same pages to a directory, so
// reverse_proxy and file_server deliver identical bytes.
//
// Pages are /30k.html, /300k.html and /100m.html (sizes in KiB and MiB).
// Under /slow/ each page is sent after -delay. A page larger than 1 MiB
// is streamed: the first 64 KiB, a flush, a pause of -pause, then the rest.
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
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback `address` to listen on")
	addrFile := flag.String("addr-file", "", "`file` to write the listen address to once the server accepts connections")
	dir := flag.String("dir", "", "`directory` to write the pages to before serving, for file_server")
	delay := flag.Duration("delay", 100*time.Millisecond, "time to wait before answering a request under /slow/")
	pause := flag.Duration("pause", 200*time.Millisecond, "pause after the first 64 KiB of a streamed page")
	lifetime := flag.Duration("lifetime", 30*time.Minute, "exit after this long, in case the script that started the server died")
	flag.Parse()

	if err := run(*listen, *addrFile, *dir, *delay, *pause, *lifetime); err != nil {
		log.Fatalf("upstream: %v", err)
	}
}

func run(listen, addrFile, dir string, delay, pause, lifetime time.Duration) error {
	site := newSite(pageSizes, delay, pause)
	if dir != "" {
		if err := site.writeFiles(dir); err != nil {
			return err
		}
	}

	listener, err := listenLoopback(listen)
	if err != nil {
		return err
	}
	server := &http.Server{Handler: site, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()

	if addrFile != "" {
		if err := writeAddress(addrFile, listener.Addr().String()); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
	case <-time.After(lifetime):
		log.Printf("upstream: stopping after -lifetime %s", lifetime)
	case err := <-served:
		return err
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// listenLoopback listens on addr, which must be a loopback address, because
// the benchmarks send traffic to nothing but this machine.
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
