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

var errTest = errors.New("fetch failed")

// classified returns a fetch error that classifyTest maps to failure.
type classified struct{ failure Failure }

func (c classified) Error() string { return fmt.Sprintf("failure kind %d", c.failure.Kind) }

func classifyTest(err error) Failure {
	var c classified
	if errors.As(err, &c) {
		return c.failure
	}
	return Failure{Kind: Transient}
}

func newClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
}

func newResilientSource(t *testing.T, clock *fakeClock, modify func(*Config)) *Source {
	t.Helper()
	cfg := Config{
		TTL:          time.Hour,
		Capacity:     100,
		FetchTimeout: 5 * time.Second,
		Classify:     classifyTest,
		Now:          clock.Now,
	}
	if modify != nil {
		modify(&cfg)
	}
	s := New(cfg)
	t.Cleanup(s.Close)
	return s
}

// lookup runs one Get and returns its result.
func lookup(s *Source, key string, fetch FetchFunc) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Get(key, fetch).Wait(ctx)
}

// failingFetch counts calls and fails with err.
func failingFetch(calls *atomic.Int64, err error) FetchFunc {
	return func(context.Context) (string, error) {
		calls.Add(1)
		return "", err
	}
}

func TestRateLimitRejectsBeyondBudget(t *testing.T) {
	clock := newClock()
	s := newResilientSource(t, clock, func(c *Config) { c.RateLimit, c.RateWindow = 2, 10*time.Second })
	var calls atomic.Int64

	for _, key := range []string{"a", "b"} {
		if _, err := lookup(s, key, countingFetch(&calls)); err != nil {
			t.Fatalf("lookup(%s) error = %v", key, err)
		}
	}
	if _, err := lookup(s, "c", countingFetch(&calls)); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("third lookup error = %v, want %v", err, ErrRateLimited)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("fetch calls = %d, want 2", got)
	}

	clock.Advance(10*time.Second + 100*time.Millisecond)
	if _, err := lookup(s, "c", countingFetch(&calls)); err != nil {
		t.Errorf("lookup after the window error = %v, want nil", err)
	}
}

func TestRateLimitedAnswerPausesAllFetches(t *testing.T) {
	clock := newClock()
	s := newResilientSource(t, clock, nil)
	var calls atomic.Int64

	limited := classified{Failure{Kind: RateLimited, RetryAfter: 30 * time.Second}}
	if _, err := lookup(s, "a", failingFetch(&calls, limited)); err == nil {
		t.Fatal("lookup error = nil, want the 429")
	}

	clock.Advance(29 * time.Second)
	if _, err := lookup(s, "b", countingFetch(&calls)); !errors.Is(err, ErrPaused) {
		t.Errorf("lookup during the pause error = %v, want %v", err, ErrPaused)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("fetch calls during the pause = %d, want 1", got)
	}

	clock.Advance(time.Second)
	if _, err := lookup(s, "b", countingFetch(&calls)); err != nil {
		t.Errorf("lookup after Retry-After error = %v, want nil", err)
	}
}

func TestRateLimitedWithoutRetryAfterUsesDefault(t *testing.T) {
	clock := newClock()
	s := newResilientSource(t, clock, nil)
	var calls atomic.Int64

	lookup(s, "a", failingFetch(&calls, classified{Failure{Kind: RateLimited}}))
	clock.Advance(DefaultRetryAfter - time.Second)
	if _, err := lookup(s, "b", countingFetch(&calls)); !errors.Is(err, ErrPaused) {
		t.Errorf("lookup error = %v, want %v", err, ErrPaused)
	}
	clock.Advance(time.Second)
	if _, err := lookup(s, "b", countingFetch(&calls)); err != nil {
		t.Errorf("lookup after the default pause error = %v, want nil", err)
	}
}

