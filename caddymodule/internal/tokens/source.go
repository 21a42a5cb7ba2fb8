// Package tokens caches identification tokens per visitor and makes sure
// that concurrent requests for the same visitor share one fetch.
//
// The package knows nothing of HubSpot: callers pass the fetch function.
package tokens

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// FetchFunc mints a new token. Its context is not tied to any one request,
// because concurrent requests share the fetch and its result is cached for
// later ones.
type FetchFunc func(ctx context.Context) (string, error)

// Config sets up a Source.
type Config struct {
	// TTL is how long a fetched token is served from the cache.
	TTL time.Duration

	// Capacity is the maximum number of cached tokens; the least recently
	// used is evicted first.
	Capacity int

	// FetchTimeout bounds one fetch. It is separate from how long a page
	// waits, so a slow answer still fills the cache for the next page view.
	FetchTimeout time.Duration

	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Source returns cached tokens and fetches missing ones, one fetch per key
// at a time.
type Source struct {
	ttl          time.Duration
	fetchTimeout time.Duration
	now          func() time.Time

	mu    sync.Mutex
	cache *lru

	group singleflight.Group

	// base is the parent of every fetch context; Close cancels it.
	base   context.Context
	cancel context.CancelFunc
}

// New returns a Source. It panics if TTL, Capacity or FetchTimeout is not
// positive, because those are configuration errors its caller validates.
func New(cfg Config) *Source {
	if cfg.TTL <= 0 || cfg.Capacity <= 0 || cfg.FetchTimeout <= 0 {
		panic("tokens: TTL, Capacity and FetchTimeout must be positive")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}

	base, cancel := context.WithCancel(context.Background())
	return &Source{
		ttl:          cfg.TTL,
		fetchTimeout: cfg.FetchTimeout,
		now:          now,
		cache:        newLRU(cfg.Capacity),
		base:         base,
		cancel:       cancel,
	}
}

// Get returns the token for key as a Future: resolved at once from the
// cache, or pending on a fetch that concurrent callers for the same key
// share. A failed fetch is not cached.
func (s *Source) Get(key string, fetch FetchFunc) Future {
	if token, ok := s.cached(key); ok {
		return Future{token: token}
	}

	ch := s.group.DoChan(key, func() (any, error) {
		// A caller that started this fetch just before another stored the
		// token would otherwise fetch a second one.
		if token, ok := s.cached(key); ok {
			return token, nil
		}

		ctx, cancel := context.WithTimeout(s.base, s.fetchTimeout)
		defer cancel()

		token, err := fetch(ctx)
		if err != nil {
			return "", err
		}
		s.store(key, token)
		return token, nil
	})
	return Future{pending: ch}
}

// Forget removes the cached token for key, so the next Get fetches anew.
func (s *Source) Forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cache.remove(key)
}

// Len returns the number of cached tokens, expired ones included until
// they are looked up or evicted.
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

func (s *Source) cached(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	e := s.cache.get(key)
	if e == nil {
		return "", false
	}
	if !s.now().Before(e.expires) {
		s.cache.remove(key)
		return "", false
	}
	return e.token, true
}

func (s *Source) store(key, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cache.put(&entry{key: key, token: token, expires: s.now().Add(s.ttl)})
}

// Future is the result of Get: a token available now or later.
type Future struct {
	token   string
	pending <-chan singleflight.Result
}

// ErrNoFetch is returned by Wait on the zero Future.
var ErrNoFetch = errors.New("no token lookup was started")

// Ready reports whether Wait would return without blocking on a fetch.
func (f Future) Ready() bool {
	return f.pending == nil && f.token != ""
}

// Wait returns the token, blocking until the fetch ends or ctx is done. It
// may be called once per Future.
// Abandoning a wait does not cancel the fetch, whose token is still cached.
func (f Future) Wait(ctx context.Context) (string, error) {
	if f.pending == nil {
		if f.token == "" {
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
