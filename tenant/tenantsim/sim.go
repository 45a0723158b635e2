package tenantsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Options configures a simulated tenant. The zero value is a tenant with the
// built-in catalog only, default credentials, no rate limit and no faults.
type Options struct {
	Seed         int64         // deterministic data; 0 is a valid seed
	Connectors   int           // how many custom connectors to seed (0 = none)
	MaxLocales   int           // most locales per custom connector (>=1; 0 means 3)
	TenantName   string        // makes the scriptName suffix; "" → "sim-<Seed>"
	ClientID     string        // accepted client id ("" → "sim-client")
	ClientSecret string        // accepted client secret ("" → "sim-secret")
	TokenTTL     time.Duration // access token lifetime (0 → 12m30s)
	RateLimit    int           // requests per RateWindow per client id; 0 = off
	RateWindow   time.Duration // sliding window (0 → 10s)
	Latency      time.Duration // added to every API request
	Faults       Faults        // fault injection (zero = none)
	Variants     Variants      // behaviours the spec leaves open (zero = the defaults)
	// PageCap caps the items of a list page below the limit asked for (0 =
	// no cap): a tenant may serve shorter pages than asked, so a short page
	// is not the end of the list. It is Variants.PageCap (page-cap=N) under
	// another name; when both are set the smaller wins.
	PageCap int
	// RejectOffsetPastEnd answers a list request whose offset is at or beyond
	// the total (other than 0) with 400 "offset is invalid", as ISC's list
	// endpoints have been reported to do; the default answers an empty page.
	RejectOffsetPastEnd bool
	// Scopes are the scopes the client's tokens carry (nil → sp:scopes:all,
	// which grants everything). See SetScopes.
	Scopes []string
	Logger *slog.Logger // nil = discard
}

// Option defaults.
const (
	defaultMaxLocales   = 3
	defaultClientID     = "sim-client"
	defaultClientSecret = "sim-secret"
	defaultTokenTTL     = 12*time.Minute + 30*time.Second
	defaultRateWindow   = 10 * time.Second
	maxBodyBytes        = 32 << 20
)

// Sim is a simulated ISC tenant: an http.Handler serving the 13 Connectors
// operations on /v2025/connectors… and /connectors/v1…, /oauth/token and the
// /_sim/ endpoints. It is safe for concurrent use.
type Sim struct {
	opts       Options
	log        *slog.Logger
	now        func() time.Time // replaced in tests
	store      *store
	auth       *authority
	apiLimit   *limiter
	tokenLimit *limiter
	faults     *faultState
	stats      statsCollector
	listCalls  atomic.Uint64 // list requests served, the shuffle of list-order=unstable
	sources    *sourceStore
	scopes     atomic.Pointer[[]string]
}

// New returns a simulated tenant seeded from opts. Custom connectors' content
// is generated lazily, so New is fast even for tens of thousands of connectors.
func New(opts Options) *Sim {
	if opts.MaxLocales <= 0 {
		opts.MaxLocales = defaultMaxLocales
	}
	if opts.TenantName == "" {
		opts.TenantName = fmt.Sprintf("sim-%d", opts.Seed)
	}
	if opts.ClientID == "" {
		opts.ClientID = defaultClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = defaultClientSecret
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = defaultTokenTTL
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = defaultRateWindow
	}
	if opts.PageCap > 0 && (opts.Variants.PageCap <= 0 || opts.PageCap < opts.Variants.PageCap) {
		opts.Variants.PageCap = opts.PageCap
	}
	opts.Variants = opts.Variants.withDefaults()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sim{
		opts:       opts,
		log:        log,
		now:        time.Now,
		store:      newStore(opts),
		auth:       newAuthority(opts.ClientID, opts.ClientSecret, opts.TokenTTL),
		apiLimit:   newLimiter(opts.RateLimit, opts.RateWindow),
		tokenLimit: newLimiter(opts.RateLimit, opts.RateWindow),
		faults:     newFaultState(opts.Faults),
	}
	s.stats.reset()
	s.SetScopes(opts.Scopes...)
	initial := slices.Clone(s.store.sorted) // the connectors the seeded sources use
	s.sources = newSourceStore(func() []DumpSource {
		s.store.mu.RLock() // the summaries may be materialized meanwhile
		defer s.store.mu.RUnlock()
		return seedSources(opts, initial)
	})
	return s
}

