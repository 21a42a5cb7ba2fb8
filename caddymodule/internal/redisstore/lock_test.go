package redisstore

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLockExcludesSecondHolder(t *testing.T) {
	srv := startServer(t, serverConfig{})
	store := newTestStore(t, Config{URL: srv.url("")})
	other := newTestStore(t, Config{URL: srv.url("")})
	ctx := testContext(t)

	unlock, acquired, err := store.Lock(ctx, "k", time.Minute)
	if err != nil || !acquired {
		t.Fatalf("first Lock = acquired %v, error %v; want acquired", acquired, err)
	}

	unlockOther, acquired, err := other.Lock(ctx, "k", time.Minute)
	if err != nil {
		t.Fatalf("second Lock error = %v", err)
	}
	if acquired {
		t.Fatal("second Lock while the first is held: acquired = true, want false")
	}
	// The unlock of a Lock that was not acquired must leave the holder's lock.
	unlockOther()
	if _, acquired, _ := other.Lock(ctx, "k", time.Minute); acquired {
		t.Fatal("Lock after calling the unlock of a failed Lock: acquired = true, want false")
	}

	unlock()
	unlockOther, acquired, err = other.Lock(ctx, "k", time.Minute)
	if err != nil || !acquired {
		t.Fatalf("Lock after unlock = acquired %v, error %v; want acquired", acquired, err)
	}
	unlockOther()
}

func TestUnlockKeepsLockTakenAfterExpiry(t *testing.T) {
	srv := startServer(t, serverConfig{})
	raw := srv.inspect(t, "")
	first := newTestStore(t, Config{URL: srv.url("")})
	second := newTestStore(t, Config{URL: srv.url("")})
	ctx := testContext(t)
	lockKey := DefaultKeyPrefix + "lock:k"

	unlockFirst, acquired, err := first.Lock(ctx, "k", 100*time.Millisecond)
	if err != nil || !acquired {
		t.Fatalf("first Lock = acquired %v, error %v; want acquired", acquired, err)
	}

	deadline := time.Now().Add(2 * time.Second)
	for {
		n, err := raw.Exists(ctx, lockKey).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lock with ttl 100ms still present after 2s")
		}
		time.Sleep(10 * time.Millisecond)
	}

	unlockSecond, acquired, err := second.Lock(ctx, "k", time.Minute)
	if err != nil || !acquired {
		t.Fatalf("Lock after expiry = acquired %v, error %v; want acquired", acquired, err)
	}
	owner, err := raw.Get(ctx, lockKey).Result()
	if err != nil {
		t.Fatal(err)
	}

	unlockFirst()

	got, err := raw.Get(ctx, lockKey).Result()
	if err != nil {
		t.Fatalf("lock %q after the expired holder's unlock: %v; want it kept", lockKey, err)
	}
	if got != owner {
		t.Errorf("lock %q owner = %q, want %q", lockKey, got, owner)
	}

	unlockSecond()
	if n, err := raw.Exists(ctx, lockKey).Result(); err != nil || n != 0 {
		t.Errorf("lock %q after its holder's unlock: exists %d, error %v; want it deleted", lockKey, n, err)
	}
}

func TestLockConcurrentOneAcquires(t *testing.T) {
	srv := startServer(t, serverConfig{})
	store := newTestStore(t, Config{URL: srv.url("")})
	ctx := testContext(t)

	const callers = 20
	var acquiredCount atomic.Int64
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			_, acquired, err := store.Lock(ctx, "k", time.Minute)
			if err != nil {
				t.Errorf("Lock error = %v", err)
			}
			if acquired {
				acquiredCount.Add(1)
			}
		})
	}
	wg.Wait()

	if got := acquiredCount.Load(); got != 1 {
		t.Errorf("%d concurrent Locks acquired %d times, want 1", callers, got)
	}
}

func TestLockRejectsInvalidTTL(t *testing.T) {
	srv := startServer(t, serverConfig{})
	raw := srv.inspect(t, "")
	store := newTestStore(t, Config{URL: srv.url("")})
	ctx := testContext(t)

	for _, ttl := range []time.Duration{0, -time.Second, 999 * time.Microsecond} {
		t.Run(ttl.String(), func(t *testing.T) {
			unlock, acquired, err := store.Lock(ctx, "k", ttl)
			if err == nil || !strings.Contains(err.Error(), "invalid TTL") {
				t.Errorf("Lock with ttl %v error = %v, want an invalid TTL error", ttl, err)
			}
			if acquired {
				t.Errorf("Lock with ttl %v acquired = true, want false", ttl)
			}
			if unlock == nil {
				t.Fatalf("Lock with ttl %v returned a nil unlock", ttl)
			}
			unlock()

			if n, err := raw.Exists(ctx, DefaultKeyPrefix+"lock:k").Result(); err != nil || n != 0 {
				t.Errorf("Lock with ttl %v left a lock key: exists %d, error %v", ttl, n, err)
			}
		})
	}
}
