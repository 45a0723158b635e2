package tenant

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// maxBody caps a response body read into memory (connector details with
// their XML are well under a megabyte; this only stops a runaway answer).
const maxBody = 64 << 20

// defaultRetryAfter is the wait after a 429 that names none.
const defaultRetryAfter = time.Second

// retryTransport sends a request, with every attempt after the first paced by
// the governor again, until it succeeds, fails for good, or the attempts run
// out. It reads every response body to the end, so that a truncated body is
// an attempt failure like a reset, and hands the caller a buffered body.
//
// Requests whose outcome a retry could duplicate (POST) are only retried when
// the tenant cannot have processed them: after a 429 or a failure to connect.
// Other failures of such a request return an error wrapping ErrAmbiguous, or
// the 5xx response itself for the caller to mark.
type retryTransport struct {
	next  http.RoundTripper
	gov   *Governor
	stats *stats
	log   *slog.Logger

	maxAttempts            int
	backoffMin, backoffMax time.Duration
	attemptTimeout         time.Duration
	maxWait                time.Duration // cap of one 429 wait; <= 0: none
	replayPOST             bool          // for the token endpoint: a POST that creates nothing
	renewable              bool          // a 401 is answered by another attempt with a new token
}

// notFoundKey marks a context whose requests retry a 404 like a 5xx.
type notFoundKey struct{}

// RetryNotFound returns ctx marking its requests as being about something
// the caller knows exists (say, a part the connector's detail announces): a
// 404 is then retried with backoff like a 5xx, and only returned once the
// attempts run out.
func RetryNotFound(ctx context.Context) context.Context {
	return context.WithValue(ctx, notFoundKey{}, true)
}

func notFoundRetried(ctx context.Context) bool {
	v, _ := ctx.Value(notFoundKey{}).(bool)
	return v
}

// attemptKey carries an *attemptInfo in a request's context.
type attemptKey struct{}

// attemptInfo tells the caller what the retry layer saw.
type attemptInfo struct {
	// mayHaveApplied is set when an attempt that may have reached the
	// tenant failed and a later attempt followed: a DELETE answered 404
	// then most likely succeeded the first time.
	mayHaveApplied bool
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	info, _ := ctx.Value(attemptKey{}).(*attemptInfo)
	replayable := t.replayPOST || req.Method != http.MethodPost
	failures := 0 // attempts that count against maxAttempts (429s and 401s do not)
	limited := 0  // 429 answers
	renewals := 0 // 401 answers, each followed by a new token
	connect := 0  // failures to connect
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			if err := t.stats.wait(ctx, t.gov); err != nil {
				return nil, err
			}
		}
		start := time.Now()
		resp, err := t.attempt(req, attempt)
		t.stats.requests.Add(1)
		t.logAttempt(req, attempt, resp, err, time.Since(start))
		if _, ok := errors.AsType[*tokenError](err); ok || ctx.Err() != nil {
			// No token (its request had its own retries), or the caller
			// gave up: nothing to retry.
			return resp, err
		}
		if err != nil && cannotConnect(err) {
			// The host is wrong, down or not who it claims to be: one quick
			// retry (a blip), then an error naming the host, not minutes
			// of backoff.
			if connect++; connect > 1 {
				return nil, &ConnectError{Host: req.URL.Host, Err: err}
			}
			t.log.Debug("cannot connect; retrying once", "host", req.URL.Host, "error", err)
			if err := sleep(ctx, min(t.backoffMin, quickRetry)); err != nil {
				return nil, err
			}
			t.stats.retries.Add(1)
			continue
		}
		if resp != nil && resp.StatusCode == http.StatusUnauthorized && t.renewable && renewals < t.maxAttempts {
			// The auth layer forgot the token; the next attempt fetches a
			// new one. Not processed, so even a POST is sent again.
			renewals++
			t.log.Debug("access token rejected; sending again with a new one", "method", req.Method, "path", req.URL.Path)
			t.stats.retries.Add(1)
			continue
		}
		again, after := shouldRetry(resp, err)
		if !again && resp != nil && resp.StatusCode == http.StatusNotFound && notFoundRetried(ctx) {
			again = true // the caller knows it exists: a 404 is a fault, like a 5xx
		}
		if !again {
			if err != nil && !replayable && mayHaveReached(err) {
				return nil, fmt.Errorf("%w: %s %s: %w", ErrAmbiguous, req.Method, req.URL.Path, err)
			}
			return resp, err
		}
		rateLimited := resp != nil && resp.StatusCode == http.StatusTooManyRequests
		if !replayable && !rateLimited && mayHaveReached(err) {
			if err != nil {
				return nil, fmt.Errorf("%w: %s %s: %w", ErrAmbiguous, req.Method, req.URL.Path, err)
			}
			return resp, nil // a 5xx: the caller marks it ambiguous
		}
		if rateLimited {
			t.stats.rateLimited.Add(1)
			limited++
			// Whatever Retry-After says (seconds, a date past or future,
			// garbage), never less than the backoff.
			wait := max(after, t.backoff(limited))
			if t.maxWait > 0 && wait > t.maxWait {
				return nil, &WaitError{Wait: wait, Until: time.Now().Add(wait), MaxWait: t.maxWait}
			}
			t.gov.Pause(wait)
			t.log.Debug("rate limited by the tenant; pausing every request",
				"method", req.Method, "path", req.URL.Path, "retryAfter", wait)
		} else {
			failures++
			if failures >= t.maxAttempts {
				return resp, err
			}
			if info != nil && mayHaveReached(err) {
				info.mayHaveApplied = true
			}
			// A 5xx's Retry-After is honoured, never below the backoff and
			// up to BackoffMax; only a 429's goes beyond (that is the rate
			// limit speaking).
			after = min(max(after, t.backoff(failures)), t.backoffMax)
			t.log.Debug("retrying request", "method", req.Method, "path", req.URL.Path,
				"attempt", attempt, "after", after, "reason", reason(resp, err))
			if err := sleep(ctx, after); err != nil {
				return nil, err
			}
		}
		t.stats.retries.Add(1)
	}
}

