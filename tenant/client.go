package tenant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Options configure a Client. Zero values take the documented defaults, so
// tests pass tiny timings instead of changing globals.
type Options struct {
	// BaseURL is the tenant's API host, https://{tenant}.api.identitynow.com,
	// without a version suffix. http:// is accepted for loopback hosts only.
	BaseURL string
	// API is the surface: "v2025" (default; {base}/v2025/connectors…) or
	// "v1" ({base}/connectors/v1…). Bodies are the same.
	API string

	// ClientID and ClientSecret are a personal access token's id and secret,
	// exchanged for access tokens (client credentials) that are renewed as
	// needed. When set they take precedence over AccessToken.
	ClientID, ClientSecret string
	// TokenURL is the token endpoint; default {BaseURL}/oauth/token.
	TokenURL string
	// AccessToken is a ready bearer token, used when no client credentials
	// are set. It cannot be renewed: a 401 is final.
	AccessToken string

	// Rate is the request budget; the zero value means DefaultRate(). It is
	// ignored when Governor is set.
	Rate Rate
	// Governor paces requests; share one per client id between clients.
	// Nil: New makes one from Rate.
	Governor *Governor

	// Transport is the base transport; nil means a clone of
	// http.DefaultTransport.
	Transport http.RoundTripper
	// MaxAttempts bounds the attempts of one request, the first included
	// (0 → 8). 429 answers do not count: they are waited out.
	MaxAttempts int
	// BackoffMin and BackoffMax bound the jittered exponential backoff
	// between attempts (0 → 500ms and 30s).
	BackoffMin, BackoffMax time.Duration
	// AttemptTimeout bounds one attempt, body included (0 → 2m).
	AttemptTimeout time.Duration
	// MaxWait caps one wait the tenant asks for (a 429's Retry-After):
	// past it, the request fails with a *WaitError instead of waiting, so
	// that an unattended run stops and says when to rerun (0 → 30m;
	// negative: no cap).
	MaxWait time.Duration
	// TokenRefreshMargin is how long before its expiry an access token is
	// renewed (0 → 60s; at most half the token's lifetime).
	TokenRefreshMargin time.Duration

	// Logger receives a Debug record per attempt and a Warn per retry or
	// 429; nil discards. Tokens and secrets are never logged.
	Logger *slog.Logger
	// UserAgent is sent with every request; default "connvault".
	UserAgent string
}

// The defaults of Options.
const (
	defaultMaxAttempts    = 8
	defaultBackoffMin     = 500 * time.Millisecond
	defaultBackoffMax     = 30 * time.Second
	defaultAttemptTimeout = 2 * time.Minute
	defaultRefreshMargin  = 60 * time.Second
	// DefaultMaxWait is Options.MaxWait's default.
	DefaultMaxWait   = 30 * time.Minute
	defaultUserAgent = "connvault"
)

// Client talks to one tenant's Connectors API. It is safe for concurrent use.
type Client struct {
	base   string // BaseURL without a trailing slash
	api    string
	prefix string // the connectors collection path: /v2025/connectors or /connectors/v1
	http   *http.Client
	gov    *Governor
	stats  *stats
	log    *slog.Logger
	static bool // AccessToken mode: a 401 is final
	redact func(string) string
}

// New checks opts and returns a Client whose requests go through one chain:
// auth → rate governor → retry → transport.
func New(opts Options) (*Client, error) {
	base, err := checkURL("base URL", opts.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkNoVersion(base); err != nil {
		return nil, err
	}
	api := opts.API
	var prefix string
	switch api {
	case "", "v2025":
		api, prefix = "v2025", "/v2025/connectors"
	case "v1":
		prefix = "/connectors/v1"
	default:
		return nil, fmt.Errorf("unknown API surface %q (want v2025 or v1)", opts.API)
	}
	useCredentials := opts.ClientID != "" || opts.ClientSecret != ""
	switch {
	case useCredentials && opts.ClientID == "":
		return nil, errors.New("client secret given without a client id")
	case useCredentials && opts.ClientSecret == "":
		return nil, errors.New("client id given without a client secret")
	case !useCredentials && opts.AccessToken == "":
		return nil, errors.New("no credentials: set a client id and secret, or an access token")
	}

	if opts.Rate.Requests > 0 && opts.Rate.Per <= 0 {
		return nil, fmt.Errorf("rate %d per %v: the period must be positive", opts.Rate.Requests, opts.Rate.Per)
	}

	base.RawQuery = ""
	c := &Client{
		base:   strings.TrimRight(base.String(), "/"),
		api:    api,
		prefix: prefix,
		gov:    opts.Governor,
		stats:  &stats{},
		log:    opts.Logger,
		static: !useCredentials,
	}
	sec := newSecrets(opts.ClientSecret, opts.AccessToken)
	c.redact = sec.redact
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.gov == nil {
		r := opts.Rate
		if r == (Rate{}) {
			r = DefaultRate()
		}
		c.gov = NewGovernor(r)
	}

	transport := opts.Transport
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 32 // workers share one host
		transport = t
	}
	// retry builds a retry layer over next; renewable says whether a 401
	// is answered by sending the request again with a new token.
	retry := func(next http.RoundTripper, replayPOST, renewable bool) http.RoundTripper {
		return &retryTransport{
			next:           next,
			gov:            c.gov,
			stats:          c.stats,
			log:            c.log,
			maxAttempts:    orDefault(opts.MaxAttempts, defaultMaxAttempts),
			backoffMin:     orDefault(opts.BackoffMin, defaultBackoffMin),
			backoffMax:     orDefault(opts.BackoffMax, defaultBackoffMax),
			attemptTimeout: orDefault(opts.AttemptTimeout, defaultAttemptTimeout),
			maxWait:        orDefault(opts.MaxWait, DefaultMaxWait),
			replayPOST:     replayPOST,
			renewable:      renewable,
		}
	}
	governed := func(next http.RoundTripper) http.RoundTripper {
		return &governorTransport{next: next, gov: c.gov, stats: c.stats}
	}

	var tokens tokenSource = staticToken(opts.AccessToken)
	if useCredentials {
		tokenURL := opts.TokenURL
		if tokenURL == "" {
			tokenURL = c.base + "/oauth/token"
		}
		tu, err := checkURL("token URL", tokenURL)
		if err != nil {
			return nil, err
		}
		cfg := &clientcredentials.Config{
			ClientID:     opts.ClientID,
			ClientSecret: opts.ClientSecret,
			TokenURL:     tu.String(),
			// ISC documents client_id and client_secret in the form body;
			// probing (AuthStyleAutoDetect) would double every failed
			// token request.
			AuthStyle: oauth2.AuthStyleInParams,
		}
		// The token request counts against the same limit, and is
		// retried on 429 and 5xx: it creates nothing.
		tokenHTTP := &http.Client{Transport: governed(retry(transport, true, false)), CheckRedirect: noRedirect}
		tokens = newTokenCache(cfg, tokenHTTP, orDefault(opts.TokenRefreshMargin, defaultRefreshMargin),
			sec, c.stats, c.log)
	}
	// Auth below retry: every attempt carries the token current when it
	// leaves (see authTransport).
	auth := &authTransport{next: transport, tokens: tokens, ua: orDefault(opts.UserAgent, defaultUserAgent)}
	c.http = &http.Client{Transport: governed(retry(auth, false, useCredentials)), CheckRedirect: noRedirect}
	return c, nil
}

