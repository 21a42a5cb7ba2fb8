package redisstore

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/tokens"
)

// storedEntry is the JSON value stored under a token key. JSON keeps the
// value readable in redis-cli, and MintedAt is kept to the nanosecond in
// RFC 3339 form.
type storedEntry struct {
	Token    string    `json:"token"`
	MintedAt time.Time `json:"minted_at"`
}

func encodeEntry(e tokens.Entry) ([]byte, error) {
	if e.Token == "" {
		return nil, errors.New("empty token")
	}
	return json.Marshal(storedEntry{Token: e.Token, MintedAt: e.MintedAt.UTC()})
}

func decodeEntry(value []byte) (tokens.Entry, error) {
	var stored storedEntry
	if err := json.Unmarshal(value, &stored); err != nil {
		return tokens.Entry{}, err
	}
	if stored.Token == "" {
		return tokens.Entry{}, errors.New("missing token")
	}
	return tokens.Entry{Token: stored.Token, MintedAt: stored.MintedAt}, nil
}
