package tenantsim

import (
	"sync"
	"time"
)

// limiter is a sliding-window rate limit per key (client id): at most limit
// requests in any window. A refused request does not use up a slot.
type limiter struct {
	limit  int
	window time.Duration

	mu   sync.Mutex
	hits map[string][]time.Time // per key, oldest first, all within the window
}

func newLimiter(limit int, window time.Duration) *limiter {
	return &limiter{limit: limit, window: window, hits: map[string][]time.Time{}}
}

// allow records a request of key at now if a slot is free. Otherwise it
// returns false and how long until the oldest request leaves the window.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l.limit <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	hits := l.hits[key]
	cut := 0
	for cut < len(hits) && !hits[cut].After(now.Add(-l.window)) {
		cut++
	}
	hits = hits[cut:]
	if len(hits) >= l.limit {
		l.hits[key] = hits
		return false, hits[0].Add(l.window).Sub(now)
	}
	l.hits[key] = append(hits, now)
	return true, 0
}
