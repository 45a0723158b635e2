package tenant

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
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

// paceMargin slows the governor's pace slightly below the configured rate.
//
// Why: ISC (and tenantsim) count requests in a sliding window of Per. Pacing
// at exactly Requests/Per with burst 1 never puts more than Requests grants in
// any window, but the server counts arrivals, and a request granted late (a
// busy scheduler, a slow connection) can land closer to the next one than its
// grant was. With the pace stretched by 2%, the server only sees more than
// Requests arrivals in a window if arrival jitter exceeds 2% of Per (200 ms
// at 100/10s, 20 ms at 1000/1s); throughput stays within 2% of the rate.
const paceMargin = 0.02

// Governor paces every request made with one client id: a token bucket with
// burst 1 (requests leave evenly spaced, never in bursts, so a sliding-window
// limiter of the same rate is never exceeded), and a pause that a 429's
// Retry-After imposes on every waiter. Share one Governor between all clients
// that use the same client id. A Governor is safe for concurrent use.
type Governor struct {
	rate Rate
	lim  *rate.Limiter

	mu          sync.Mutex
	pausedUntil time.Time
}

// NewGovernor returns a Governor for r; an unlimited r only applies pauses.
func NewGovernor(r Rate) *Governor {
	g := &Governor{rate: r}
	if r.IsUnlimited() {
		g.lim = rate.NewLimiter(rate.Inf, 1)
		return g
	}
	perSecond := float64(r.Requests) / r.Per.Seconds() / (1 + paceMargin)
	g.lim = rate.NewLimiter(rate.Limit(perSecond), 1)
	return g
}

// Rate returns the rate g was made with.
func (g *Governor) Rate() Rate { return g.rate }

// Pause makes every waiter wait at least d from now. A pause only ever
// extends the current one, never shortens it, and is never capped.
func (g *Governor) Pause(d time.Duration) {
	if d <= 0 {
		return
	}
	until := time.Now().Add(d)
	g.mu.Lock()
	if until.After(g.pausedUntil) {
		g.pausedUntil = until
	}
	g.mu.Unlock()
}

// Wait blocks until a request may be sent: after any pause, then for a token.
// Only ctx ends a wait early; its error is returned.
func (g *Governor) Wait(ctx context.Context) error {
	for {
		if err := g.waitPause(ctx); err != nil {
			return err
		}
		if err := g.lim.Wait(ctx); err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			// rate.Limiter refuses a wait that would outlast ctx's
			// deadline; wait for the deadline like any other wait would.
			<-ctx.Done()
			return ctx.Err()
		}
		// A 429 may have paused the governor while this caller waited for
		// its token. Its token is given up: after the pause, everyone takes
		// a fresh one, so the requests after a pause leave evenly spaced.
		if g.pauseLeft() <= 0 {
			return nil
		}
	}
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
		t := time.NewTimer(left)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
			// Loop: the pause may have been extended meanwhile.
		}
	}
}
