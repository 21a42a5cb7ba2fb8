package tokens

import (
	"context"
	"time"
)

// Entry is a token with the time HubSpot minted it. A token is never served
// once MaxAge has passed since MintedAt, whatever the configured TTL.
type Entry struct {
	Token    string
	MintedAt time.Time
}

// MaxAge is how long HubSpot accepts a token after minting it.
const MaxAge = 12 * time.Hour

// Store is a tier shared by several servers, such as Redis. Keys are
// opaque strings (a hash of the visitor's email), never addresses.
// Implementations must be safe for concurrent use. A Store error never
// fails a lookup: the Source falls back to calling HubSpot itself.
type Store interface {
	// Get returns the entry for key, or ok false if there is none.
	Get(ctx context.Context, key string) (e Entry, ok bool, err error)

	// Set stores e under key until ttl passes.
	Set(ctx context.Context, key string, e Entry, ttl time.Duration) error

	// Delete removes the entry for key, if any.
	Delete(ctx context.Context, key string) error

	// Lock takes a lock on key that expires after ttl unless released,
	// so that one server of a cluster mints a visitor's token while the
	// others wait for it. acquired is false if another holder has it.
	// unlock releases the lock only if this caller still holds it.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), acquired bool, err error)
}