func TestUnauthorizedBacksOffForMinutes(t *testing.T) {
	clock := newClock()
	s := newResilientSource(t, clock, nil)
	var calls atomic.Int64

	lookup(s, "a", failingFetch(&calls, classified{Failure{Kind: Unauthorized}}))

	clock.Advance(DefaultAuthBackoff - time.Second)
	for _, key := range []string{"a", "b", "c"} {
		if _, err := lookup(s, key, countingFetch(&calls)); !errors.Is(err, ErrPaused) {
			t.Errorf("lookup(%s) during the back-off error = %v, want %v", key, err, ErrPaused)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("fetch calls = %d, want 1: the back-off must stop every visitor's fetch", got)
	}

	clock.Advance(time.Second)
	if _, err := lookup(s, "b", countingFetch(&calls)); err != nil {
		t.Errorf("lookup after the back-off error = %v, want nil", err)
	}
}

func TestCircuitBreakerOpensAndProbes(t *testing.T) {
	clock := newClock()
	s := newResilientSource(t, clock, nil)
	var calls atomic.Int64

	for i := range DefaultBreakerThreshold {
		lookup(s, fmt.Sprintf("down%d", i), failingFetch(&calls, errTest))
	}
	if _, err := lookup(s, "next", countingFetch(&calls)); !errors.Is(err, ErrCircuitOpen) {
		t.Fatalf("lookup with the breaker open error = %v, want %v", err, ErrCircuitOpen)
	}
	if got := calls.Load(); got != int64(DefaultBreakerThreshold) {
		t.Errorf("fetch calls = %d, want %d", got, DefaultBreakerThreshold)
	}

	// After the cool-down one probe goes through; others wait for it.
	clock.Advance(DefaultBreakerCooldown)
	release := make(chan struct{})
	probe := s.Get("probe", func(context.Context) (string, error) {
		calls.Add(1)
		<-release
		return "probe-token", nil
	})
	waitFor(t, func() bool { return calls.Load() == int64(DefaultBreakerThreshold)+1 })
	if _, err := lookup(s, "other", countingFetch(&calls)); !errors.Is(err, ErrCircuitOpen) {
		t.Errorf("lookup during the probe error = %v, want %v", err, ErrCircuitOpen)
	}
	close(release)
	if _, err := probe.Wait(context.Background()); err != nil {
		t.Fatalf("probe error = %v", err)
	}

	if _, err := lookup(s, "other", countingFetch(&calls)); err != nil {
		t.Errorf("lookup after a good probe error = %v, want nil", err)
	}
}

func TestCircuitBreakerReopensAfterFailedProbe(t *testing.T) {
	clock := newClock()
	s := newResilientSource(t, clock, nil)
	var calls atomic.Int64

	for i := range DefaultBreakerThreshold {
		lookup(s, fmt.Sprintf("down%d", i), failingFetch(&calls, errTest))
	}
	clock.Advance(DefaultBreakerCooldown)
	lookup(s, "probe", failingFetch(&calls, errTest))

	if _, err := lookup(s, "next", countingFetch(&calls)); !errors.Is(err, ErrCircuitOpen) {
		t.Errorf("lookup after a failed probe error = %v, want %v", err, ErrCircuitOpen)
	}
}

func TestRejectedVisitorIsNotRetried(t *testing.T) {
	clock := newClock()
	s := newResilientSource(t, clock, nil)
	var calls atomic.Int64

	lookup(s, "bad", failingFetch(&calls, classified{Failure{Kind: Rejected}}))
	if _, err := lookup(s, "bad", countingFetch(&calls)); !errors.Is(err, ErrRejected) {
		t.Errorf("second lookup error = %v, want %v", err, ErrRejected)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("fetch calls = %d, want 1", got)
	}
	if _, err := lookup(s, "good", countingFetch(&calls)); err != nil {
		t.Errorf("another visitor's lookup error = %v, want nil", err)
	}

	clock.Advance(DefaultNegativeTTL)
	if _, err := lookup(s, "bad", countingFetch(&calls)); err != nil {
		t.Errorf("lookup after the negative TTL error = %v, want a new fetch", err)
	}
}

func TestRefreshAheadServesCurrentToken(t *testing.T) {
	clock := newClock()
	s := newResilientSource(t, clock, nil)
	var calls atomic.Int64

	first, err := lookup(s, "ada", countingFetch(&calls))
	if err != nil {
		t.Fatal(err)
	}

	// In the last tenth of the TTL a page view gets the current token at
	// once and starts a refresh in the background.
	clock.Advance(55 * time.Minute)
	f := s.Get("ada", countingFetch(&calls))
	if !f.Ready() {
		t.Fatal("lookup near the end of the TTL waits for a fetch, want the current token")
	}
	if got, _ := f.Wait(context.Background()); got != first {
		t.Errorf("token near the end of the TTL = %q, want the current %q", got, first)
	}

	waitFor(t, func() bool { return calls.Load() == 2 })
	waitFor(t, func() bool {
		got, _ := lookup(s, "ada", countingFetch(&calls))
		return got == "token-2"
	})
}

func TestTokenNeverServedPastMaxAge(t *testing.T) {
	clock := newClock()
	store := newMemStore()
	s := newResilientSource(t, clock, func(c *Config) { c.TTL, c.Shared = MaxAge, store })

	// Another server minted this token almost 12 hours ago.
	store.Set(context.Background(), hashKey("ada"), Entry{Token: "old", MintedAt: clock.Now().Add(-MaxAge + time.Minute)}, time.Hour)

	var calls atomic.Int64
	if got, err := lookup(s, "ada", countingFetch(&calls)); err != nil || got != "old" {
		t.Fatalf("lookup = (%q, %v), want the shared token", got, err)
	}

	clock.Advance(time.Minute)
	got, err := lookup(s, "ada", countingFetch(&calls))
	if err != nil {
		t.Fatal(err)
	}
	if got == "old" {
		t.Error("served a token 12 hours after it was minted")
	}
}

func TestSharedStoreOneFetchForTwoServers(t *testing.T) {
	clock := newClock()
	store := newMemStore()
	a := newResilientSource(t, clock, func(c *Config) { c.Shared = store })
	b := newResilientSource(t, clock, func(c *Config) { c.Shared = store })

	var calls atomic.Int64
	release := make(chan struct{})
	slow := func(context.Context) (string, error) {
		calls.Add(1)
		<-release
		return "shared-token", nil
	}

	fa := a.Get("ada", slow)
	waitFor(t, func() bool { return calls.Load() == 1 })
	fb := b.Get("ada", slow)
	close(release)

	for name, f := range map[string]Future{"a": fa, "b": fb} {
		got, err := f.Wait(context.Background())
		if err != nil || got != "shared-token" {
			t.Errorf("server %s lookup = (%q, %v), want the shared token", name, got, err)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("fetch calls = %d, want 1 for the cluster", got)
	}
}

func TestSharedStoreFailureDegradesToLocal(t *testing.T) {
	clock := newClock()
	store := newMemStore()
	store.fail.Store(true)
	var sharedErrors atomic.Int64
	s := newResilientSource(t, clock, func(c *Config) {
		c.Shared = store
		c.OnSharedError = func(error) { sharedErrors.Add(1) }
	})

	var calls atomic.Int64
	if _, err := lookup(s, "ada", countingFetch(&calls)); err != nil {
		t.Fatalf("lookup with the shared tier down error = %v, want a local fetch", err)
	}
	if sharedErrors.Load() == 0 {
		t.Error("OnSharedError was not called")
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("fetch calls = %d, want 1", got)
	}
}

func TestForgetRemovesSharedEntry(t *testing.T) {
	clock := newClock()
	store := newMemStore()
	s := newResilientSource(t, clock, func(c *Config) { c.Shared = store })
	var calls atomic.Int64

	lookup(s, "ada", countingFetch(&calls))
	if err := s.Forget(context.Background(), "ada"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := store.Get(context.Background(), hashKey("ada")); ok {
		t.Error("shared entry still present after Forget")
	}
}

func TestHashKeyHidesEmail(t *testing.T) {
	key := hashKey("ada@example.com")
	if len(key) != 64 {
		t.Errorf("hashKey length = %d, want 64 hex digits", len(key))
	}
	if key == hashKey("bob@example.com") {
		t.Error("two emails share a key")
	}
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// memStore is an in-memory Store for unit tests of the Source; the Redis
// implementation has its own tests against a real server.
type memStore struct {
	mu      sync.Mutex
	entries map[string]Entry
	locks   map[string]bool
	fail    atomic.Bool
}

var errStoreDown = errors.New("store down")

func newMemStore() *memStore {
	return &memStore{entries: make(map[string]Entry), locks: make(map[string]bool)}
}

func (m *memStore) Get(_ context.Context, key string) (Entry, bool, error) {
	if m.fail.Load() {
		return Entry{}, false, errStoreDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	return e, ok, nil
}

func (m *memStore) Set(_ context.Context, key string, e Entry, _ time.Duration) error {
	if m.fail.Load() {
		return errStoreDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries[key] = e
	return nil
}

func (m *memStore) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, key)
	return nil
}

func (m *memStore) Lock(_ context.Context, key string, _ time.Duration) (func(), bool, error) {
	if m.fail.Load() {
		return nil, false, errStoreDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locks[key] {
		return nil, false, nil
	}
	m.locks[key] = true
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.locks, key)
	}, true, nil
}

func TestRateLimitIsRollingWindow(t *testing.T) {
	clock := newClock()
	s := newResilientSource(t, clock, func(c *Config) { c.RateLimit, c.RateWindow = 3, 10*time.Second })
	var calls atomic.Int64

	// Three calls spread over the window use it up; a fourth must wait
	// until the first leaves the window, never doubling the budget.
	for i := range 3 {
		if _, err := lookup(s, fmt.Sprintf("a%d", i), countingFetch(&calls)); err != nil {
			t.Fatalf("lookup %d error = %v", i, err)
		}
		clock.Advance(3 * time.Second)
	}
	// Now 9s after the first call.
	if _, err := lookup(s, "b", countingFetch(&calls)); !errors.Is(err, ErrRateLimited) {
		t.Errorf("fourth lookup within the window error = %v, want %v", err, ErrRateLimited)
	}
	// The limiter keeps a call counted up to one slot (a hundredth of the
	// window) past the window, to err on the side of fewer calls.
	clock.Advance(time.Second + 100*time.Millisecond)
	if _, err := lookup(s, "b", countingFetch(&calls)); err != nil {
		t.Errorf("lookup after the first call left the window error = %v", err)
	}
	if _, err := lookup(s, "c", countingFetch(&calls)); !errors.Is(err, ErrRateLimited) {
		t.Errorf("lookup with the window full again error = %v, want %v", err, ErrRateLimited)
	}
	if got := calls.Load(); got != 4 {
		t.Errorf("fetch calls = %d, want 4", got)
	}
}

func TestWindowLimiterMemoryIsFixed(t *testing.T) {
	// A huge limit, as someone may set to turn limiting off, must not
	// allocate per allowed call.
	l := newWindowLimiter(10_000_000, 10*time.Second)
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for i := range 1000 {
		if !l.allow(now.Add(time.Duration(i) * time.Millisecond)) {
			t.Fatalf("call %d rejected under a limit of ten million", i)
		}
	}
}
