package tenant

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    Rate
		wantErr string
	}{
		{"100/10s", Rate{100, 10 * time.Second}, ""},
		{"1000/1s", Rate{1000, time.Second}, ""},
		{"5/1m", Rate{5, time.Minute}, ""},
		{" 10 / 2s ", Rate{10, 2 * time.Second}, ""},
		{"100/s", Rate{100, time.Second}, ""},
		{"0", Unlimited(), ""},
		{"off", Unlimited(), ""},
		{"OFF", Unlimited(), ""},
		{"0/10s", Unlimited(), ""},
		{"", Rate{}, "empty"},
		{"100", Rate{}, "want requests/duration"},
		{"x/10s", Rate{}, "not a non-negative integer"},
		{"-1/10s", Rate{}, "not a non-negative integer"},
		{"100/10", Rate{}, "not a Go duration"},
		{"100/0s", Rate{}, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRate(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseRate(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseRate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestRateStringRoundTrips(t *testing.T) {
	for _, r := range []Rate{DefaultRate(), {1000, time.Second}, {5, time.Minute}, {3, time.Hour}, {7, 90 * time.Second}, Unlimited()} {
		back, err := ParseRate(r.String())
		if err != nil || back != r {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", r.String(), back, err, r)
		}
	}
}

// reserveAll reserves n requests all asked for at t0, as n workers starting
// together would, and returns their start times.
func reserveAll(g *Governor, t0 time.Time, n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = g.reserve(t0)
	}
	return out
}

// maxInWindow returns the most start times (sorted) in any window of length
// w (half-open, as the tenant's sliding window counts them).
func maxInWindow(starts []time.Time, w time.Duration) int {
	most, first := 0, 0
	for i, s := range starts {
		for s.Sub(starts[first]) >= w {
			first++
		}
		most = max(most, i-first+1)
	}
	return most
}

func TestGovernorModelsTheWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		r       Rate
		n       int
		windows int // start times of the job span this many windows (the last one being partial)
		unpaced int // requests that start at t0
	}{
		{"a job of one window is not paced", DefaultRate(), 100, 1, 100},
		{"a smaller job neither", DefaultRate(), 69, 1, 69},
		{"one more request waits a window", DefaultRate(), 101, 2, 100},
		{"a long job takes its windows", DefaultRate(), 461, 5, 100},
		{"1000/1s", Rate{1000, time.Second}, 5000, 5, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGovernor(tt.r)
			starts := reserveAll(g, t0, tt.n)
			unpaced := 0
			for _, s := range starts {
				if s.Equal(t0) {
					unpaced++
				}
			}
			if unpaced != tt.unpaced {
				t.Errorf("%d requests start at once, want %d", unpaced, tt.unpaced)
			}
			// Never more than the rate in any window, with the margin to spare.
			if got := maxInWindow(starts, tt.r.Per+g.margin); got > tt.r.Requests {
				t.Errorf("%d requests start within one window (plus margin), want at most %d", got, tt.r.Requests)
			}
			// And never more time than the windows the job needs.
			last := starts[len(starts)-1].Sub(t0)
			want := time.Duration(tt.windows-1) * (tt.r.Per + g.margin)
			if last != want {
				t.Errorf("the last request starts after %v, want %v (%d windows)", last, want, tt.windows)
			}
		})
	}
}

func TestGovernorWindowSlides(t *testing.T) {
	// Requests spread over a window free their slots one by one, as the
	// tenant's sliding window does; a request waits only for the oldest.
	g := NewGovernor(Rate{Requests: 3, Per: 10 * time.Second})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, at := range []time.Duration{0, 4 * time.Second, 8 * time.Second} {
		if got := g.reserve(t0.Add(at)); !got.Equal(t0.Add(at)) {
			t.Fatalf("request %d waited until %v, want no wait", i, got.Sub(t0))
		}
	}
	if got, want := g.reserve(t0.Add(9*time.Second)).Sub(t0), 10*time.Second+g.margin; got != want {
		t.Fatalf("the fourth request starts at %v, want %v (when the first leaves the window)", got, want)
	}
	if got, want := g.reserve(t0.Add(20*time.Second)).Sub(t0), 20*time.Second; got != want {
		t.Fatalf("a request after a quiet window starts at %v, want %v", got, want)
	}
}

func TestGovernorPacesEvenlyAfterA429(t *testing.T) {
	// The model was wrong (a 429 came): after the pause, no bursts for a
	// window, requests leave Per ÷ Requests apart.
	g := NewGovernor(Rate{Requests: 100, Per: time.Second})
	g.Pause(20 * time.Millisecond)
	starts := reserveAll(g, time.Now(), 5)
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < 10*time.Millisecond {
			t.Fatalf("requests %d and %d start %v apart after a 429, want at least 10ms", i-1, i, gap)
		}
	}
	if first := time.Until(starts[0]); first < 10*time.Millisecond {
		t.Fatalf("the first request after a 20ms pause starts %v from now", first)
	}
}

func TestGovernorUnlimitedOnlyPauses(t *testing.T) {
	g := NewGovernor(Unlimited())
	now := time.Now()
	for _, s := range reserveAll(g, now, 1000) {
		if !s.Equal(now) {
			t.Fatalf("an unlimited governor held a request until %v", s)
		}
	}
}

func TestGovernorPauseExtendsNeverShortens(t *testing.T) {
	g := NewGovernor(Unlimited())
	g.Pause(time.Hour)
	g.Pause(time.Second)
	g.Pause(-time.Minute)
	if left := g.pauseLeft(); left < 30*time.Minute {
		t.Fatalf("pause left %v after a 1h pause and a shorter one, want about an hour", left)
	}
	g.Pause(2 * time.Hour)
	if left := g.pauseLeft(); left < 90*time.Minute {
		t.Fatalf("pause left %v after a 2h pause, want about two hours", left)
	}
}

func TestGovernorWaitEndsOnlyWithContext(t *testing.T) {
	g := NewGovernor(DefaultRate())
	g.Pause(time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- g.Wait(ctx) }()
	select {
	case err := <-done:
		t.Fatalf("Wait returned %v during a pause", err)
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}

	ctx, cancel = context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if err := g.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want context.DeadlineExceeded", err)
	}
}

func TestGovernorWaitAfterPause(t *testing.T) {
	g := NewGovernor(Unlimited())
	g.Pause(5 * time.Millisecond)
	if err := g.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	if left := g.pauseLeft(); left > 0 {
		t.Fatalf("Wait returned with %v of the pause left", left)
	}
}

func TestGovernorRateLimitedWaitHonoursDeadline(t *testing.T) {
	g := NewGovernor(Rate{Requests: 1, Per: time.Hour})
	if err := g.Wait(t.Context()); err != nil {
		t.Fatal(err) // the first token is free
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	if err := g.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want context.DeadlineExceeded", err)
	}
}
