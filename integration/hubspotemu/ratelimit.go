package hubspotemu

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// rateWindow is the length of HubSpot's rolling rate-limit window.
const rateWindow = 10 * time.Second

// Rate-limit policy names as they appear in a 429 response.
const (
	policyTenSecondly = "TEN_SECONDLY_ROLLING"
	policyDaily       = "DAILY"
)

// rateLimiter enforces an account's two limits: a count per rolling 10-second
// window and a count per day. Requests it rejects do not count.
//
// NOTE: each day starts at midnight UTC. HubSpot's reset time may follow the
// account's time zone instead, which this does not model.
type rateLimiter struct {
	perWindow int
	daily     int

	recent    []time.Time // accepted requests within rateWindow, oldest first
	day       time.Time   // midnight UTC that starts the day counted by usedToday
	usedToday int
}

// rateUsage is the state that the X-HubSpot-RateLimit headers report.
type rateUsage struct {
	max, remaining        int
	daily, dailyRemaining int
}

// rateDecision is the outcome of one request. Policy is empty when the request
// was accepted, and retryAfter is set only when it was not.
type rateDecision struct {
	usage      rateUsage
	policy     string
	retryAfter time.Duration
}

// take counts one request at now unless a limit is reached. The daily limit is
// checked first because it has the longer wait.
func (l *rateLimiter) take(now time.Time) rateDecision {
	l.forget(now)

	var decision rateDecision
	switch {
	case l.usedToday >= l.daily:
		decision.policy = policyDaily
		decision.retryAfter = l.day.AddDate(0, 0, 1).Sub(now)
	case len(l.recent) >= l.perWindow:
		decision.policy = policyTenSecondly
		decision.retryAfter = l.recent[0].Add(rateWindow).Sub(now)
	default:
		l.recent = append(l.recent, now)
		l.usedToday++
	}

	decision.usage = rateUsage{
		max:            l.perWindow,
		remaining:      l.perWindow - len(l.recent),
		daily:          l.daily,
		dailyRemaining: l.daily - l.usedToday,
	}
	return decision
}

// forget drops requests that have left the window and starts a new day
// when now has passed midnight UTC.
func (l *rateLimiter) forget(now time.Time) {
	windowStart := now.Add(-rateWindow)
	expired := 0
	for expired < len(l.recent) && !l.recent[expired].After(windowStart) {
		expired++
	}
	l.recent = slices.Delete(l.recent, 0, expired)

	year, month, day := now.UTC().Date()
	today := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	if !today.Equal(l.day) {
		l.day = today
		l.usedToday = 0
	}
}

func (l *rateLimiter) reset() {
	l.recent = nil
	l.day = time.Time{}
	l.usedToday = 0
}

// setHeaders sets HubSpot's rate-limit headers from u.
func (u rateUsage) setHeaders(h http.Header) {
	h.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(u.max))
	h.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(u.remaining))
	h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.FormatInt(rateWindow.Milliseconds(), 10))
	h.Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(u.daily))
	h.Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.Itoa(u.dailyRemaining))
}

// writeRateLimited writes the 429 response for a rejected request. Retry-After
// is in whole seconds, rounded up so that a retry after it succeeds.
func writeRateLimited(w http.ResponseWriter, decision rateDecision) {
	seconds := int64((decision.retryAfter + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(max(seconds, 1), 10))

	message := "ten-second rate limit of " + strconv.Itoa(decision.usage.max) + " requests reached"
	if decision.policy == policyDaily {
		message = "daily rate limit of " + strconv.Itoa(decision.usage.daily) + " requests reached"
	}
	writeError(w, http.StatusTooManyRequests, errorBody{
		Category:   "RATE_LIMITS",
		Message:    message,
		PolicyName: decision.policy,
	})
}
