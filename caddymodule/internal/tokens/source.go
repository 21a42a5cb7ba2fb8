// Package tokens caches identification tokens per visitor and shares one
// fetch among concurrent requests for the same visitor.
//
// It keeps fetches within what HubSpot and the account can take, with a
// client-side rate limit, pauses after 429 and authentication failures, a
// circuit breaker for outages, a negative cache for rejected visitors, and
// refresh ahead of expiry. An optional shared Store, such as Redis, lets a
// cluster mint each visitor's token once.
//
// The package does not depend on HubSpot: callers pass the fetch function
// and a classifier for its errors.
package tokens

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// FetchFunc mints a new token. Its context is not tied to any one request,
// because concurrent requests share the fetch and its result is cached for
// later ones.
type FetchFunc func(ctx context.Context) (string, error)

// Event is the outcome of a lookup, for metrics.
type Event uint8

const (
	EventMemoryHit Event = iota
	EventSharedHit
	EventMinted
	EventRefreshed
	EventNegative
	EventError
	EventRateLimited
	EventCircuitOpen
	EventPaused
)

// Defaults for the Config fields that may be left zero.
const (
	DefaultBreakerThreshold  = 5
	DefaultBreakerCooldown   = 30 * time.Second
	DefaultAuthBackoff       = 5 * time.Minute
	DefaultNegativeTTL       = time.Hour
	DefaultRetryAfter        = 10 * time.Second
	DefaultSharedWait        = 2 * time.Second
	sharedPollInterval       = 50 * time.Millisecond
	refreshAheadFraction     = 10 // refresh in the last 1/10 of the TTL
	minimumRefreshAheadStart = time.Minute
)

