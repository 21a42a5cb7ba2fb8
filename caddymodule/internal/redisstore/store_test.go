package redisstore

import (
	"strings"
	"testing"
	"time"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/tokens"
)

func TestSetGetRoundTrip(t *testing.T) {
	srv := startServer(t, serverConfig{})
	store := newTestStore(t, Config{URL: srv.url("")})
	ctx := testContext(t)

	berlin := time.FixedZone("CEST", 2*60*60)
	tests := []struct {
		name  string
		entry tokens.Entry
	}{
		{"nanoseconds", tokens.Entry{Token: "tok-1", MintedAt: time.Date(2026, 5, 1, 12, 30, 45, 123456789, time.UTC)}},
		{"other zone", tokens.Entry{Token: "tok-2", MintedAt: time.Date(2026, 5, 1, 14, 30, 45, 1, berlin)}},
		{"zero time", tokens.Entry{Token: "tok-3"}},
		{"token with separators", tokens.Entry{Token: `a:b"c\d ü`, MintedAt: time.Unix(1_700_000_000, 5)}},
		{"wall clock reading", tokens.Entry{Token: "tok-5", MintedAt: time.Now()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := store.Set(ctx, tt.name, tt.entry, time.Minute); err != nil {
				t.Fatalf("Set(%q) error = %v", tt.name, err)
			}

			got, ok, err := store.Get(ctx, tt.name)
			if err != nil || !ok {
				t.Fatalf("Get(%q) = ok %v, error %v; want the entry", tt.name, ok, err)
			}
			if got.Token != tt.entry.Token {
				t.Errorf("Get(%q) token = %q, want %q", tt.name, got.Token, tt.entry.Token)
			}
			if !got.MintedAt.Equal(tt.entry.MintedAt) {
				t.Errorf("Get(%q) MintedAt = %v, want %v", tt.name, got.MintedAt, tt.entry.MintedAt)
			}
		})
	}
}

func TestGetMissing(t *testing.T) {
	srv := startServer(t, serverConfig{})
	store := newTestStore(t, Config{URL: srv.url("")})

	got, ok, err := store.Get(testContext(t), "absent")
	if err != nil {
		t.Fatalf("Get(%q) error = %v", "absent", err)
	}
	if ok {
		t.Errorf("Get(%q) = %+v, ok true; want ok false", "absent", got)
	}
}