// quickRetry is the most a failure to connect waits before its one retry.
const quickRetry = 250 * time.Millisecond

// ErrWaitTooLong is wrapped by a *WaitError.
var ErrWaitTooLong = errors.New("the tenant asks to wait longer than allowed")

// WaitError is a 429 whose wait (Retry-After, or the backoff if longer)
// exceeds Options.MaxWait: the request was not retried, and a later run can
// succeed. It wraps ErrWaitTooLong.
type WaitError struct {
	Wait    time.Duration // what the tenant asked for
	Until   time.Time     // when that wait ends
	MaxWait time.Duration // the cap
}

// Error reads like `the tenant asked to wait 2h0m0s (until 2026-03-01 14:05
// UTC), longer than the maximum wait of 30m0s: rerun after that time`.
func (e *WaitError) Error() string {
	return fmt.Sprintf("rate limited: the tenant asked to wait %s (until %s), longer than the maximum wait of %s (--max-wait): rerun after that time",
		e.Wait.Round(time.Second), e.Until.UTC().Format("2006-01-02 15:04:05 UTC"), e.MaxWait)
}

// Unwrap returns ErrWaitTooLong.
func (e *WaitError) Unwrap() error { return ErrWaitTooLong }

// ConnectError is a failure to reach the tenant at all: its name does not
// resolve, the connection is refused or unreachable, or its TLS certificate
// does not verify. It is returned after at most one quick retry.
type ConnectError struct {
	Host string
	Err  error
}

// Error reads like `cannot reach acme.api.identitynow.com: dial tcp: lookup
// acme.api.identitynow.com: no such host (check SAIL_BASE_URL)`.
func (e *ConnectError) Error() string {
	return fmt.Sprintf("cannot reach %s: %v (check SAIL_BASE_URL, and SAIL_TOKEN_URL if set)", e.Host, e.Err)
}

// Unwrap returns the cause.
func (e *ConnectError) Unwrap() error { return e.Err }

