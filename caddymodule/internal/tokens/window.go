package tokens

import (
	"sync"
	"time"
)

// windowLimiter allows at most limit events in any rolling window, the way
// HubSpot counts its ten-secondly limit, so a burst never exceeds the
// configured budget. It remembers the times of the last limit events.
type windowLimiter struct {
	window time.Duration

	mu    sync.Mutex
	times []time.Time // ring of the last len(times) allowed events
	next  int         // index of the oldest entry
}

func newWindowLimiter(limit int, window time.Duration) *windowLimiter {
	return &windowLimiter{window: window, times: make([]time.Time, limit)}
}

// allow records an event at now and reports true if fewer than limit
// events were allowed within the window before it.
func (l *windowLimiter) allow(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()

	oldest := l.times[l.next]
	if !oldest.IsZero() && now.Sub(oldest) < l.window {
		return false
	}
	l.times[l.next] = now
	l.next = (l.next + 1) % len(l.times)
	return true
}
