package tenant

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestShouldRetry(t *testing.T) {
	answer := func(status int, retryAfter string) *http.Response {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: status, Header: h}
	}
	dialErr := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	readErr := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	tests := []struct {
		name      string
		resp      *http.Response
		err       error
		wantAgain bool
		wantAfter time.Duration
	}{
		{"200", answer(200, ""), nil, false, 0},
		{"400", answer(400, ""), nil, false, 0},
		{"401 is the auth layer's", answer(401, ""), nil, false, 0},
		{"403", answer(403, ""), nil, false, 0},
		{"404", answer(404, ""), nil, false, 0},
		{"429 with seconds", answer(429, "7"), nil, true, 7 * time.Second},
		{"429 without Retry-After", answer(429, ""), nil, true, time.Second},
		{"429 with garbage", answer(429, "soon"), nil, true, time.Second},
		{"429 with a long wait is not capped", answer(429, "3600"), nil, true, time.Hour},
		{"500", answer(500, ""), nil, true, 0},
		{"502", answer(502, ""), nil, true, 0},
		{"503 with Retry-After", answer(503, "2"), nil, true, 2 * time.Second},
		{"504", answer(504, ""), nil, true, 0},
		{"501", answer(501, ""), nil, false, 0},
		{"reset", nil, readErr, true, 0},
		{"refused", nil, dialErr, true, 0},
		{"EOF", nil, io.EOF, true, 0},
		{"truncated body", nil, fmt.Errorf("read response body: %w", io.ErrUnexpectedEOF), true, 0},
		{"attempt timeout", nil, context.DeadlineExceeded, true, 0},
		{"canceled", nil, context.Canceled, false, 0},
		{"bad certificate", nil, &net.OpError{Op: "remote error", Err: x509.UnknownAuthorityError{}}, false, 0},
		{"other", nil, errors.New("unsupported protocol scheme"), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			again, after := shouldRetry(tt.resp, tt.err)
			if again != tt.wantAgain || after != tt.wantAfter {
				t.Errorf("shouldRetry = %v, %v; want %v, %v", again, after, tt.wantAgain, tt.wantAfter)
			}
		})
	}
}

func TestParseRetryAfterDate(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		v      string
		want   time.Duration
		wantOK bool
	}{
		{"future date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"past date", now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"seconds", "12", 12 * time.Second, true},
		{"negative", "-3", 0, false},
		{"empty", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.v, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestBackoffGrowsWithinBounds(t *testing.T) {
	rt := &retryTransport{backoffMin: 100 * time.Millisecond, backoffMax: time.Second}
	for n := 1; n <= 10; n++ {
		ceiling := min(rt.backoffMin<<(n-1), rt.backoffMax)
		for range 50 {
			d := rt.backoff(n)
			if d < ceiling/2 || d > ceiling {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, ceiling/2, ceiling)
			}
		}
	}
}

func TestMayHaveReached(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"answered", nil, true},
		{"dial", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, false},
		{"reset", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{"timeout", context.DeadlineExceeded, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mayHaveReached(tt.err); got != tt.want {
				t.Errorf("mayHaveReached = %v, want %v", got, tt.want)
			}
		})
	}
}