// cannotConnect reports whether err says the host could not be reached at
// all: DNS, a refused or unreachable connection, a TLS handshake that failed
// (certificate, or no TLS on the other side). A reset or a timeout of an
// established connection is not such a failure.
func cannotConnect(err error) bool {
	var (
		dns         *net.DNSError
		op          *net.OpError
		certInvalid x509.CertificateInvalidError
		unknownCA   x509.UnknownAuthorityError
		hostname    x509.HostnameError
		verify      *tls.CertificateVerificationError
		record      tls.RecordHeaderError
		alert       tls.AlertError
	)
	switch {
	case errors.As(err, &dns), errors.As(err, &certInvalid), errors.As(err, &unknownCA),
		errors.As(err, &hostname), errors.As(err, &verify), errors.As(err, &record), errors.As(err, &alert):
		return true
	case errors.As(err, &op) && op.Op == "dial":
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)
}

// attempt sends req once, within the attempt timeout, and buffers the body.
func (t *retryTransport) attempt(req *http.Request, n int) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.attemptTimeout)
	defer cancel()
	r := req.Clone(ctx)
	if n > 1 && req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, fmt.Errorf("%s %s: request body cannot be replayed", req.Method, req.URL.Path)
		}
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("%s %s: replay request body: %w", req.Method, req.URL.Path, err)
		}
		r.Body = body
	}
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	if len(data) > maxBody {
		return nil, fmt.Errorf("read response body: larger than %d bytes", maxBody)
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	resp.ContentLength = int64(len(data))
	return resp, nil
}

// shouldRetry is the one place that classifies an attempt: again reports
// whether it is worth another attempt, after how long the tenant asked for
// (Retry-After; 0 means "use the backoff"). A 429 always asks again.
func shouldRetry(resp *http.Response, err error) (again bool, after time.Duration) {
	if err != nil {
		return retryableError(err), 0
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		after, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		if !ok {
			after = defaultRetryAfter
		}
		return true, after
	case http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		after, _ := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		return true, after
	}
	return false, 0
}

// retryableError reports whether a transport error is transient: resets,
// refused or dropped connections, EOFs, truncated bodies and timeouts.
// Certificate problems, canceled contexts and malformed requests are not.
func retryableError(err error) bool {
	var (
		certInvalid x509.CertificateInvalidError
		unknownCA   x509.UnknownAuthorityError
		hostname    x509.HostnameError
		verify      *tls.CertificateVerificationError
	)
	switch {
	case errors.Is(err, context.Canceled),
		errors.As(err, &certInvalid), errors.As(err, &unknownCA),
		errors.As(err, &hostname), errors.As(err, &verify):
		return false
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, context.DeadlineExceeded):
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true // timeouts, resets, DNS hiccups: all worth another try
	}
	return false
}

// mayHaveReached reports whether the request that failed with err (nil: it
// got an answer) may have been processed by the tenant. Only a failure to
// connect (dial, DNS) or to verify the tenant's certificate proves it was not.
func mayHaveReached(err error) bool {
	if err == nil {
		return true
	}
	var (
		op     *net.OpError
		verify *tls.CertificateVerificationError
	)
	if errors.As(err, &op) && op.Op == "dial" || errors.As(err, &verify) {
		return false
	}
	return true
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// backoff returns the jittered exponential wait before the retry that
// follows the n-th failed attempt: between half and all of
// min(backoffMin·2^(n-1), backoffMax).
func (t *retryTransport) backoff(n int) time.Duration {
	d := t.backoffMin
	for i := 1; i < n && d < t.backoffMax; i++ {
		d *= 2
	}
	d = min(d, t.backoffMax)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func (t *retryTransport) logAttempt(req *http.Request, attempt int, resp *http.Response, err error, took time.Duration) {
	if !t.log.Enabled(req.Context(), slog.LevelDebug) {
		return
	}
	attrs := []any{"method", req.Method, "path", req.URL.Path, "attempt", attempt, "duration", took}
	if resp != nil {
		attrs = append(attrs, "status", resp.StatusCode)
	} else {
		attrs = append(attrs, "err", err)
	}
	t.log.Debug("request", attrs...)
}

func reason(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}