// noRedirect stops http.Client from following redirects: the API does not
// redirect, and following one could carry the token or the secret elsewhere.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// BaseURL returns the tenant's base URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// API returns the API surface in use: "v2025" or "v1".
func (c *Client) API() string { return c.api }

// Governor returns the governor pacing c's requests.
func (c *Client) Governor() *Governor { return c.gov }

// Stats counts what a client did. Requests counts attempts sent, token
// requests included; Retries the attempts after a failure, a 429 or a 401;
// RateLimited the 429 answers; TokenRenewals the access tokens fetched after
// the first; Held the requests the governor held back (for a full window or
// a 429's pause; 0 for a job that fits in one window); Waited the time
// requests spent waiting on the governor, summed over goroutines.
type Stats struct {
	Requests, Retries, RateLimited, TokenRenewals, Held int64
	Waited                                              time.Duration
}

// Stats returns a snapshot of c's counters; safe for concurrent use.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:      c.stats.requests.Load(),
		Retries:       c.stats.retries.Load(),
		RateLimited:   c.stats.rateLimited.Load(),
		TokenRenewals: c.stats.tokenRenewals.Load(),
		Held:          c.stats.held.Load(),
		Waited:        time.Duration(c.stats.waited.Load()),
	}
}

type stats struct {
	requests, retries, rateLimited, tokenRenewals, held, waited atomic.Int64
}

// wait waits for gov and counts the time in Waited.
func (s *stats) wait(ctx context.Context, gov *Governor) error {
	start := time.Now()
	held, err := gov.wait(ctx)
	if held {
		s.held.Add(1)
	}
	s.waited.Add(int64(time.Since(start)))
	return err
}

// governorTransport makes each request wait its turn at the governor. The
// retry layer below it asks the governor again before every further attempt,
// so every request on the wire is paced and waits out a 429's pause.
type governorTransport struct {
	next  http.RoundTripper
	gov   *Governor
	stats *stats
}

func (t *governorTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.stats.wait(req.Context(), t.gov); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return t.next.RoundTrip(req)
}

// checkURL parses an absolute http(s) URL; http only to a loopback host,
// since tokens and secrets would otherwise cross the network in clear.
func checkURL(what, raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("%s is empty", what)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", what, err)
	}
	if !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("%s %q is not absolute (want https://{tenant}.api.identitynow.com)", what, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s must not contain credentials", what)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("%s %q uses http:// to a host that is not loopback; use https://", what, raw)
		}
	default:
		return nil, fmt.Errorf("%s %q: scheme %q is not https", what, raw, u.Scheme)
	}
	u.Fragment = ""
	return u, nil
}

// versionSegment matches an API version as the last segment of a base URL:
// v3, v2024, v2025, beta, v1 and the like.
var versionSegment = regexp.MustCompile(`(?i)^(v[0-9]+|beta)$`)

// checkNoVersion refuses a base URL that ends in an API version, before any
// request: the client adds the version itself (Options.API), so
// https://acme.api.identitynow.com/v2025 would ask for /v2025/v2025/connectors
// and fail in a way that seems to blame the credentials.
func checkNoVersion(base *url.URL) error {
	p := strings.TrimRight(base.Path, "/")
	last := p[strings.LastIndex(p, "/")+1:]
	if !versionSegment.MatchString(last) {
		return nil
	}
	fixed := *base
	fixed.Path = strings.TrimSuffix(p, "/"+last)
	return fmt.Errorf("base URL %s ends in the API version /%s: set it without one (%s); connvault adds the version itself (--api v2025 or v1)",
		base.Redacted(), last, fixed.Redacted())
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// withAttemptInfo returns ctx carrying a fresh attemptInfo for the retry layer.
func withAttemptInfo(ctx context.Context) (context.Context, *attemptInfo) {
	info := &attemptInfo{}
	return context.WithValue(ctx, attemptKey{}, info), info
}
