package caddymodule

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/tokens"
)

// sources holds the token caches of every running config, keyed by the
// settings that shape them, so that `caddy reload` keeps the tokens
// instead of minting them all again.
var sources = caddy.NewUsagePool()

// pooledSource is a token source shared by the handlers of successive
// config generations. Its hooks point at the newest handler's metrics and
// logger, because the old generation's are discarded after a reload.
type pooledSource struct {
	*tokens.Source
	shared interface{ Close() error }

	metrics atomic.Pointer[metrics]
	logger  atomic.Pointer[sampledLogger]
}

// Destruct closes the source when no config uses it any more.
func (p *pooledSource) Destruct() error {
	p.Source.Close()
	if p.shared != nil {
		return p.shared.Close()
	}
	return nil
}

// sourceKey identifies the settings that a token cache depends on. The
// access token is hashed so the pool never holds it in its keys.
func (h *Handler) sourceKey() string {
	sum := sha256.Sum256([]byte(h.accessToken + "\x00" + h.Endpoint))
	return fmt.Sprintf("%s|%d|%d|%d|%d|%s|%t",
		hex.EncodeToString(sum[:8]), h.TokenTTL, h.MaxTokens,
		h.rateLimit().Requests, h.rateLimit().Window, h.redisKey(), h.Persist)
}

// loadSource returns the shared token source for this handler's settings,
// creating it if no running config has one.
func (h *Handler) loadSource(ctx caddy.Context) (*pooledSource, error) {
	value, _, err := sources.LoadOrNew(h.sourceKey(), func() (caddy.Destructor, error) {
		return h.newSource(ctx)
	})
	if err != nil {
		return nil, err
	}

	p := value.(*pooledSource)
	p.metrics.Store(h.metrics)
	p.logger.Store(h.warnings)
	return p, nil
}

func (h *Handler) newSource(ctx caddy.Context) (*pooledSource, error) {
	p := new(pooledSource)
	limit := h.rateLimit()

	cfg := tokens.Config{
		TTL:          time.Duration(h.TokenTTL),
		Capacity:     h.MaxTokens,
		FetchTimeout: fetchTimeout,
		RateLimit:    limit.Requests,
		RateWindow:   time.Duration(limit.Window),
		Classify:     classifyFailure,
		Observe: func(e tokens.Event) {
			p.metrics.Load().observe(e)
		},
		OnSharedError: func(err error) {
			p.logger.Load().Warn("shared token store failed; tokens are looked up per server until it recovers",
				zap.Error(err))
		},
	}

	switch {
	case h.Redis != nil:
		store, err := h.Redis.open(h.logger.Named("redis"))
		if err != nil {
			return nil, err
		}
		cfg.Shared = store
		p.shared = store
	case h.Persist:
		cfg.Shared = storageStore{storage: ctx.Storage()}
	}

	p.Source = tokens.New(cfg)
	return p, nil
}
