package tokens

import (
	"context"
	"errors"
	"time"
)

// ErrNoFetch is returned by Wait on the zero Future.
var ErrNoFetch = errors.New("no token lookup was started")

// sharedGet returns a usable entry from the shared tier.
func (s *Source) sharedGet(ctx context.Context, key string) (Entry, bool) {
	if s.cfg.Shared == nil {
		return Entry{}, false
	}
	e, ok, err := s.cfg.Shared.Get(ctx, key)
	if err != nil {
		s.sharedError(err)
		return Entry{}, false
	}
	if !ok || e.Token == "" || !s.now().Before(e.MintedAt.Add(min(s.cfg.TTL, MaxAge))) {
		return Entry{}, false
	}
	return e, true
}

// sharedSet stores a minted entry for as long as it may be served.
func (s *Source) sharedSet(ctx context.Context, key string, e Entry) {
	if s.cfg.Shared == nil {
		return
	}
	ttl := e.MintedAt.Add(min(s.cfg.TTL, MaxAge)).Sub(s.now())
	if ttl <= 0 {
		return
	}
	if err := s.cfg.Shared.Set(ctx, key, e, ttl); err != nil {
		s.sharedError(err)
	}
}

// sharedLock takes the cluster-wide lock for minting key's token. It
// returns nil if another server holds it, and a no-op unlock if there is
// no shared tier or it failed, so the caller mints on its own.
func (s *Source) sharedLock(ctx context.Context, key string) (unlock func()) {
	noop := func() {}
	if s.cfg.Shared == nil {
		return noop
	}
	release, acquired, err := s.cfg.Shared.Lock(ctx, key, s.cfg.FetchTimeout)
	if err != nil {
		s.sharedError(err)
		return noop
	}
	if !acquired {
		return nil
	}
	return release
}

// waitShared polls the shared tier while another server mints the token,
// up to DefaultSharedWait.
func (s *Source) waitShared(ctx context.Context, key string) (Entry, bool) {
	ctx, cancel := context.WithTimeout(ctx, DefaultSharedWait)
	defer cancel()

	ticker := time.NewTicker(sharedPollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return Entry{}, false
		case <-ticker.C:
			if e, ok := s.sharedGet(ctx, key); ok {
				return e, true
			}
		}
	}
}

func (s *Source) sharedError(err error) {
	if s.cfg.OnSharedError != nil {
		s.cfg.OnSharedError(err)
	}
}
