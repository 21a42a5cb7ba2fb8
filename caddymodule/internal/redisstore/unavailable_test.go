package redisstore

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/tokens"
)

// failMargin is how much longer than Timeout a failing call may take. It
// covers scheduling delays under -race on a loaded machine.
const failMargin = 250 * time.Millisecond

func TestUnavailableServerFailsFast(t *testing.T) {
	// A refused connection must be reported as such, not retried until
	// the deadline.
	refused := func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
	timedOut := func(err error) bool {
		return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)
	}

	tests := []struct {
		name    string
		stop    func(t *testing.T, srv *server)
		wantErr func(error) bool
		errName string
	}{
		{"killed", func(t *testing.T, srv *server) { srv.kill() }, refused, "connection refused"},
		{"hung", func(t *testing.T, srv *server) { srv.pause(t) }, timedOut, "a timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, serverConfig{})
			core, logs := observer.New(zap.WarnLevel)
			store := newTestStore(t, Config{URL: srv.url(""), Timeout: DefaultTimeout, Logger: zap.New(core)})
			ctx := testContext(t)

			// Fill the pool first, so the calls below meet both a pooled
			// connection and new dials.
			if err := store.Set(ctx, "k", tokens.Entry{Token: "tok"}, time.Minute); err != nil {
				t.Fatalf("Set before %s: %v", tt.name, err)
			}
			unlock, acquired, err := store.Lock(ctx, "k", time.Minute)
			if err != nil || !acquired {
				t.Fatalf("Lock before %s = acquired %v, error %v; want acquired", tt.name, acquired, err)
			}

			tt.stop(t, srv)

			calls := []struct {
				name string
				call func() error
			}{
				{"Get", func() error { _, _, err := store.Get(ctx, "k"); return err }},
				{"Set", func() error { return store.Set(ctx, "k", tokens.Entry{Token: "tok"}, time.Minute) }},
				{"Delete", func() error { return store.Delete(ctx, "k") }},
				{"Lock", func() error { _, _, err := store.Lock(ctx, "other", time.Minute); return err }},
				{"Ping", func() error { return store.Ping(ctx) }},
				{"unlock", func() error { unlock(); return nil }},
			}
			for _, c := range calls {
				start := time.Now()
				err := c.call()
				elapsed := time.Since(start)

				if c.name != "unlock" && !tt.wantErr(err) {
					t.Errorf("%s on a %s server: error = %v, want %s", c.name, tt.name, err, tt.errName)
				}
				if elapsed > DefaultTimeout+failMargin {
					t.Errorf("%s on a %s server took %v, want at most %v", c.name, tt.name, elapsed, DefaultTimeout+failMargin)
				}
			}

			if got := logs.FilterMessageSnippet("releasing Redis lock failed").Len(); got != 1 {
				t.Errorf("unlock on a %s server logged %d warnings, want 1", tt.name, got)
			}
		})
	}
}

func TestCanceledContextFailsAtOnce(t *testing.T) {
	srv := startServer(t, serverConfig{})
	store := newTestStore(t, Config{URL: srv.url(""), Timeout: 5 * time.Second})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	start := time.Now()
	_, _, err := store.Get(ctx, "k")
	elapsed := time.Since(start)

	if err == nil {
		t.Error("Get with a canceled context: error = nil, want an error")
	}
	if elapsed > failMargin {
		t.Errorf("Get with a canceled context took %v, want at most %v", elapsed, failMargin)
	}
}
