package tenant

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate is a request budget: at most Requests requests per Per.
// Requests <= 0 means unlimited. (The zero Rate in Options means
// DefaultRate, so ParseRate returns Unlimited rather than the zero Rate.)
type Rate struct {
	Requests int
	Per      time.Duration
}

// Unlimited is the Rate that sets no limit; ParseRate returns it for "off".
func Unlimited() Rate { return Rate{Requests: -1} }

// DefaultRate returns ISC's documented limit: 100 requests per 10 seconds per
// client id.
func DefaultRate() Rate { return Rate{Requests: 100, Per: 10 * time.Second} }

// IsUnlimited reports whether r sets no limit.
func (r Rate) IsUnlimited() bool { return r.Requests <= 0 || r.Per <= 0 }

// String returns r in the form ParseRate reads: "100/10s", or "off".
func (r Rate) String() string {
	if r.IsUnlimited() {
		return "off"
	}
	return fmt.Sprintf("%d/%s", r.Requests, formatPer(r.Per))
}

func formatPer(d time.Duration) string {
	// time.Duration writes 1m as "1m0s" and 1h as "1h0m0s"; drop zero tails.
	s := d.String()
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

// ParseRate reads a rate such as "100/10s", "1000/1s" or "5/1m" (requests, a
// slash, a Go duration; a bare unit such as "100/s" means one of it).
// "0" and "off" give Unlimited().
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "0", "off", "none", "unlimited":
		return Unlimited(), nil
	case "":
		return Rate{}, fmt.Errorf("parse rate: empty (want requests/duration such as 100/10s, or off)")
	}
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf("parse rate %q: want requests/duration such as 100/10s, or off", s)
	}
	requests, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || requests < 0 {
		return Rate{}, fmt.Errorf("parse rate %q: requests %q is not a non-negative integer", s, n)
	}
	per = strings.TrimSpace(per)
	if per != "" && (per[0] < '0' || per[0] > '9') {
		per = "1" + per // "100/s" is 100 per 1s
	}
	d, err := time.ParseDuration(per)
	if err != nil {
		return Rate{}, fmt.Errorf("parse rate %q: duration %q is not a Go duration such as 10s or 1m", s, per)
	}
	if d <= 0 {
		return Rate{}, fmt.Errorf("parse rate %q: duration must be positive", s)
	}
	if requests == 0 {
		return Unlimited(), nil
	}
	return Rate{Requests: requests, Per: d}, nil
}

// WindowFloor returns the least time n requests can take under r's sliding
// window when each takes no time: every window of r.Per lets r.Requests
// start, so n requests need ceil(n / r.Requests) windows and the last one
// starts (ceil(n / r.Requests) - 1) × r.Per after the first. 0 for an
// unlimited r or n <= r.Requests.
func WindowFloor(n int, r Rate) time.Duration {
	if r.IsUnlimited() || n <= 0 {
		return 0
	}
	return time.Duration((n+r.Requests-1)/r.Requests-1) * r.Per
}

// paceMargin is how much later than the model allows a request goes, as a
// fraction of the window.
//
// Why: ISC (and tenantsim) count requests as they arrive, the governor as it
// grants them. A request granted late (a busy scheduler, a slow connection)
// can arrive closer to a later one than its grant was. With the margin, the
// tenant only sees more than Requests arrivals in a window if arrival jitter
// exceeds 2% of Per (200 ms at 100/10s, 20 ms at 1000/1s). A job costs at most
// 2% of a window per window it spans.
const paceMargin = 0.02