// SetScopes sets the scopes of the tokens the client gets (none → sp:scopes:all).
// A route needs one of its scopes, or sp:scopes:all; without it the answer is
// 403. The Sources API needs idn:sources:read or idn:sources:manage (PUT and
// PATCH: idn:sources:manage; uploads: idn:sources-admin:manage); the
// Connectors API idn:connector-config:read or :manage (writes: :manage).
func (s *Sim) SetScopes(scopes ...string) {
	if len(scopes) == 0 {
		scopes = []string{"sp:scopes:all"}
	}
	cp := slices.Clone(scopes)
	s.scopes.Store(&cp)
}

// granted reports whether the client's scopes include one of need.
func (s *Sim) granted(need []string) bool {
	have := *s.scopes.Load()
	return slices.Contains(have, "sp:scopes:all") || slices.ContainsFunc(need, func(n string) bool { return slices.Contains(have, n) })
}

// requiredScopes are the scopes of which a route needs one.
func requiredScopes(rt route, method string) []string {
	switch {
	case rt.scopes != nil:
		return rt.scopes
	case method == http.MethodGet:
		return []string{"idn:connector-config:read", "idn:connector-config:manage"}
	}
	return []string{"idn:connector-config:manage"}
}

// SetFaults replaces the fault configuration. The fault sequence restarts, so
// the decisions after SetFaults depend only on f and the requests that follow.
func (s *Sim) SetFaults(f Faults) { s.faults.set(f) }

// RevokeTokens invalidates every access token issued so far: requests bearing
// one are answered 401 until the client fetches a new token.
func (s *Sim) RevokeTokens() { s.auth.revokeAll() }

// Stats returns the request statistics, the same data as GET /_sim/stats.
func (s *Sim) Stats() Stats { return s.stats.snapshot() }

// ResetStats zeroes the request statistics.
func (s *Sim) ResetStats() { s.stats.reset() }

// ServeHTTP serves the API, the token endpoint and the /_sim/ endpoints.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/_sim/"):
		s.serveSim(w, r)
	case p == "/oauth/token":
		s.serveToken(w, r)
	default:
		s.serveAPI(w, r)
	}
}

// reply is a complete response, built before anything is sent so that faults
// can truncate or drop it.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func rawReply(status int, contentType string, body []byte) *reply {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	return &reply{status: status, header: h, body: body}
}

// jsonReply encodes v without HTML escaping, so XML inside strings stays readable.
func jsonReply(status int, v any) *reply {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Every value encoded here is built from JSON-safe types.
		panic(fmt.Sprintf("tenantsim: encode %T: %v", v, err))
	}
	return rawReply(status, "application/json", bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// send writes rep in full.
func send(w http.ResponseWriter, rep *reply) {
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	if rep.body != nil {
		w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)))
	}
	w.WriteHeader(rep.status)
	if len(rep.body) > 0 {
		_, _ = w.Write(rep.body)
	}
}

// reqCtx is what a handler gets: the request, its route, and whether a write
// may be applied (a truncate fault on a write answers as if it were applied,
// but leaves the tenant unchanged).
type reqCtx struct {
	r          *http.Request
	rt         route
	trackingID string
	commit     bool
	wrote      bool // set by a write handler that succeeded and was committed
}

