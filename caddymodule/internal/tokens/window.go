package tokens

import (
	"sync"
	"time"
)

// windowSlots is how many slots a windowLimiter divides its window into.
const windowSlots = 100

// windowLimiter allows at most limit events in any rolling window, the way
// HubSpot counts its ten-secondly limit, so a burst never exceeds the
// configured budget. It counts events per slot of window/windowSlots and
// keeps a slot counted for one slot longer than the window, so it errs on
// the side of fewer calls. Its memory does not depend on the limit.
type windowLimiter struct {
	limit int
	slot  int64 // nanoseconds

	mu     sync.Mutex
	counts [windowSlots + 1]int
	stamps [windowSlots + 1]int64 // the slot number each count belongs to
}

func newWindowLimiter(limit int, window time.Duration) *windowLimiter {
	return &windowLimiter{limit: limit, slot: max(int64(window)/windowSlots, 1)}
}

// allow records an event at now and reports true if fewer than limit
// events were allowed within the window before it.
func (l *windowLimiter) allow(now time.Time) bool {
	current := now.UnixNano() / l.slot

	l.mu.Lock()
	defer l.mu.Unlock()

	total := 0
	for i, stamp := range l.stamps {
		if current-stamp <= windowSlots {
			total += l.counts[i]
		}
	}
	if total >= l.limit {
		return false
	}

	i := current % int64(len(l.stamps))
	if l.stamps[i] != current {
		l.stamps[i] = current
		l.counts[i] = 0
	}
	l.counts[i]++
	return true
}