func TestGetInvalidValue(t *testing.T) {
	srv := startServer(t, serverConfig{})
	store := newTestStore(t, Config{URL: srv.url("")})
	raw := srv.inspect(t, "")
	ctx := testContext(t)

	tests := []struct {
		name  string
		value string
	}{
		{"not JSON", "1714564245:tok"},
		{"no token", `{"minted_at":"2026-05-01T12:00:00Z"}`},
		{"bad time", `{"token":"tok","minted_at":"yesterday"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := raw.Set(ctx, DefaultKeyPrefix+tt.name, tt.value, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}

			_, ok, err := store.Get(ctx, tt.name)
			if err == nil {
				t.Fatalf("Get of value %q: error = nil, want an error", tt.value)
			}
			if ok {
				t.Errorf("Get of value %q: ok = true, want false", tt.value)
			}
			if !strings.Contains(err.Error(), "invalid entry") {
				t.Errorf("Get of value %q: error = %q, want it to contain %q", tt.value, err, "invalid entry")
			}
		})
	}
}

func TestSetExpires(t *testing.T) {
	srv := startServer(t, serverConfig{})
	store := newTestStore(t, Config{URL: srv.url("")})
	raw := srv.inspect(t, "")
	ctx := testContext(t)

	const ttl = 150 * time.Millisecond
	entry := tokens.Entry{Token: "tok", MintedAt: time.Now()}
	if err := store.Set(ctx, "k", entry, ttl); err != nil {
		t.Fatalf("Set error = %v", err)
	}

	remaining, err := raw.PTTL(ctx, DefaultKeyPrefix+"k").Result()
	if err != nil {
		t.Fatal(err)
	}
	if remaining <= 0 || remaining > ttl {
		t.Errorf("PTTL after Set with ttl %v = %v, want in (0, %v]", ttl, remaining, ttl)
	}
	if _, ok, err := store.Get(ctx, "k"); err != nil || !ok {
		t.Fatalf("Get right after Set = ok %v, error %v; want the entry", ok, err)
	}

	deadline := time.Now().Add(2 * time.Second)
	for {
		_, ok, err := store.Get(ctx, "k")
		if err != nil {
			t.Fatalf("Get error = %v", err)
		}
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("entry with ttl %v still present after 2s", ttl)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSetRejectsInvalidInput(t *testing.T) {
	srv := startServer(t, serverConfig{})
	store := newTestStore(t, Config{URL: srv.url("")})
	raw := srv.inspect(t, "")
	ctx := testContext(t)

	valid := tokens.Entry{Token: "tok", MintedAt: time.Now()}
	tests := []struct {
		name  string
		entry tokens.Entry
		ttl   time.Duration
		want  string
	}{
		{"zero ttl", valid, 0, "invalid TTL 0s"},
		{"negative ttl", valid, -time.Second, "invalid TTL -1s"},
		{"sub-millisecond ttl", valid, 500 * time.Microsecond, "invalid TTL 500µs"},
		{"empty token", tokens.Entry{MintedAt: time.Now()}, time.Minute, "empty token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := store.Set(ctx, tt.name, tt.entry, tt.ttl)
			if err == nil {
				t.Fatalf("Set(%+v, %v) error = nil, want %q", tt.entry, tt.ttl, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Set(%+v, %v) error = %q, want it to contain %q", tt.entry, tt.ttl, err, tt.want)
			}

			n, err := raw.Exists(ctx, DefaultKeyPrefix+tt.name).Result()
			if err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("Set(%+v, %v) stored the key despite the error", tt.entry, tt.ttl)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	srv := startServer(t, serverConfig{})
	store := newTestStore(t, Config{URL: srv.url("")})
	ctx := testContext(t)

	if err := store.Set(ctx, "k", tokens.Entry{Token: "tok"}, time.Minute); err != nil {
		t.Fatalf("Set error = %v", err)
	}
	if err := store.Delete(ctx, "k"); err != nil {
		t.Fatalf("Delete(%q) error = %v", "k", err)
	}
	if _, ok, err := store.Get(ctx, "k"); err != nil || ok {
		t.Errorf("Get after Delete = ok %v, error %v; want ok false, no error", ok, err)
	}

	if err := store.Delete(ctx, "absent"); err != nil {
		t.Errorf("Delete(%q) of a missing key error = %v, want nil", "absent", err)
	}
}

func TestKeyPrefixIsolation(t *testing.T) {
	srv := startServer(t, serverConfig{})
	raw := srv.inspect(t, "")
	siteA := newTestStore(t, Config{URL: srv.url(""), KeyPrefix: "site-a:"})
	siteB := newTestStore(t, Config{URL: srv.url(""), KeyPrefix: "site-b:"})
	ctx := testContext(t)

	if err := siteA.Set(ctx, "k", tokens.Entry{Token: "tok-a"}, time.Minute); err != nil {
		t.Fatalf("Set error = %v", err)
	}
	if _, ok, err := siteB.Get(ctx, "k"); err != nil || ok {
		t.Errorf("Get with prefix %q of a key set with %q = ok %v, error %v; want ok false", "site-b:", "site-a:", ok, err)
	}

	unlock, acquired, err := siteA.Lock(ctx, "k", time.Minute)
	if err != nil || !acquired {
		t.Fatalf("Lock with prefix %q = acquired %v, error %v; want acquired", "site-a:", acquired, err)
	}
	defer unlock()
	unlockB, acquired, err := siteB.Lock(ctx, "k", time.Minute)
	if err != nil || !acquired {
		t.Errorf("Lock with prefix %q while %q holds the key = acquired %v, error %v; want acquired", "site-b:", "site-a:", acquired, err)
	}
	defer unlockB()

	for _, key := range []string{"site-a:k", "site-a:lock:k", "site-b:lock:k"} {
		n, err := raw.Exists(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("key %q missing in Redis", key)
		}
	}
}

func TestDefaultKeyPrefixAndDB(t *testing.T) {
	srv := startServer(t, serverConfig{})
	raw := srv.inspect(t, "")
	store := newTestStore(t, Config{URL: srv.url(""), DB: 3})
	ctx := testContext(t)

	if err := store.Set(ctx, "k", tokens.Entry{Token: "tok"}, time.Minute); err != nil {
		t.Fatalf("Set error = %v", err)
	}

	if n, err := raw.Exists(ctx, DefaultKeyPrefix+"k").Result(); err != nil || n != 0 {
		t.Errorf("key %q in database 0 = %d, error %v; want it absent because DB is 3", DefaultKeyPrefix+"k", n, err)
	}
	// SELECT applies to the connection it ran on, so the check must reuse it.
	conn := raw.Conn()
	defer conn.Close()
	if err := conn.Select(ctx, 3).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := conn.Exists(ctx, DefaultKeyPrefix+"k").Result(); err != nil || n != 1 {
		t.Errorf("key %q in database 3 = %d, error %v; want it present", DefaultKeyPrefix+"k", n, err)
	}
}
