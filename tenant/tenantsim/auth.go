package tenantsim

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
)

// authority issues and checks opaque bearer tokens for one client id.
type authority struct {
	clientID, secret string
	ttl              time.Duration

	mu     sync.Mutex
	tokens map[string]tokenInfo
}

type tokenInfo struct {
	client  string
	expires time.Time
	revoked bool
}

// pruneAbove is the token count above which issue drops long-dead tokens.
const pruneAbove = 1024

func newAuthority(clientID, secret string, ttl time.Duration) *authority {
	return &authority{clientID: clientID, secret: secret, ttl: ttl, tokens: map[string]tokenInfo{}}
}

// issue returns a new random token for client, valid for the TTL from now.
func (a *authority) issue(client string, now time.Time) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.tokens) > pruneAbove {
		for t, info := range a.tokens {
			// Expired ones are kept for one more TTL, to answer "expired" rather than "unknown".
			if now.After(info.expires.Add(a.ttl)) {
				delete(a.tokens, t)
			}
		}
	}
	a.tokens[tok] = tokenInfo{client: client, expires: now.Add(a.ttl)}
	return tok
}

// check validates an Authorization header. It returns the token's client id,
// or a message for the 401 body naming what is wrong.
func (a *authority) check(header string, now time.Time) (client, problem string) {
	if header == "" {
		return "", "JWT validation failed: no Authorization header; send \"Authorization: Bearer <access_token>\" with a token from POST /oauth/token"
	}
	scheme, tok, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", fmt.Sprintf("JWT validation failed: Authorization scheme %q is not supported; use \"Bearer <access_token>\"", scheme)
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", "JWT validation failed: the Bearer token is empty"
	}
	a.mu.Lock()
	info, ok := a.tokens[tok]
	a.mu.Unlock()
	switch {
	case !ok:
		return "", "JWT validation failed: the token was not issued by this tenant"
	case info.revoked:
		return "", "JWT validation failed: the token has been revoked"
	case !now.Before(info.expires):
		return "", "JWT validation failed: JWT is expired"
	}
	return info.client, ""
}

// revokeAll marks every issued token revoked.
func (a *authority) revokeAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for t, info := range a.tokens {
		info.revoked = true
		a.tokens[t] = info
	}
}

// tokenResponse is the JSON body of a successful POST /oauth/token.
type tokenResponse struct {
	AccessToken         string `json:"access_token"`
	TokenType           string `json:"token_type"`
	ExpiresIn           int    `json:"expires_in"`
	Scope               string `json:"scope"`
	JTI                 string `json:"jti"`
	TenantID            string `json:"tenant_id"`
	Pod                 string `json:"pod"`
	Org                 string `json:"org"`
	Internal            bool   `json:"internal"`
	AccessType          string `json:"accessType"`
	StrongAuth          bool   `json:"strong_auth"`
	StrongAuthSupported bool   `json:"strong_auth_supported"`
	Enabled             bool   `json:"enabled"`
	UserID              string `json:"user_id"`
	IdentityID          string `json:"identity_id"`
}

// oauthError is the RFC 6749 error body of the token endpoint.
func oauthError(status int, code, description string) *reply {
	rep := jsonReply(status, map[string]string{"error": code, "error_description": description})
	rep.header.Set("Cache-Control", "no-store")
	return rep
}

// serveToken is POST /oauth/token with the client-credentials grant. The
// credentials may come as a form body, a multipart body, the query string or
// HTTP Basic auth. It has its own rate limiter, keyed by client id.
// Token requests are recorded under the key "token" in Stats.ByOperation but
// are not API requests: they do not count in Stats.Total.
func (s *Sim) serveToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	rep := s.tokenReply(r)
	s.stats.operation("token", rep.status)
	send(w, rep)
}

func (s *Sim) tokenReply(r *http.Request) *reply {
	if r.Method != http.MethodPost {
		rep := oauthError(http.StatusMethodNotAllowed, "invalid_request", "the token endpoint takes POST only")
		rep.header.Set("Allow", http.MethodPost)
		return rep
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	if mt == "multipart/form-data" {
		err = r.ParseMultipartForm(1 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return oauthError(http.StatusBadRequest, "invalid_request", "cannot read the token request: "+err.Error())
	}
	grant := r.Form.Get("grant_type")
	switch grant {
	case "client_credentials":
	case "":
		return oauthError(http.StatusBadRequest, "invalid_request", "grant_type is missing; this tenant supports grant_type=client_credentials")
	default:
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q is not supported; use client_credentials", grant))
	}
	id, secret := r.Form.Get("client_id"), r.Form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	if id == "" || secret == "" {
		return oauthError(http.StatusUnauthorized, "invalid_client", "client_id and client_secret are required (form body, multipart body, query string or HTTP Basic auth)")
	}
	now := s.now()
	if ok, wait := s.tokenLimit.allow(id, now); !ok {
		s.stats.rateLimited()
		return tooManyRequests(wait)
	}
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(s.auth.clientID)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(s.auth.secret)) == 1
	if !idOK || !secretOK {
		return oauthError(http.StatusUnauthorized, "invalid_client", "Bad credentials: unknown client_id or wrong client_secret")
	}
	tok := s.auth.issue(id, now)
	tenantID := uuidFrom("tenant:" + s.opts.TenantName)
	rep := jsonReply(http.StatusOK, tokenResponse{
		AccessToken: tok,
		TokenType:   "bearer",
		// Whole seconds, rounded up: expires_in 0 would mean "never" to OAuth clients.
		ExpiresIn:           retryAfterSeconds(s.opts.TokenTTL),
		Scope:               strings.Join(*s.scopes.Load(), " "),
		JTI:                 uuidFrom("jti:" + tok),
		TenantID:            tenantID,
		Pod:                 "sim01-useast1",
		Org:                 s.opts.TenantName,
		AccessType:          "OFFLINE",
		StrongAuthSupported: false,
		Enabled:             true,
		UserID:              uuidFrom("user:" + id),
		IdentityID:          uuidFrom("identity:" + id),
	})
	rep.header.Set("Cache-Control", "no-store")
	return rep
}

// uuidFrom returns a UUID-shaped id derived from s.
func uuidFrom(s string) string {
	h := sha256.Sum256([]byte(s))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
