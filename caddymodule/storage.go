package caddymodule

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"path"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/tokens"
)

// storagePrefix is the folder of persisted tokens in Caddy's storage, with
// one file per visitor named by a hash of the email.
const storagePrefix = "hubspot_identify/tokens"

// storageStore keeps tokens in Caddy's configured storage so they survive
// a restart. It is a tokens.Store for one server: Lock always succeeds,
// because the Source already makes one call per visitor in this process.
type storageStore struct {
	storage certmagic.Storage
}

type storedEntry struct {
	Token    string    `json:"token"`
	MintedAt time.Time `json:"minted_at"`
}

func (s storageStore) Get(ctx context.Context, key string) (tokens.Entry, bool, error) {
	data, err := s.storage.Load(ctx, path.Join(storagePrefix, key))
	if errors.Is(err, fs.ErrNotExist) {
		return tokens.Entry{}, false, nil
	}
	if err != nil {
		return tokens.Entry{}, false, err
	}

	var stored storedEntry
	if err := json.Unmarshal(data, &stored); err != nil {
		return tokens.Entry{}, false, err
	}
	if time.Since(stored.MintedAt) >= tokens.MaxAge {
		// Expired entries are removed when they are next read.
		_ = s.storage.Delete(ctx, path.Join(storagePrefix, key))
		return tokens.Entry{}, false, nil
	}
	return tokens.Entry{Token: stored.Token, MintedAt: stored.MintedAt}, true, nil
}

func (s storageStore) Set(ctx context.Context, key string, e tokens.Entry, _ time.Duration) error {
	data, err := json.Marshal(storedEntry{Token: e.Token, MintedAt: e.MintedAt})
	if err != nil {
		return err
	}
	return s.storage.Store(ctx, path.Join(storagePrefix, key), data)
}

func (s storageStore) Delete(ctx context.Context, key string) error {
	err := s.storage.Delete(ctx, path.Join(storagePrefix, key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (storageStore) Lock(context.Context, string, time.Duration) (func(), bool, error) {
	return func() {}, true, nil
}
