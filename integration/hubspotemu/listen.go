package hubspotemu

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"
)

// Listen serves e on addr, which must be a loopback address such as
// "127.0.0.1:0" or "[::1]:8081", because the emulator accepts a fixed access
// token and must not be reachable from other hosts. It returns the base URL,
// such as "http://127.0.0.1:41234", and a function that shuts the server down
// gracefully.
func (e *Emulator) Listen(addr string) (baseURL string, shutdown func(context.Context) error, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("hubspotemu: invalid listen address %q: %w", addr, err)
	}
	if !isLoopbackHost(host) {
		return "", nil, fmt.Errorf("hubspotemu: listen address %q is not a loopback address, use 127.0.0.1 or [::1]", addr)
	}

	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("hubspotemu: %w", err)
	}

	// "localhost" is resolved by the system, which may map it elsewhere.
	if tcpAddr, ok := listener.Addr().(*net.TCPAddr); !ok || !tcpAddr.IP.IsLoopback() {
		listener.Close()
		return "", nil, fmt.Errorf("hubspotemu: %q resolved to %s, which is not a loopback address", addr, listener.Addr())
	}

	server := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		err := server.Serve(listener)
		if !errors.Is(err, http.ErrServerClosed) {
			log.Printf("hubspotemu: server on %s stopped: %v", listener.Addr(), err)
		}
	}()

	return "http://" + listener.Addr().String(), server.Shutdown, nil
}

// isLoopbackHost reports whether host is "localhost" or a loopback IP address.
// An empty host is not, because it listens on every interface.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
