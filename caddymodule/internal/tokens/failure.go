package tokens

import (
	"errors"
	"sync"
	"time"
)

// FailureKind is the effect of a failed fetch on the fetches after it.
type FailureKind uint8

const (
	// Transient is a server error, timeout or network failure. Repeated
	// ones open the circuit breaker.
	Transient FailureKind = iota

	// RateLimited means HubSpot returned 429. Every fetch pauses for the
	// time it asked for, because its limits are per account.
	RateLimited

	// Unauthorized means the access token, its scopes or the account's
	// subscription are wrong. Every fetch pauses for AuthBackoff, since
	// retrying cannot help until an operator fixes the configuration.
	Unauthorized

	// Rejected means HubSpot refused this visitor, such as for an invalid
	// email. That visitor is not retried for NegativeTTL.
	Rejected
)

// Failure is the classification of a fetch error.
type Failure struct {
	Kind FailureKind

	// RetryAfter is how long HubSpot asked to wait, for RateLimited. Zero
	// means DefaultRetryAfter.
	RetryAfter time.Duration
}

// Errors a lookup returns without calling HubSpot.
var (
	ErrRejected    = errors.New("hubspot rejected this visitor recently")
	ErrPaused      = errors.New("token fetches are paused")
	ErrCircuitOpen = errors.New("token fetches are stopped after repeated failures")
	ErrRateLimited = errors.New("client-side rate limit for token fetches reached")
)

// breaker is a circuit breaker for fetches: it opens after threshold
// consecutive transient failures, and after cooldown lets one probe through
// at a time until a fetch succeeds.
type breaker struct {
	threshold int
	cooldown  time.Duration

	mu        sync.Mutex
	failures  int
	openUntil time.Time
	probing   bool
}

// allow reports whether a fetch may start now.
func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()

	if b.failures < b.threshold {
		return true
	}
	if now.Before(b.openUntil) || b.probing {
		return false
	}
	b.probing = true
	return true
}

// record updates the breaker with a fetch's outcome: a transient failure
// or, when transient is false, a response from HubSpot.
func (b *breaker) record(now time.Time, transient bool) {
	b.mu.Lock()
	defer b.mu.Unlock()

	b.probing = false
	if !transient {
		b.failures = 0
		return
	}
	b.failures++
	if b.failures >= b.threshold {
		b.openUntil = now.Add(b.cooldown)
	}
}

// cancelProbe gives up a probe that allow let through but that did not
// call HubSpot, without counting it as a response.
func (b *breaker) cancelProbe() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
}

// open reports whether the breaker stops fetches.
func (b *breaker) open(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failures >= b.threshold && (now.Before(b.openUntil) || b.probing)
}
