package tenant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

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

// authTransport adds the current bearer token and the User-Agent to each
// attempt. It sits below the retry layer, so that every attempt (after a
// backoff, or a 429's pause) carries the token current when it leaves: a
// token revoked while a request waited is not sent again. After a 401 it
// forgets the token; the retry layer then sends the request again (a request
// refused for its token was not processed, so even a POST may be), and that
// attempt fetches a new one.
type authTransport struct {
	next   http.RoundTripper
	tokens tokenSource
	ua     string
}

// tokenError is a failure to get an access token for an attempt: the token
// request has had its own retries, and the attempt was never sent.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.tokens.token(req.Context())
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &tokenError{err}
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	if t.ua != "" {
		r.Header.Set("User-Agent", t.ua)
	}
	resp, err := t.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		t.tokens.invalidate(tok)
	}
	return resp, err
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
	cfg     *clientcredentials.Config
	client  *http.Client // governor → retry → transport, for the token endpoint
	margin  time.Duration
	secrets *secrets
	redact  func(string) string
	stats   *stats
	log     *slog.Logger

	fetching chan struct{} // one fetch at a time; waiters honour ctx

	mu      sync.Mutex
	tok     string
	renewAt time.Time
	fetched int
}

func newTokenCache(cfg *clientcredentials.Config, client *http.Client, margin time.Duration, sec *secrets, st *stats, log *slog.Logger) *tokenCache {
	return &tokenCache{cfg: cfg, client: client, margin: margin, secrets: sec, redact: sec.redact, stats: st, log: log,
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
	c.secrets.add(t.AccessToken) // redacted from every error from now on
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

// secrets holds every secret a client knows, to redact them from anything
// that leaves it: the client secret, a ready access token, and every access
// token it fetched (a tenant may echo the Authorization header in an error
// body). Safe for concurrent use.
//
// A secret (and its URL-encoded form) is replaced by "[redacted]" wherever it
// stands as a whole token: not glued to a letter or digit on either side, as
// it stands in a header, a form, JSON or a URL. Inside an ordinary word it is
// left alone, so a secret that happens to spell part of a word does not
// mangle messages (nor reveal itself by where the redactions fall).
type secrets struct {
	mu     sync.RWMutex
	values map[string]bool
	forms  []string // every value and URL-encoded form, longest first; nil: nothing to redact
}

func newSecrets(values ...string) *secrets {
	s := &secrets{values: map[string]bool{}}
	for _, v := range values {
		s.add(v)
	}
	return s
}

// add makes v redacted from now on. Values shorter than 4 bytes are ignored:
// they would mangle ordinary text.
func (s *secrets) add(v string) {
	if len(v) < 4 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values[v] {
		return
	}
	s.values[v] = true
	var forms []string
	for v := range s.values {
		forms = append(forms, v)
		if q := url.QueryEscape(v); q != v {
			forms = append(forms, q)
		}
	}
	// Longest first, so a form inside another is not replaced within it.
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	s.forms = forms
}

// redact replaces every secret standing as a token in text by "[redacted]".
func (s *secrets) redact(text string) string {
	s.mu.RLock()
	forms := s.forms
	s.mu.RUnlock()
	for _, f := range forms {
		text = replaceTokens(text, f, "[redacted]")
	}
	return text
}

// replaceTokens replaces each occurrence of old in text that is a whole
// token (see secrets) by repl.
func replaceTokens(text, old, repl string) string {
	first, _ := utf8.DecodeRuneInString(old)
	last, _ := utf8.DecodeLastRuneInString(old)
	var b strings.Builder
	done := 0
	for from := 0; from < len(text); {
		j := strings.Index(text[from:], old)
		if j < 0 {
			break
		}
		j += from
		end := j + len(old)
		before, _ := utf8.DecodeLastRuneInString(text[:j])
		after, _ := utf8.DecodeRuneInString(text[end:])
		glued := j > 0 && isWordRune(before) && isWordRune(first) ||
			end < len(text) && isWordRune(after) && isWordRune(last)
		if glued {
			_, n := utf8.DecodeRuneInString(text[j:])
			from = j + n
			continue
		}
		b.WriteString(text[done:j])
		b.WriteString(repl)
		done, from = end, end
	}
	if done == 0 {
		return text
	}
	b.WriteString(text[done:])
	return b.String()
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
