// Package hubspotemu emulates HubSpot's visitor identification API on a local
// HTTP server, so that tests and demos can mint identification tokens without
// calling HubSpot. It reproduces the token-create paths, bearer authentication,
// the JSON error shape, the per-account rate limits and a set of faults.
package hubspotemu

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Token-create paths. HubSpot serves the same operation on all three.
const (
	PathTokensCreate       = "/visitor-identification/2026-03/tokens/create"
	PathTokensCreateV3     = "/visitor-identification/v3/tokens/create"
	PathTokensCreateLegacy = "/conversations/v3/visitor-identification/tokens/create"
)

// Scope is the granular scope an access token needs to create identification tokens.
const Scope = "conversations.visitor_identification.tokens.create"

// Default rate limits of a HubSpot account, used when Options leaves them zero.
const (
	DefaultRatePer10s = 100
	DefaultDailyLimit = 250000
)

var tokenCreatePaths = map[string]bool{
	PathTokensCreate:       true,
	PathTokensCreateV3:     true,
	PathTokensCreateLegacy: true,
}

// Options configures an Emulator.
type Options struct {
	// AccessToken is the only bearer token the emulator accepts. Required.
	AccessToken string

	// RatePer10s is the maximum number of requests in any rolling 10-second
	// window. Zero means DefaultRatePer10s.
	RatePer10s int

	// DailyLimit is the maximum number of requests per UTC day. Zero means
	// DefaultDailyLimit.
	DailyLimit int

	// Now is the clock for minting and verifying tokens and for rate limits.
	// Nil means time.Now. Latency always uses the real clock.
	Now func() time.Time
}

// Emulator is an http.Handler that emulates the visitor identification API of
// one HubSpot account. Its methods are safe for concurrent use.
type Emulator struct {
	accessToken string
	now         func() time.Time
	signingKey  []byte // HMAC key for HS256, random per emulator

	mu         sync.Mutex
	limiter    rateLimiter
	callsByKey map[string]int // keyed by lowercased email
	totalCalls int
	latency    time.Duration
	fault      Fault
	forbidden  bool
}

// New returns an Emulator configured by opts. It panics if opts.AccessToken is
// empty or a limit is negative, because those are programming errors in a test.
func New(opts Options) *Emulator {
	if opts.AccessToken == "" {
		panic("hubspotemu: Options.AccessToken is required")
	}
	if opts.RatePer10s < 0 || opts.DailyLimit < 0 {
		panic(fmt.Sprintf("hubspotemu: rate limits must not be negative, got RatePer10s=%d DailyLimit=%d",
			opts.RatePer10s, opts.DailyLimit))
	}

	ratePer10s := opts.RatePer10s
	if ratePer10s == 0 {
		ratePer10s = DefaultRatePer10s
	}
	dailyLimit := opts.DailyLimit
	if dailyLimit == 0 {
		dailyLimit = DefaultDailyLimit
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}

	// A 256-bit key matches the HS256 hash size. Since Go 1.24 rand.Read
	// never returns an error.
	signingKey := make([]byte, 32)
	rand.Read(signingKey)

	return &Emulator{
		accessToken: opts.AccessToken,
		now:         now,
		signingKey:  signingKey,
		limiter:     rateLimiter{perWindow: ratePer10s, daily: dailyLimit},
		callsByKey:  make(map[string]int),
	}
}

// Calls returns the number of token-create requests seen for email, compared
// in lower case, whatever their result. A request counts when it arrives as a
// POST on a token-create path with a JSON body that has a non-empty email
// field.
func (e *Emulator) Calls(email string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.callsByKey[strings.ToLower(email)]
}

// TotalCalls returns the number of POST requests on token-create paths,
// including those without a readable email.
func (e *Emulator) TotalCalls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.totalCalls
}

// SetLatency makes every following response wait d before it is written. The
// wait ends early, without a response, when the request context is done.
func (e *Emulator) SetLatency(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.latency = d
}

// SetFault makes following token-create requests fail with f until it is set
// back to FaultNone. It panics on an unknown fault.
func (e *Emulator) SetFault(f Fault) {
	if f < FaultNone || f > FaultDrop {
		panic(fmt.Sprintf("hubspotemu: unknown fault %d", int(f)))
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	e.fault = f
}

// SetForbidden makes following authenticated requests fail with 403
// MISSING_SCOPES, as for an access token without Scope or an account without a
// Professional or Enterprise subscription.
func (e *Emulator) SetForbidden(forbidden bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.forbidden = forbidden
}

// Reset clears call counts, fault, latency, the forbidden mode and the
// rate-limit state. The signing key stays, so tokens minted before Reset still
// verify.
func (e *Emulator) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.limiter.reset()
	clear(e.callsByKey)
	e.totalCalls = 0
	e.latency = 0
	e.fault = FaultNone
	e.forbidden = false
}

// recordCall counts one token-create request. The email is read best-effort
// because a malformed body still counts as a call.
func (e *Emulator) recordCall(body []byte) {
	email, ok := peekEmail(body)

	e.mu.Lock()
	defer e.mu.Unlock()
	e.totalCalls++
	if ok {
		e.callsByKey[strings.ToLower(email)]++
	}
}

func (e *Emulator) settings() (time.Duration, Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.latency, e.fault
}

var _ http.Handler = (*Emulator)(nil)