// serveAPI runs one API request through latency, fault decisions, auth, rate
// limit and routing, then answers (or, under a fault, fails to).
func (s *Sim) serveAPI(w http.ResponseWriter, r *http.Request) {
	plan := s.faults.next()
	rt, routeErr := matchRoute(r.Method, r.URL)
	rc := &reqCtx{r: r, rt: rt, trackingID: newTrackingID(), commit: true}

	if d := s.opts.Latency + plan.latency; d > 0 {
		if err := waitContext(r.Context(), d); err != nil {
			return // nobody is waiting for the answer
		}
	}
	if plan.revoke {
		s.auth.revokeAll()
		s.stats.fault(faultRevoke)
	}
	now := s.now()
	client, authMsg := s.auth.check(r.Header.Get("Authorization"), now)
	if authMsg != "" {
		s.finish(w, rc, jsonReply(http.StatusUnauthorized, map[string]string{"error": authMsg}), outcomeNormal)
		return
	}
	if ok, wait := s.apiLimit.allow(client, now); !ok {
		s.stats.rateLimited()
		s.finish(w, rc, tooManyRequests(wait), outcomeNormal)
		return
	}
	if wait, ok := s.faults.burst(client, plan, now); ok {
		s.stats.fault(faultBurst)
		s.finish(w, rc, tooManyRequests(wait), outcomeNormal)
		return
	}
	if routeErr != nil {
		s.finish(w, rc, errorReply(routeErr, rc.trackingID), outcomeNormal)
		return
	}
	if need := requiredScopes(rt, r.Method); !s.granted(need) {
		s.finish(w, rc, errorReply(forbidden("the token lacks the scope for %s: it needs one of %s", rt.op, strings.Join(need, ", ")), rc.trackingID), outcomeNormal)
		return
	}
	switch plan.kind {
	case fault500:
		s.stats.fault(fault500)
		s.finish(w, rc, errorReply(errorf(http.StatusInternalServerError,
			"injected fault: internal error before %s was processed (nothing was changed)", rt.op), rc.trackingID), outcomeNormal)
		return
	case faultReset:
		s.stats.fault(faultReset)
		s.finish(w, rc, nil, outcomeReset)
		return
	case faultTruncate:
		rc.commit = false
	}

	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	rep, err := rt.handle(s, rc)
	if err != nil {
		rep = errorReply(asAPIError(err), rc.trackingID)
	}
	switch {
	case plan.kind == faultTruncate && len(rep.body) == 0:
		// Half of nothing is a complete 204: drop the connection instead.
		s.stats.fault(faultTruncate)
		s.finish(w, rc, rep, outcomeReset)
	case plan.kind == faultTruncate:
		s.stats.fault(faultTruncate)
		s.finish(w, rc, rep, outcomeTruncate)
	case plan.loseWrite && rc.wrote:
		s.stats.fault(faultLoseWrite)
		s.finish(w, rc, rep, outcomeReset)
	default:
		s.finish(w, rc, rep, outcomeNormal)
	}
}

func asAPIError(err error) *apiError {
	if e, ok := err.(*apiError); ok {
		return e
	}
	return errorf(http.StatusInternalServerError, "%v", err)
}

// tooManyRequests is the spec's 429 with Retry-After in whole seconds (at least 1).
func tooManyRequests(wait time.Duration) *reply {
	rep := jsonReply(http.StatusTooManyRequests, map[string]string{"message": " Rate Limit Exceeded "})
	rep.header.Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
	return rep
}

func retryAfterSeconds(wait time.Duration) int {
	secs := int((wait + time.Second - 1) / time.Second)
	return max(secs, 1)
}

// outcome says how a reply reaches (or fails to reach) the client.
type outcome int

const (
	outcomeNormal   outcome = iota
	outcomeTruncate         // headers with the full Content-Length, half the body, then close
	outcomeReset            // close the connection without answering
)

// finish records the request in the statistics and emits rep as out says.
func (s *Sim) finish(w http.ResponseWriter, rc *reqCtx, rep *reply, out outcome) {
	status := 0 // a reset answers nothing
	if rep != nil && out != outcomeReset {
		status = rep.status
		rep.header.Set("SLPT-Request-ID", rc.trackingID)
	}
	s.stats.request(rc.rt.op, status, rc.wrote)
	s.log.Debug("tenantsim request", "method", rc.r.Method, "path", rc.r.URL.Path, "op", rc.rt.op, "status", status, "outcome", out)
	switch out {
	case outcomeReset:
		resetConnection(w)
	case outcomeTruncate:
		for k, v := range rep.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)))
		w.WriteHeader(rep.status)
		_, _ = w.Write(rep.body[:len(rep.body)/2])
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler) // the server closes the connection mid-body
	default:
		send(w, rep)
	}
}

// resetConnection closes the client's connection without an answer: a TCP
// reset where the connection can be hijacked, else an aborted response.
func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
		_ = tc.SetLinger(0) // close with RST, not FIN
	}
	_ = conn.Close()
}

// route is a matched API operation.
type route struct {
	op         string   // the v2025 operationId, also for the v1 surface
	scopes     []string // one of them is needed; nil: the Connectors API's
	scriptName string   // or a source's id
	locale     string
	handle     func(*Sim, *reqCtx) (*reply, error)
}

