package tenant

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// A base URL ending in an API version is refused before any request, with
// a message that says so and gives the URL to use.
func TestBaseURLWithVersionIsRefused(t *testing.T) {
	for _, suffix := range []string{"/v2025", "/v2025/", "/v3", "/beta", "/V2024"} {
		rec := newRecorder()
		_, err := New(Options{BaseURL: "https://acme.api.identitynow.com" + suffix, ClientID: "id", ClientSecret: "secret", Transport: rec})
		if err == nil || !strings.Contains(err.Error(), "ends in the API version") || !strings.Contains(err.Error(), "(https://acme.api.identitynow.com)") {
			t.Errorf("%s: err = %v, want a refusal naming the version and the URL to use", suffix, err)
		}
		if n := len(rec.all()); n != 0 {
			t.Errorf("%s: %d requests sent before the refusal", suffix, n)
		}
	}
	if _, err := New(Options{BaseURL: "https://acme.api.identitynow.com/tenant-v2025", ClientID: "id", ClientSecret: "secret"}); err != nil {
		t.Errorf("a path that merely contains a version: %v", err)
	}
}

// countingDialer counts dials and fails each with err.
type countingDialer struct {
	n   atomic.Int32
	err error
}

func (d *countingDialer) transport() http.RoundTripper {
	return &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		d.n.Add(1)
		return nil, &net.OpError{Op: "dial", Net: network, Err: d.err}
	}}
}

// An unknown host, a refused connection or a certificate that does not
// verify gets at most one quick retry, then an error naming the host.
func TestConnectionFailuresFailFastNamingTheHost(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"unknown host", &net.DNSError{Err: "no such host", Name: "acme.example", IsNotFound: true}},
		{"connection refused", errors.New("connect: connection refused")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &countingDialer{err: tt.err}
			var logs logBuffer
			c := newTestClient(t, "https://acme.example", func(o *Options) {
				o.Transport, o.Logger = d.transport(), logs.logger()
				o.BackoffMin, o.BackoffMax = time.Hour, time.Hour // a retry that backs off would hang the test
			})
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			_, err := c.GetConnector(ctx, "x")
			var ce *ConnectError
			if !errors.As(err, &ce) || ce.Host != "acme.example" || !strings.Contains(err.Error(), "cannot reach acme.example") || !strings.Contains(err.Error(), "SAIL_BASE_URL") {
				t.Fatalf("err = %v, want a ConnectError naming the host and SAIL_BASE_URL", err)
			}
			if n := d.n.Load(); n > 2 {
				t.Errorf("%d dials, want at most 2 (one quick retry)", n)
			}
			if w := strings.Count(logs.String(), "level=WARN"); w > 1 {
				t.Errorf("%d warnings, want at most one:\n%s", w, logs.String())
			}
		})
	}
	t.Run("certificate not trusted", func(t *testing.T) {
		srv := httptest.NewTLSServer(tenantsim.New(tenantsim.Options{}))
		t.Cleanup(srv.Close)
		var n atomic.Int32
		base := http.DefaultTransport.(*http.Transport).Clone() // does not trust the test server's certificate
		count := roundTripFunc(func(r *http.Request) (*http.Response, error) { n.Add(1); return base.RoundTrip(r) })
		c := newTestClient(t, srv.URL, func(o *Options) { o.Transport, o.BackoffMin, o.BackoffMax = count, time.Hour, time.Hour })
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, err := c.GetConnector(ctx, "x")
		var ce *ConnectError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), strings.TrimPrefix(srv.URL, "https://")) {
			t.Fatalf("err = %v, want a ConnectError naming the host", err)
		}
		if n.Load() > 2 {
			t.Errorf("%d attempts, want at most 2", n.Load())
		}
	})
}

// Whatever form Retry-After takes, the wait after a 429 is never shorter
// than the normal backoff; past the maximum wait, the request stops with an
// error saying when to rerun.
func TestRetryAfterInEveryForm(t *testing.T) {
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	future := time.Now().Add(2 * time.Hour).UTC().Format(http.TimeFormat)
	tests := []struct {
		name, retryAfter string
		wantWaitErr      bool
	}{
		{"zero seconds", "0", false},
		{"negative", "-5", false},
		{"date in the past", past, false},
		{"garbage", "soon", false},
		{"absent", "", false},
		{"seconds past the cap", "7200", true},
		{"date past the cap", future, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, u := startSim(t, tenantsim.Options{Seed: 1})
			var n atomic.Int32
			once := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if r.URL.Path == "/v2025/connectors" && n.Add(1) == 1 {
					h := http.Header{}
					if tt.retryAfter != "" {
						h.Set("Retry-After", tt.retryAfter)
					}
					return &http.Response{StatusCode: 429, Header: h, Body: http.NoBody, Request: r}, nil
				}
				return http.DefaultTransport.RoundTrip(r)
			})
			var logs logBuffer
			c := newTestClient(t, u, func(o *Options) {
				o.Transport, o.Logger = once, logs.logger()
				o.BackoffMin, o.BackoffMax, o.MaxWait = 40*time.Millisecond, 80*time.Millisecond, time.Minute
			})
			_, err := c.ListConnectors(t.Context(), ListOptions{})
			if tt.wantWaitErr {
				var we *WaitError
				if !errors.As(err, &we) || !errors.Is(err, ErrWaitTooLong) || !strings.Contains(err.Error(), "rerun after") || we.Wait < time.Hour {
					t.Fatalf("err = %v, want a WaitError saying when to rerun", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The wait logged is what the governor paused for.
			i := strings.Index(logs.String(), "retryAfter=")
			if i < 0 {
				t.Fatalf("no 429 logged:\n%s", logs.String())
			}
			wait, err := time.ParseDuration(strings.Fields(logs.String()[i+len("retryAfter="):])[0])
			if err != nil {
				t.Fatal(err)
			}
			if wait < 20*time.Millisecond { // the backoff after one 429: 20-40ms
				t.Errorf("waited %v after Retry-After %q, shorter than the backoff", wait, tt.retryAfter)
			}
		})
	}
}
