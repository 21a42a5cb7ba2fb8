// Package redisstore keeps identification tokens in Redis, so that the
// servers of a cluster share each visitor's token and one of them mints it.
//
// Every call is bounded by a short timeout. A Redis that is down or slow
// makes calls fail fast, and the caller falls back to its own cache.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/tokens"
)

var _ tokens.Store = (*Store)(nil)

// Store is a tokens.Store on one Redis server. It is safe for concurrent
// use. The token for key is stored under KeyPrefix+key, and its lock under
// KeyPrefix+"lock:"+key. Keys must not start with "lock:", which would
// collide with a lock. Hashes in hex or base64 never do.
type Store struct {
	client  *redis.Client
	prefix  string
	timeout time.Duration
	logger  *zap.Logger
}

// New returns a Store for cfg. It does not connect: the first call does,
// so that a Redis that is down when the server starts delays nothing. Use
// Ping to check the connection.
//
// go-redis logs some failures, such as each failed dial, through one
// package-wide logger. With cfg.Logger set, New sends those lines to it at
// debug level, because the same failures reach the caller as errors.
func New(cfg Config) (*Store, error) {
	opts, err := cfg.options()
	if err != nil {
		return nil, err
	}

	prefix := cfg.KeyPrefix
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	logger := cfg.Logger
	if logger == nil {
		logger = zap.NewNop()
	} else {
		redis.SetLogger(clientLogger{logger})
	}

	return &Store{
		client:  redis.NewClient(opts),
		prefix:  prefix,
		timeout: cfg.timeout(),
		logger:  logger,
	}, nil
}

// Get returns the entry stored for key, or ok false if there is none.
func (s *Store) Get(ctx context.Context, key string) (e tokens.Entry, ok bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	value, err := s.client.Get(ctx, s.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return tokens.Entry{}, false, nil
	}
	if err != nil {
		return tokens.Entry{}, false, fmt.Errorf("redis: GET failed: %w", err)
	}

	e, err = decodeEntry(value)
	if err != nil {
		return tokens.Entry{}, false, fmt.Errorf("redis: invalid entry under key %q: %w", s.prefix+key, err)
	}
	return e, true, nil
}

// Set stores e under key until ttl passes. Redis expires keys to the
// millisecond, so ttl must be at least 1ms, and it is truncated to whole
// milliseconds.
func (s *Store) Set(ctx context.Context, key string, e tokens.Entry, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return err
	}
	value, err := encodeEntry(e)
	if err != nil {
		return fmt.Errorf("redis: invalid entry: %w", err)
	}

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	if err := s.client.Set(ctx, s.prefix+key, value, ttl).Err(); err != nil {
		return fmt.Errorf("redis: SET failed: %w", err)
	}
	return nil
}

// Delete removes the entry for key, if any. It leaves the lock on key.
func (s *Store) Delete(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	if err := s.client.Del(ctx, s.prefix+key).Err(); err != nil {
		return fmt.Errorf("redis: DEL failed: %w", err)
	}
	return nil
}

// Ping checks that the server replies and accepts the credentials.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: PING failed: %w", err)
	}
	return nil
}

// Close closes the connections. Calls after Close return errors.
func (s *Store) Close() error {
	return s.client.Close()
}

// checkTTL rejects a ttl that Redis cannot represent. A zero ttl would
// otherwise reach go-redis, which treats it as no expiry at all.
func checkTTL(ttl time.Duration) error {
	if ttl < time.Millisecond {
		return fmt.Errorf("redis: invalid TTL %v; Redis expires keys to the millisecond, so use 1ms or more", ttl)
	}
	return nil
}

// clientLogger adapts zap to go-redis's logging interface.
type clientLogger struct {
	logger *zap.Logger
}

func (l clientLogger) Printf(_ context.Context, format string, v ...any) {
	if c := l.logger.Check(zap.DebugLevel, "redis client"); c != nil {
		c.Write(zap.String("message", fmt.Sprintf(format, v...)))
	}
}