// Governor paces every request made with one client id by modelling the
// tenant's limiter: a sliding window of Rate.Per in which at most
// Rate.Requests requests may start. A job of at most Rate.Requests requests
// is not paced at all; a longer one waits only when the window is full, for
// the oldest request in it to leave (plus paceMargin), so it takes its
// windows and no more.
//
// A 429's Retry-After pauses every waiter (Pause), and after a pause the
// governor no longer trusts its model of the window: until one window has
// passed without another pause, requests leave evenly spaced at the rate
// (Per ÷ Requests apart, plus paceMargin), never in bursts. That is what
// happens when the model is wrong: another client spends the same client
// id's budget, or the tenant's limiter allows smaller bursts than a window.
//
// Share one Governor between all clients that use the same client id. A
// Governor is safe for concurrent use.
type Governor struct {
	rate   Rate
	margin time.Duration // paceMargin of Per
	gap    time.Duration // the spacing of even pacing: Per ÷ Requests, plus margin

	mu          sync.Mutex
	grants      []time.Time // start times of the last Requests requests, a ring
	next        int         // index in grants of the oldest, once grants is full
	last        time.Time   // the latest start time granted
	pausedUntil time.Time
	evenUntil   time.Time // pace evenly until then (after a pause)
}

// NewGovernor returns a Governor for r; an unlimited r only applies pauses.
func NewGovernor(r Rate) *Governor {
	g := &Governor{rate: r}
	if !r.IsUnlimited() {
		g.margin = time.Duration(float64(r.Per) * paceMargin)
		g.gap = r.Per/time.Duration(r.Requests) + time.Duration(float64(r.Per/time.Duration(r.Requests))*paceMargin)
	}
	return g
}

// Rate returns the rate g was made with.
func (g *Governor) Rate() Rate { return g.rate }

// Pause makes every waiter wait at least d from now, then pace evenly for one
// window (see Governor). A pause only ever extends the current one, never
// shortens it, and is never capped. The retry layer calls it with a 429's
// Retry-After.
func (g *Governor) Pause(d time.Duration) {
	if d <= 0 {
		return
	}
	until := time.Now().Add(d)
	g.mu.Lock()
	if until.After(g.pausedUntil) {
		g.pausedUntil = until
		g.evenUntil = until.Add(g.rate.Per)
	}
	g.mu.Unlock()
}

// Wait blocks until a request may be sent: after any pause, then until the
// modelled window has room. Only ctx ends a wait early; its error is
// returned.
func (g *Governor) Wait(ctx context.Context) error {
	_, err := g.wait(ctx)
	return err
}

// wait is Wait, also telling whether the request was held back at all.
func (g *Governor) wait(ctx context.Context) (held bool, err error) {
	for {
		if g.pauseLeft() > 0 {
			held = true
			if err := g.waitPause(ctx); err != nil {
				return held, err
			}
		}
		now := time.Now()
		at := g.reserve(now)
		if at.After(now) {
			held = true
		}
		if err := sleep(ctx, time.Until(at)); err != nil {
			return held, err
		}
		// A 429 may have paused the governor while this caller waited for
		// its turn. Its turn is given up (the slot stays counted, which
		// errs on the safe side): after the pause everyone reserves again.
		if g.pauseLeft() <= 0 {
			return held, nil
		}
	}
}

// reserve returns the earliest time at or after now that a request may start
// and counts the request as started then.
func (g *Governor) reserve(now time.Time) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	at := now
	if g.pausedUntil.After(at) {
		at = g.pausedUntil
	}
	if g.last.After(at) {
		at = g.last // start times never go backwards, whatever order callers read the clock in
	}
	if g.rate.IsUnlimited() {
		return at
	}
	full := len(g.grants) == g.rate.Requests
	if full {
		if free := g.grants[g.next].Add(g.rate.Per + g.margin); free.After(at) {
			at = free
		}
	}
	if at.Before(g.evenUntil) {
		if even := g.last.Add(g.gap); even.After(at) {
			at = even
		}
	}
	if full {
		g.grants[g.next] = at
		g.next = (g.next + 1) % len(g.grants)
	} else {
		g.grants = append(g.grants, at)
	}
	g.last = at
	return at
}

func (g *Governor) pauseLeft() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return time.Until(g.pausedUntil)
}

func (g *Governor) waitPause(ctx context.Context) error {
	for {
		left := g.pauseLeft()
		if left <= 0 {
			return ctx.Err()
		}
		if err := sleep(ctx, left); err != nil {
			return err
		}
		// Loop: the pause may have been extended meanwhile.
	}
}
