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

func TestGovernorPacesBelowTheRate(t *testing.T) {
	tests := []struct {
		name string
		r    Rate
	}{
		{"default", DefaultRate()},
		{"1000/1s", Rate{1000, time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGovernor(tt.r)
			perSecond := float64(tt.r.Requests) / tt.r.Per.Seconds()
			got := float64(g.lim.Limit())
			if got >= perSecond || got < perSecond*0.97 {
				t.Errorf("pace %.3f/s, want just below %.3f/s", got, perSecond)
			}
			if g.lim.Burst() != 1 {
				t.Errorf("burst %d, want 1: a burst could exceed a sliding window", g.lim.Burst())
			}
			if g.Rate() != tt.r {
				t.Errorf("Rate() = %v, want %v", g.Rate(), tt.r)
			}
		})
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
