package tenantsim

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Faults configures fault injection on API requests. The zero value injects
// nothing. ParseFaults reads the textual form documented in the package doc.
type Faults struct {
	Error500    float64       // 500=P: answer 500 before processing
	Reset       float64       // reset=P: close the connection without answering, before processing
	Truncate    float64       // truncate=P: full Content-Length, half the body, close; a write is not applied
	LoseWrite   float64       // lose-write=P: apply a successful write, then reset instead of answering
	BurstEvery  int           // burst429=N:D: every N-th API request starts a 429 burst of its client…
	BurstFor    time.Duration // …lasting D, each 429 with Retry-After the seconds left
	RevokeEvery int           // revoke=N: every N-th API request revokes all tokens first
	Latency     time.Duration // latency=D: added to every API request (besides Options.Latency)
	Seed        int64         // seed=S: seed of the per-request decisions
}

// Fault kinds, as counted in Stats.Faults.
const (
	fault500       = "500"
	faultReset     = "reset"
	faultTruncate  = "truncate"
	faultLoseWrite = "lose-write"
	faultBurst     = "burst429"
	faultRevoke    = "revoke"
)

// String returns f in the syntax ParseFaults reads ("" for no faults).
func (f Faults) String() string {
	var parts []string
	prob := func(key string, p float64) {
		if p > 0 {
			parts = append(parts, key+"="+strconv.FormatFloat(p, 'g', -1, 64))
		}
	}
	prob(fault500, f.Error500)
	prob(faultReset, f.Reset)
	prob(faultTruncate, f.Truncate)
	prob(faultLoseWrite, f.LoseWrite)
	if f.BurstEvery > 0 {
		parts = append(parts, fmt.Sprintf("%s=%d:%s", faultBurst, f.BurstEvery, f.BurstFor))
	}
	if f.RevokeEvery > 0 {
		parts = append(parts, fmt.Sprintf("%s=%d", faultRevoke, f.RevokeEvery))
	}
	if f.Latency > 0 {
		parts = append(parts, "latency="+f.Latency.String())
	}
	if f.Seed != 0 {
		parts = append(parts, fmt.Sprintf("seed=%d", f.Seed))
	}
	return strings.Join(parts, ",")
}

// ParseFaults reads a fault specification: comma-separated key=value pairs,
// for example "500=0.05,reset=0.05,truncate=0.01,burst429=200:5s,revoke=300,
// lose-write=0.1,latency=20ms,seed=7". The empty string and "none" mean no
// faults. See the package documentation for each key.
func ParseFaults(spec string) (Faults, error) {
	var f Faults
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == "none" {
		return f, nil
	}
	seen := map[string]bool{}
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		key, val, ok := strings.Cut(item, "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok || key == "" || val == "" {
			return Faults{}, fmt.Errorf("fault %q: want key=value, e.g. 500=0.05", item)
		}
		if seen[key] {
			return Faults{}, fmt.Errorf("fault %q is given twice", key)
		}
		seen[key] = true
		var err error
		switch key {
		case fault500:
			f.Error500, err = parseProbability(val)
		case faultReset:
			f.Reset, err = parseProbability(val)
		case faultTruncate:
			f.Truncate, err = parseProbability(val)
		case faultLoseWrite:
			f.LoseWrite, err = parseProbability(val)
		case faultBurst:
			f.BurstEvery, f.BurstFor, err = parseBurst(val)
		case faultRevoke:
			f.RevokeEvery, err = parseEvery(val)
		case "latency":
			f.Latency, err = parseDuration(val)
		case "seed":
			f.Seed, err = strconv.ParseInt(val, 10, 64)
			if err != nil {
				err = fmt.Errorf("want an integer, got %q", val)
			}
		default:
			return Faults{}, fmt.Errorf("unknown fault %q; known: 500, reset, truncate, lose-write, burst429, revoke, latency, seed", key)
		}
		if err != nil {
			return Faults{}, fmt.Errorf("fault %q: %w", key, err)
		}
	}
	return f, nil
}

func parseProbability(s string) (float64, error) {
	p, err := strconv.ParseFloat(s, 64)
	if err != nil || p < 0 || p > 1 {
		return 0, fmt.Errorf("want a probability between 0 and 1, got %q", s)
	}
	return p, nil
}

func parseEvery(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("want a request count N >= 1 (every N-th request), got %q", s)
	}
	return n, nil
}

// parseDuration reads a Go duration ("5s", "250ms") or whole seconds ("5").
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("want a duration like 5s or 250ms, got %q", s)
	}
	return d, nil
}

func parseBurst(s string) (int, time.Duration, error) {
	ns, ds, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("want N:D (every N-th request starts a burst lasting D), got %q", s)
	}
	n, err := parseEvery(ns)
	if err != nil {
		return 0, 0, err
	}
	d, err := parseDuration(ds)
	if err != nil {
		return 0, 0, err
	}
	if d <= 0 {
		return 0, 0, fmt.Errorf("burst duration must be positive, got %q", ds)
	}
	return n, d, nil
}

// faultPlan is what the faults decided for one API request.
type faultPlan struct {
	seq       uint64
	kind      string // "", fault500, faultReset or faultTruncate
	loseWrite bool
	revoke    bool
	burst     bool
	latency   time.Duration
}

// faultState numbers API requests and decides their faults: the decision for
// request n depends only on the fault seed and n.
type faultState struct {
	mu     sync.Mutex
	f      Faults
	seq    uint64
	bursts map[string]time.Time // client id → end of its 429 burst
}

func newFaultState(f Faults) *faultState {
	return &faultState{f: f, bursts: map[string]time.Time{}}
}

func (fs *faultState) set(f Faults) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.f, fs.seq, fs.bursts = f, 0, map[string]time.Time{}
}

// next numbers the next API request and decides its faults.
func (fs *faultState) next() faultPlan {
	fs.mu.Lock()
	fs.seq++
	seq, f := fs.seq, fs.f
	fs.mu.Unlock()

	plan := faultPlan{seq: seq, latency: f.Latency}
	r := newPRNG(mix(uint64(f.Seed), seq))
	// Draw every number every time, so one probability does not shift the others.
	p500, pReset, pTrunc, pLose := r.float(), r.float(), r.float(), r.float()
	switch {
	case p500 < f.Error500:
		plan.kind = fault500
	case pReset < f.Reset:
		plan.kind = faultReset
	case pTrunc < f.Truncate:
		plan.kind = faultTruncate
	}
	plan.loseWrite = pLose < f.LoseWrite
	plan.revoke = f.RevokeEvery > 0 && seq%uint64(f.RevokeEvery) == 0
	plan.burst = f.BurstEvery > 0 && seq%uint64(f.BurstEvery) == 0
	return plan
}

// burst starts a 429 burst for client if plan says so, and reports whether
// client is in a burst at now, with the time left.
func (fs *faultState) burst(client string, plan faultPlan, now time.Time) (time.Duration, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if plan.burst {
		fs.bursts[client] = now.Add(fs.f.BurstFor)
	}
	end, ok := fs.bursts[client]
	if !ok {
		return 0, false
	}
	if !now.Before(end) {
		delete(fs.bursts, client)
		return 0, false
	}
	return end.Sub(now), true
}
