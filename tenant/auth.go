package tenant

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// opToken is the Operation of an APIError from the token endpoint.
const opToken = "getAccessToken"

// tokenSource gives the bearer token for a request.
type tokenSource interface {
	// token returns the current access token, fetching one if needed.
	token(ctx context.Context) (string, error)
	// invalidate forgets tok after the tenant rejected it; it reports
	// whether a new token can be fetched at all.
	invalidate(tok string) bool
}

// authTransport adds the bearer token and the User-Agent. After a 401 it
// fetches a new token and sends the request once more: a request the
// tenant refused for its token was not processed, so even a POST may be
// sent again.
type authTransport struct {
	next   http.RoundTripper
	tokens tokenSource
	ua     string
	stats  *stats
	log    *slog.Logger
}

// maxRenewals is how many times one request is sent again with a new token
// after a 401: once is the rule, but a token revoked again while the retry
// layer backs off deserves another (each renewal fetches a different token).
const maxRenewals = 3

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	tok, err := t.tokens.token(ctx)
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.next.RoundTrip(t.authorize(req, tok, req.Body))
	for range maxRenewals {
		if err != nil || resp.StatusCode != http.StatusUnauthorized || !t.tokens.invalidate(tok) {
			return resp, err
		}
		if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
			return resp, nil // cannot send it again
		}
		t.log.Debug("access token rejected; fetching a new one", "method", req.Method, "path", req.URL.Path)
		resp.Body.Close()
		if tok, err = t.tokens.token(ctx); err != nil {
			return nil, err
		}
		body := req.Body
		if req.GetBody != nil {
			if body, err = req.GetBody(); err != nil {
				return nil, fmt.Errorf("%s %s: replay request body: %w", req.Method, req.URL.Path, err)
			}
		}
		t.stats.retries.Add(1)
		resp, err = t.next.RoundTrip(t.authorize(req, tok, body))
	}
	return resp, err
}

func (t *authTransport) authorize(req *http.Request, tok string, body io.ReadCloser) *http.Request {
	r := req.Clone(req.Context())
	r.Body = body
	r.Header.Set("Authorization", "Bearer "+tok)
	if t.ua != "" {
		r.Header.Set("User-Agent", t.ua)
	}
	return r
}

// staticToken is a ready access token: it cannot be renewed.
type staticToken string

func (s staticToken) token(context.Context) (string, error) { return string(s), nil }
func (s staticToken) invalidate(string) bool                { return false }

// tokenCache holds the access token of a client-credentials client (a PAT).
// It renews the token refreshMargin before it expires (half its lifetime for
// tokens shorter than twice the margin) and after the tenant rejects it.
//
// It plays the part of oauth2.ReuseTokenSourceWithExpiry with two additions
// the oauth2 type lacks: a fetch honours the context of the request that
// needs the token (a token request may wait on the governor's pause, and
// Ctrl-C must end that wait), and a token the tenant rejected (401) can be
// dropped before its expiry.
type tokenCache struct {
	cfg    *clientcredentials.Config
	client *http.Client // governor → retry → transport, for the token endpoint
	margin time.Duration
	redact func(string) string
	stats  *stats
	log    *slog.Logger

	fetching chan struct{} // one fetch at a time; waiters honour ctx

	mu      sync.Mutex
	tok     string
	renewAt time.Time
	fetched int
}

func newTokenCache(cfg *clientcredentials.Config, client *http.Client, margin time.Duration, redact func(string) string, st *stats, log *slog.Logger) *tokenCache {
	return &tokenCache{cfg: cfg, client: client, margin: margin, redact: redact, stats: st, log: log,
		fetching: make(chan struct{}, 1)}
}

func (c *tokenCache) current() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok != "" && time.Now().Before(c.renewAt) {
		return c.tok
	}
	return ""
}

func (c *tokenCache) token(ctx context.Context) (string, error) {
	if tok := c.current(); tok != "" {
		return tok, nil
	}
	select {
	case c.fetching <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-c.fetching }()
	if tok := c.current(); tok != "" {
		return tok, nil // fetched while this caller waited
	}
	t, err := c.cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, c.client))
	if err != nil {
		return "", c.fetchError(err)
	}
	now := time.Now()
	renewAt := now.Add(100 * 365 * 24 * time.Hour) // no expiry given: renew after a 401
	if !t.Expiry.IsZero() {
		life := t.Expiry.Sub(now)
		renewAt = t.Expiry.Add(-min(c.margin, life/2))
	}
	c.mu.Lock()
	c.tok, c.renewAt = t.AccessToken, renewAt
	if c.fetched > 0 {
		c.stats.tokenRenewals.Add(1)
	}
	c.fetched++
	c.mu.Unlock()
	c.log.Debug("access token fetched", "expiresIn", time.Until(t.Expiry).Round(time.Second))
	return t.AccessToken, nil
}

func (c *tokenCache) invalidate(tok string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok == tok {
		c.tok = ""
	}
	return true
}

// fetchError turns a token-endpoint failure into an error that cannot carry
// the client secret: oauth2's RetrieveError prints the response body, which
// a misbehaving endpoint could fill with the request it received.
func (c *tokenCache) fetchError(err error) error {
	path := tokenPath(c.cfg.TokenURL)
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		e := newAPIError(opToken, http.MethodPost, path, "", status, re.Body, c.redact)
		if len(e.Messages) == 0 && re.ErrorCode != "" {
			e.Messages = []string{c.redact(re.ErrorCode)}
			e.Body = ""
		}
		if re.ErrorDescription != "" {
			e.Messages = append(e.Messages, c.redact(re.ErrorDescription))
		}
		return fmt.Errorf("get access token: %w", e)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is known; keep the cause (context errors, ErrAmbiguous)
	}
	if msg := err.Error(); c.redact(msg) != msg {
		return fmt.Errorf("get access token from %s: %s", path, c.redact(msg))
	}
	return fmt.Errorf("get access token from %s: %w", path, err)
}

func tokenPath(tokenURL string) string {
	if u, err := url.Parse(tokenURL); err == nil {
		return u.Path
	}
	return "token endpoint"
}

// redactor returns a function that replaces every secret in a text.
func redactor(secrets ...string) func(string) string {
	var pairs []string
	for _, s := range secrets {
		if len(s) >= 4 { // shorter "secrets" would mangle ordinary text
			pairs = append(pairs, s, "[redacted]")
			if q := url.QueryEscape(s); q != s {
				pairs = append(pairs, q, "[redacted]")
			}
		}
	}
	if len(pairs) == 0 {
		return func(s string) string { return s }
	}
	r := strings.NewReplacer(pairs...)
	return r.Replace
}
