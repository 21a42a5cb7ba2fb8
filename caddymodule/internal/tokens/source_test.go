package tokens

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock for expiry tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestSource(t *testing.T, capacity int, clock *fakeClock) *Source {
	t.Helper()
	cfg := Config{TTL: time.Hour, Capacity: capacity, FetchTimeout: 5 * time.Second}
	if clock != nil {
		cfg.Now = clock.Now
	}
	s := New(cfg)
	t.Cleanup(s.Close)
	return s
}

// countingFetch returns a FetchFunc that mints "token-N" and counts calls.
func countingFetch(calls *atomic.Int64) FetchFunc {
	return func(ctx context.Context) (string, error) {
		n := calls.Add(1)
		return fmt.Sprintf("token-%d", n), nil
	}
}

func wait(t *testing.T, f Future) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	token, err := f.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait() error = %v", err)
	}
	return token
}

func TestGetCachesToken(t *testing.T) {
	s := newTestSource(t, 10, nil)
	var calls atomic.Int64

	first := wait(t, s.Get("ada@example.com", countingFetch(&calls)))
	second := s.Get("ada@example.com", countingFetch(&calls))

	if !second.Ready() {
		t.Fatal("second Get is not served from the cache")
	}
	if got := wait(t, second); got != first {
		t.Errorf("cached token = %q, want %q", got, first)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("fetch calls = %d, want 1", got)
	}
}

func TestGetConcurrentColdKeySharesOneFetch(t *testing.T) {
	s := newTestSource(t, 10, nil)
	var calls atomic.Int64
	release := make(chan struct{})
	fetch := func(ctx context.Context) (string, error) {
		calls.Add(1)
		<-release
		return "shared-token", nil
	}

	const callers = 200
	futures := make([]Future, callers)
	var started sync.WaitGroup
	for i := range callers {
		started.Add(1)
		go func() {
			defer started.Done()
			futures[i] = s.Get("ada@example.com", fetch)
		}()
	}
	started.Wait()
	close(release)

	for i, f := range futures {
		if got := wait(t, f); got != "shared-token" {
			t.Errorf("caller %d token = %q, want %q", i, got, "shared-token")
		}
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("fetch calls = %d, want 1", got)
	}
}

func TestGetDistinctKeysFetchSeparately(t *testing.T) {
	s := newTestSource(t, 10, nil)
	var calls atomic.Int64

	a := wait(t, s.Get("a@example.com", countingFetch(&calls)))
	b := wait(t, s.Get("b@example.com", countingFetch(&calls)))

	if a == b {
		t.Errorf("two visitors got the same token %q", a)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("fetch calls = %d, want 2", got)
	}
}

func TestGetExpiredTokenFetchesAgain(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	s := newTestSource(t, 10, clock)
	var calls atomic.Int64

	first := wait(t, s.Get("ada@example.com", countingFetch(&calls)))

	clock.Advance(time.Hour - time.Second)
	if got := wait(t, s.Get("ada@example.com", countingFetch(&calls))); got != first {
		t.Errorf("token before TTL = %q, want %q", got, first)
	}

	clock.Advance(time.Second)
	second := wait(t, s.Get("ada@example.com", countingFetch(&calls)))
	if second == first {
		t.Errorf("token after TTL = %q, want a new one", second)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("fetch calls = %d, want 2", got)
	}
}

func TestGetErrorIsNotCached(t *testing.T) {
	s := newTestSource(t, 10, nil)
	failure := errors.New("hubspot is down")
	fail := func(ctx context.Context) (string, error) { return "", failure }

	_, err := s.Get("ada@example.com", fail).Wait(context.Background())
	if !errors.Is(err, failure) {
		t.Fatalf("Wait() error = %v, want %v", err, failure)
	}
	if got := s.Len(); got != 0 {
		t.Errorf("Len() after failure = %d, want 0", got)
	}

	var calls atomic.Int64
	if got := wait(t, s.Get("ada@example.com", countingFetch(&calls))); got != "token-1" {
		t.Errorf("token after failure = %q, want %q", got, "token-1")
	}
}

func TestGetEvictsLeastRecentlyUsed(t *testing.T) {
	s := newTestSource(t, 2, nil)
	var calls atomic.Int64

	wait(t, s.Get("a", countingFetch(&calls)))
	wait(t, s.Get("b", countingFetch(&calls)))
	wait(t, s.Get("a", countingFetch(&calls))) // a is now the most recently used
	wait(t, s.Get("c", countingFetch(&calls))) // evicts b

	if got := s.Len(); got != 2 {
		t.Errorf("Len() = %d, want 2", got)
	}
	if !s.Get("a", countingFetch(&calls)).Ready() {
		t.Error("a was evicted, want it kept as recently used")
	}
	if s.Get("b", countingFetch(&calls)).Ready() {
		t.Error("b is cached, want it evicted")
	}
}

func TestWaitTimeoutKeepsFetchedToken(t *testing.T) {
	s := newTestSource(t, 10, nil)
	release := make(chan struct{})
	fetch := func(ctx context.Context) (string, error) {
		<-release
		return "late-token", nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := s.Get("ada@example.com", fetch).Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait() error = %v, want %v", err, context.DeadlineExceeded)
	}

	close(release)
	if got := wait(t, s.Get("ada@example.com", fetch)); got != "late-token" {
		t.Errorf("token after abandoned wait = %q, want %q", got, "late-token")
	}
}

func TestForgetRemovesToken(t *testing.T) {
	s := newTestSource(t, 10, nil)
	var calls atomic.Int64

	wait(t, s.Get("ada@example.com", countingFetch(&calls)))
	if err := s.Forget(context.Background(), "ada@example.com"); err != nil {
		t.Fatalf("Forget() error = %v", err)
	}

	if s.Get("ada@example.com", countingFetch(&calls)).Ready() {
		t.Error("token is still cached after Forget")
	}
}

func TestCloseCancelsFetch(t *testing.T) {
	s := New(Config{TTL: time.Hour, Capacity: 10, FetchTimeout: time.Minute})
	fetch := func(ctx context.Context) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	}

	f := s.Get("ada@example.com", fetch)
	s.Close()

	if _, err := f.Wait(context.Background()); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait() after Close error = %v, want %v", err, context.Canceled)
	}
}

func TestZeroFutureWait(t *testing.T) {
	if _, err := (Future{}).Wait(context.Background()); !errors.Is(err, ErrNoFetch) {
		t.Errorf("Wait() error = %v, want %v", err, ErrNoFetch)
	}
}

func BenchmarkGetCached(b *testing.B) {
	s := New(Config{TTL: time.Hour, Capacity: 10, FetchTimeout: time.Second})
	defer s.Close()
	fetch := func(ctx context.Context) (string, error) { return "token", nil }
	if _, err := s.Get("ada@example.com", fetch).Wait(context.Background()); err != nil {
		b.Fatal(err)
	}

	b.ReportAllocs()
	for b.Loop() {
		if !s.Get("ada@example.com", fetch).Ready() {
			b.Fatal("cache miss")
		}
	}
}