// API surfaces: the same operations under two prefixes.
var apiPrefixes = [...]string{"/v2025/connectors", "/connectors/v1"}

// matchRoute maps a method and URL to one of the 13 operations.
func matchRoute(method string, u *url.URL) (route, *apiError) {
	if rt, err, ok := matchSourceRoute(method, u); ok {
		return rt, err
	}
	path := u.EscapedPath()
	rest, ok := "", false
	for _, p := range apiPrefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			rest, ok = strings.TrimPrefix(strings.TrimPrefix(path, p), "/"), true
			break
		}
	}
	if !ok {
		return route{op: "unknown"}, notFound("no API operation at path %q; the Connectors API lives under /v2025/connectors and /connectors/v1", u.Path)
	}
	var segs []string
	if rest != "" {
		for _, raw := range strings.Split(rest, "/") {
			seg, err := url.PathUnescape(raw)
			if err != nil || seg == "" {
				return route{op: "unknown"}, notFound("no API operation at path %q: empty or malformed path segment %q", u.Path, raw)
			}
			segs = append(segs, seg)
		}
	}
	type methods map[string]route
	var table methods
	switch {
	case len(segs) == 0:
		table = methods{
			http.MethodGet:  {op: "getConnectorList", handle: (*Sim).handleList},
			http.MethodPost: {op: "createCustomConnector", handle: (*Sim).handleCreate},
		}
	case len(segs) == 1:
		table = methods{
			http.MethodGet:    {op: "getConnector", handle: (*Sim).handleGet},
			http.MethodDelete: {op: "deleteCustomConnector", handle: (*Sim).handleDelete},
			http.MethodPatch:  {op: "updateConnector", handle: (*Sim).handlePatch},
		}
	case len(segs) == 2 && segs[1] == "source-config":
		table = partRoutes("SourceConfig", partSourceConfig)
	case len(segs) == 2 && segs[1] == "source-template":
		table = partRoutes("SourceTemplate", partSourceTemplate)
	case len(segs) == 2 && segs[1] == "correlation-config":
		table = partRoutes("CorrelationConfig", partCorrelationConfig)
	case len(segs) == 3 && segs[1] == "translations":
		table = partRoutes("Translations", partTranslations)
	default:
		return route{op: "unknown"}, notFound("no API operation at path %q; a connector has source-config, source-template, correlation-config and translations/{locale}", u.Path)
	}
	rt, ok := table[method]
	if !ok {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if _, ok := table[m]; ok {
				allow = append(allow, m)
			}
		}
		e := errorf(http.StatusMethodNotAllowed, "method %s is not allowed on %q; allowed: %s", method, u.Path, strings.Join(allow, ", "))
		e.allow = strings.Join(allow, ", ")
		return route{op: "unknown"}, e
	}
	if len(segs) > 0 {
		rt.scriptName = segs[0]
	}
	if len(segs) == 3 {
		rt.locale = segs[2]
	}
	return rt, nil
}

// partRoutes is the GET and PUT of one sub-resource.
func partRoutes(opSuffix string, p part) map[string]route {
	return map[string]route{
		http.MethodGet: {op: "getConnector" + opSuffix, handle: func(s *Sim, rc *reqCtx) (*reply, error) { return s.handleGetPart(rc, p) }},
		http.MethodPut: {op: "putConnector" + opSuffix, handle: func(s *Sim, rc *reqCtx) (*reply, error) { return s.handlePutPart(rc, p) }},
	}
}

// serveSim serves the /_sim/ endpoints: no auth, no rate limit, not counted.
func (s *Sim) serveSim(w http.ResponseWriter, r *http.Request) {
	var rep *reply
	switch key := r.Method + " " + r.URL.Path; key {
	case "GET /_sim/stats":
		rep = jsonReply(http.StatusOK, s.Stats())
	case "GET /_sim/tenant":
		rep = jsonReply(http.StatusOK, s.Dump())
	case "POST /_sim/reset-stats":
		s.ResetStats()
		rep = rawReply(http.StatusNoContent, "", nil)
	default:
		rep = errorReply(notFound("no simulator endpoint %s %s; there are GET /_sim/stats, GET /_sim/tenant and POST /_sim/reset-stats", r.Method, r.URL.Path), newTrackingID())
	}
	send(w, rep)
}

// waitContext sleeps for d unless ctx ends first.
func waitContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