// Config sets up a Source. TTL, Capacity and FetchTimeout are required.
type Config struct {
	// TTL is how long a fetched token is served, at most MaxAge.
	TTL time.Duration

	// Capacity is the maximum number of cached tokens; the least recently
	// used is evicted first.
	Capacity int

	// FetchTimeout bounds one fetch. It is separate from how long a page
	// waits, so a slow response still fills the cache for the next page view.
	FetchTimeout time.Duration

	// RateLimit fetches are allowed in any rolling RateWindow; a lookup
	// beyond that fails at once with ErrRateLimited instead of queueing.
	// Zero RateLimit means no limit.
	RateLimit  int
	RateWindow time.Duration

	// Classify returns the effect of a fetch error on later fetches. Nil
	// treats every error as Transient.
	Classify func(error) Failure

	// BreakerThreshold consecutive transient failures open the circuit
	// breaker for BreakerCooldown. Zero means the defaults.
	BreakerThreshold int
	BreakerCooldown  time.Duration

	// AuthBackoff is how long fetches pause after an Unauthorized failure.
	AuthBackoff time.Duration

	// NegativeTTL is how long a Rejected visitor is not retried.
	NegativeTTL time.Duration

	// Shared is an optional tier between memory and HubSpot.
	Shared Store

	// OnSharedError is called when the shared tier fails; lookups go on
	// without it.
	OnSharedError func(error)

	// Observe is called with each lookup's outcome; nil means none.
	Observe func(Event)

	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Source returns cached tokens and fetches missing ones, one fetch per key
// at a time.
type Source struct {
	cfg Config
	now func() time.Time

	mu    sync.Mutex
	cache *lru

	group   singleflight.Group
	limiter *windowLimiter
	breaker breaker

	pauseMu     sync.Mutex
	pausedUntil time.Time

	// base is the parent of every fetch context; Close cancels it.
	base   context.Context
	cancel context.CancelFunc
}

// New returns a Source. It panics if TTL, Capacity or FetchTimeout is not
// positive or TTL exceeds MaxAge, because those are configuration errors
// its caller validates.
func New(cfg Config) *Source {
	if cfg.TTL <= 0 || cfg.TTL > MaxAge || cfg.Capacity <= 0 || cfg.FetchTimeout <= 0 {
		panic("tokens: TTL (at most MaxAge), Capacity and FetchTimeout must be positive")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BreakerThreshold <= 0 {
		cfg.BreakerThreshold = DefaultBreakerThreshold
	}
	if cfg.BreakerCooldown <= 0 {
		cfg.BreakerCooldown = DefaultBreakerCooldown
	}
	if cfg.AuthBackoff <= 0 {
		cfg.AuthBackoff = DefaultAuthBackoff
	}
	if cfg.NegativeTTL <= 0 {
		cfg.NegativeTTL = DefaultNegativeTTL
	}

	s := &Source{
		cfg:     cfg,
		now:     cfg.Now,
		cache:   newLRU(cfg.Capacity),
		breaker: breaker{threshold: cfg.BreakerThreshold, cooldown: cfg.BreakerCooldown},
	}
	if cfg.RateLimit > 0 && cfg.RateWindow > 0 {
		s.limiter = newWindowLimiter(cfg.RateLimit, cfg.RateWindow)
	}
	s.base, s.cancel = context.WithCancel(context.Background())
	return s
}

// Get returns the token for key as a Future: resolved at once from the
// cache or with an error that needs no call, or pending on a fetch that
// concurrent callers for the same key share. A failed fetch is not cached,
// except that a rejected visitor is remembered for NegativeTTL.
func (s *Source) Get(key string, fetch FetchFunc) Future {
	now := s.now()
	e, ok := s.cached(key, now)
	switch {
	case ok && e.negative:
		s.observe(EventNegative)
		return Future{err: ErrRejected}
	case ok:
		s.observe(EventMemoryHit)
		if !now.Before(e.refreshAt) {
			s.refresh(key, fetch)
		}
		return Future{token: e.token}
	}

	ch := s.group.DoChan(key, func() (any, error) {
		return s.fill(key, fetch)
	})
	return Future{pending: ch}
}

// refresh starts a fetch for a token near the end of its TTL, while the
// caller is served the current one. It does nothing if fetches are held
// back, since the current token is still good.
func (s *Source) refresh(key string, fetch FetchFunc) {
	if s.pausedFor(s.now()) > 0 || s.breaker.open(s.now()) {
		return
	}
	s.group.DoChan(key, func() (any, error) {
		token, err := s.fill(key, fetch)
		if err == nil {
			s.observe(EventRefreshed)
		}
		return token, err
	})
}

// fill finds the token for key in the shared tier or mints it. It runs
// once per key at a time, inside the singleflight group.
func (s *Source) fill(key string, fetch FetchFunc) (any, error) {
	ctx, cancel := context.WithTimeout(s.base, s.cfg.FetchTimeout)
	defer cancel()

	// Another caller may have stored the token just before this one
	// started, or refreshed it.
	if e, ok := s.cached(key, s.now()); ok && !e.negative && s.now().Before(e.refreshAt) {
		return e.token, nil
	}

	sharedKey := hashKey(key)
	if e, ok := s.sharedGet(ctx, sharedKey); ok {
		s.store(key, e)
		s.observe(EventSharedHit)
		return e.Token, nil
	}

	if err := s.admit(); err != nil {
		return "", err
	}

	unlock := s.sharedLock(ctx, sharedKey)
	if unlock == nil {
		// Another server is minting this token; wait for it.
		if e, ok := s.waitShared(ctx, sharedKey); ok {
			s.store(key, e)
			s.observe(EventSharedHit)
			return e.Token, nil
		}
	} else {
		defer unlock()
	}

	mintedAt := s.now()
	token, err := fetch(ctx)
	if err != nil {
		s.failed(key, err)
		return "", err
	}
	s.breaker.record(s.now(), false)
	s.observe(EventMinted)

	e := Entry{Token: token, MintedAt: mintedAt}
	s.store(key, e)
	s.sharedSet(ctx, sharedKey, e)
	return token, nil
}

// admit checks the pause, the circuit breaker and the rate limit before a
// call to HubSpot.
func (s *Source) admit() error {
	now := s.now()
	if d := s.pausedFor(now); d > 0 {
		s.observe(EventPaused)
		return fmt.Errorf("%w for %s", ErrPaused, d.Round(time.Second))
	}
	if !s.breaker.allow(now) {
		s.observe(EventCircuitOpen)
		return ErrCircuitOpen
	}
	if s.limiter != nil && !s.limiter.allow(now) {
		// A probe the breaker let through must not stay claimed.
		s.breaker.cancelProbe()
		s.observe(EventRateLimited)
		return ErrRateLimited
	}
	return nil
}

// failed applies the consequences of a failed fetch.
func (s *Source) failed(key string, err error) {
	failure := Failure{Kind: Transient}
	if s.cfg.Classify != nil {
		failure = s.cfg.Classify(err)
	}

	now := s.now()
	s.breaker.record(now, failure.Kind == Transient)
	s.observe(EventError)

	switch failure.Kind {
	case RateLimited:
		wait := failure.RetryAfter
		if wait <= 0 {
			wait = DefaultRetryAfter
		}
		s.pause(now.Add(wait))
	case Unauthorized:
		s.pause(now.Add(s.cfg.AuthBackoff))
	case Rejected:
		s.mu.Lock()
		s.cache.put(&entry{key: key, negative: true, expires: now.Add(s.cfg.NegativeTTL)})
		s.mu.Unlock()
	}
}

func (s *Source) pause(until time.Time) {
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	if until.After(s.pausedUntil) {
		s.pausedUntil = until
	}
}

// pausedFor returns how much longer fetches are paused, or zero.
func (s *Source) pausedFor(now time.Time) time.Duration {
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	return s.pausedUntil.Sub(now)
}

// Forget removes the cached token for key from memory and the shared
// tier, so the next Get fetches anew.
func (s *Source) Forget(ctx context.Context, key string) error {
	s.mu.Lock()
	s.cache.remove(key)
	s.mu.Unlock()

	if s.cfg.Shared == nil {
		return nil
	}
	return s.cfg.Shared.Delete(ctx, hashKey(key))
}

// Len returns the number of cached entries, expired and negative ones
// included until they are looked up or evicted.
func (s *Source) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cache.len()
}

// Close cancels fetches in flight. Futures waiting on them resolve with an
// error.
func (s *Source) Close() {
	s.cancel()
}

func (s *Source) cached(key string, now time.Time) (entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	e := s.cache.get(key)
	if e == nil {
		return entry{}, false
	}
	if !now.Before(e.expires) {
		s.cache.remove(key)
		return entry{}, false
	}
	return *e, true
}

// store caches e, serving it until TTL after it was minted, and never past
// MaxAge, even when another server minted it earlier.
func (s *Source) store(key string, e Entry) {
	ttl := min(s.cfg.TTL, MaxAge)
	expires := e.MintedAt.Add(ttl)
	ahead := max(ttl/refreshAheadFraction, minimumRefreshAheadStart)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.cache.put(&entry{
		key:       key,
		token:     e.Token,
		mintedAt:  e.MintedAt,
		refreshAt: expires.Add(-ahead),
		expires:   expires,
	})
}

func (s *Source) observe(e Event) {
	if s.cfg.Observe != nil {
		s.cfg.Observe(e)
	}
}

// hashKey names a visitor in the shared tier without revealing the email.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Future is the result of Get: a token available now or later.
type Future struct {
	token   string
	err     error
	pending <-chan singleflight.Result
}

// Ready reports whether Wait would return without blocking on a fetch.
func (f Future) Ready() bool {
	return f.pending == nil && (f.token != "" || f.err != nil)
}

// Wait returns the token, blocking until the fetch ends or ctx is done. It
// may be called once per Future. Abandoning a wait does not cancel the
// fetch, whose token is still cached.
func (f Future) Wait(ctx context.Context) (string, error) {
	if f.pending == nil {
		switch {
		case f.err != nil:
			return "", f.err
		case f.token == "":
			return "", ErrNoFetch
		}
		return f.token, nil
	}

	select {
	case res := <-f.pending:
		if res.Err != nil {
			return "", res.Err
		}
		return res.Val.(string), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
