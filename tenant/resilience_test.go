package tenant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// runWorkers runs n calls of f on workers goroutines and returns the errors.
func runWorkers(ctx context.Context, workers, n int, f func(ctx context.Context, i int) error) []error {
	var (
		mu   sync.Mutex
		errs []error
	)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i := range n {
		g.Go(func() error {
			if err := f(ctx, i); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	return errs
}

func TestTokenRenewal(t *testing.T) {
	tests := []struct {
		name    string
		opts    tenantsim.Options
		margin  time.Duration
		revoke  bool // revoke every token after 30 requests
		want401 bool // renewal after 401s; else renewal before expiry, no 401
	}{
		{"revoked mid-run", tenantsim.Options{Seed: 20, Connectors: 4}, 0, true, true},
		{"revoke fault", tenantsim.Options{Seed: 21, Connectors: 4, Faults: tenantsim.Faults{RevokeEvery: 13}}, 0, false, true},
		// The tenant says expires_in 2 (whole seconds, rounded up) but the
		// token dies after 1.2s: the client learns it from the 401s.
		{"dies before its expiry", tenantsim.Options{Seed: 22, Connectors: 4, TokenTTL: 1200 * time.Millisecond, Latency: 10 * time.Millisecond},
			time.Millisecond, false, true},
		// A 1s token with the default 60s margin is renewed after half its
		// life, before the tenant would refuse it.
		{"renewed before expiry", tenantsim.Options{Seed: 23, Connectors: 4, TokenTTL: time.Second, Latency: 10 * time.Millisecond},
			0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, url := startSim(t, tt.opts)
			c := newTestClient(t, url, func(o *Options) { o.TokenRefreshMargin = tt.margin })
			names := customScriptNames(t, sim)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			var (
				sent atomic.Int64
				once sync.Once
			)
			want := int64(2)
			if tt.revoke {
				want = 1
			}
			// Each worker requests until the renewals happened, then a few more.
			errs := runWorkers(ctx, 4, 4, func(ctx context.Context, w int) error {
				for after := 0; after < 5; {
					if ctx.Err() != nil {
						return fmt.Errorf("no renewal in time: %w", ctx.Err())
					}
					if tt.revoke && sent.Add(1) == 30 {
						once.Do(sim.RevokeTokens)
					}
					if _, err := c.GetConnector(ctx, names[w%len(names)]); err != nil {
						return err
					}
					if c.Stats().TokenRenewals >= want {
						after++
					}
				}
				return nil
			})
			if len(errs) > 0 {
				t.Fatalf("%d workers failed, first: %v", len(errs), errs[0])
			}
			st := sim.Stats()
			if got := c.Stats().TokenRenewals; statusCount(st, "token", 200) != int(got)+1 {
				t.Fatalf("TokenRenewals = %d, tenant issued %v tokens", got, st.ByOperation["token"])
			}
			if got401 := statusCount(st, opGet, 401); (got401 > 0) != tt.want401 {
				t.Fatalf("tenant answered 401 %d times; want 401s: %v", got401, tt.want401)
			}
		})
	}
}

func TestAccessTokenIsNotRenewed(t *testing.T) {
	sim, base := startSim(t, tenantsim.Options{Seed: 23, Connectors: 1})
	resp, err := http.PostForm(base+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {"sim-client"}, "client_secret": {"sim-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %v", err)
	}
	logs := &logBuffer{}
	c := newTestClient(t, base, func(o *Options) {
		o.ClientID, o.ClientSecret, o.AccessToken, o.Logger = "", "", tok.AccessToken, logs.logger()
	})
	if _, err := c.ListConnectors(t.Context(), ListOptions{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	sim.RevokeTokens()
	_, err = c.ListConnectors(t.Context(), ListOptions{Limit: 1})
	if !IsStatus(err, 401) || !strings.Contains(err.Error(), "access token was rejected") {
		t.Fatalf("err = %v, want a final 401 saying the token was rejected", err)
	}
	if n := statusCount(sim.Stats(), opList, 401); n != 1 {
		t.Fatalf("tenant answered 401 %d times, want once (no retry)", n)
	}
	if statusCount(sim.Stats(), "token", -1) != 1 {
		t.Fatal("the client asked for a token although it has no credentials")
	}
	for _, text := range []string{err.Error(), logs.String()} {
		if strings.Contains(text, tok.AccessToken) {
			t.Fatalf("access token leaked: %s", text)
		}
	}
}

func TestTokenRequestRetriedAndCounted(t *testing.T) {
	sim := tenantsim.New(tenantsim.Options{Seed: 24, Connectors: 1})
	var tokenCalls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			switch tokenCalls.Add(1) {
			case 1:
				w.Header().Set("Retry-After", "0")
				http.Error(w, `{"message":"slow down"}`, http.StatusTooManyRequests)
				return
			case 2:
				http.Error(w, "unavailable", http.StatusServiceUnavailable)
				return
			}
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL, nil)
	if _, err := c.ListConnectors(t.Context(), ListOptions{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	if tokenCalls.Load() != 3 || st.Requests != 4 || st.Retries != 2 || st.RateLimited != 1 {
		t.Fatalf("%d token calls, stats %+v; want 3 token calls, 4 requests, 2 retries, 1 rate limited", tokenCalls.Load(), st)
	}
}

func TestRateLimitPausesEveryWorker(t *testing.T) {
	// Every 30th request starts a 300ms burst of 429s, each saying
	// Retry-After: 1 (whole seconds, rounded up).
	sim, url := startSim(t, tenantsim.Options{Seed: 25, Connectors: 5,
		Faults: tenantsim.Faults{BurstEvery: 30, BurstFor: 300 * time.Millisecond}})
	rec := newRecorder()
	c := newTestClient(t, url, func(o *Options) { o.Transport = rec })
	names := customScriptNames(t, sim)
	const workers = 8
	errs := runWorkers(t.Context(), workers, 45, func(ctx context.Context, i int) error {
		_, err := c.GetConnector(ctx, names[i%len(names)])
		return err
	})
	if len(errs) > 0 {
		t.Fatalf("%d requests failed, first: %v", len(errs), errs[0])
	}
	reqs := rec.all()
	var first429 time.Time
	for _, r := range reqs {
		if r.status == http.StatusTooManyRequests && (first429.IsZero() || r.end.Before(first429)) {
			first429 = r.end
		}
	}
	if first429.IsZero() {
		t.Fatal("no 429 seen; the fault did not fire")
	}
	// After the first 429 arrived, nobody may start a request until its
	// Retry-After (1s) has passed: a worker that had already passed the
	// governor may still start right away, so only count starts from
	// 100ms after it.
	early := 0
	for _, r := range reqs {
		if r.start.After(first429.Add(100*time.Millisecond)) && r.start.Before(first429.Add(time.Second)) {
			early++
		}
	}
	if early > workers/2 {
		t.Fatalf("%d requests started during the pause", early)
	}
	st := c.Stats()
	got429 := 0
	for _, r := range reqs {
		if r.status == http.StatusTooManyRequests {
			got429++
		}
	}
	if int(st.RateLimited) != got429 || sim.Stats().Faults["burst429"] == 0 {
		t.Fatalf("Stats.RateLimited = %d, transport saw %d 429s", st.RateLimited, got429)
	}
}

func TestGovernorKeepsUnderTheTenantLimit(t *testing.T) {
	// The tenant allows 20 requests in any 1s window; the client allows
	// itself 10 per 1s window, so arrival jitter on a busy machine (up to a
	// window) cannot push it over, while an unpaced client would send all
	// 30 requests at once.
	sim, url := startSim(t, tenantsim.Options{Seed: 26, Connectors: 3, RateLimit: 20, RateWindow: time.Second})
	rec := newRecorder()
	c := newTestClient(t, url, func(o *Options) { o.Rate, o.Transport = Rate{Requests: 10, Per: time.Second}, rec })
	names := customScriptNames(t, sim)
	errs := runWorkers(t.Context(), 8, 30, func(ctx context.Context, i int) error {
		_, err := c.GetConnector(ctx, names[i%len(names)])
		return err
	})
	if len(errs) > 0 {
		t.Fatalf("%d requests failed, first: %v", len(errs), errs[0])
	}
	if n := sim.Stats().RateLimited; n != 0 || c.Stats().RateLimited != 0 {
		reqs := rec.all()
		for _, r := range reqs {
			t.Logf("%v → %v %s %s %d", r.start.Sub(reqs[0].start), r.end.Sub(reqs[0].start), r.method, r.path, r.status)
		}
		t.Fatalf("the tenant rate-limited %d requests", n)
	}
	if c.Stats().Waited <= 0 {
		t.Fatal("no request waited on the governor")
	}
}

func TestGovernorSpendsTheWindowAtOnce(t *testing.T) {
	// A job that fits in the tenant's window (90 GETs and a token request,
	// at 100 per 10s) is not paced at all, and the tenant refuses nothing.
	sim, url := startSim(t, tenantsim.Options{Seed: 28, Connectors: 3, RateLimit: 100, RateWindow: 10 * time.Second})
	c := newTestClient(t, url, func(o *Options) { o.Rate = DefaultRate() })
	names := customScriptNames(t, sim)
	errs := runWorkers(t.Context(), 8, 90, func(ctx context.Context, i int) error {
		_, err := c.GetPart(ctx, names[i%len(names)], Part{Kind: SourceConfig})
		return err
	})
	if len(errs) > 0 {
		t.Fatalf("%d requests failed, first: %v", len(errs), errs[0])
	}
	if st := c.Stats(); st.Held != 0 || st.RateLimited != 0 || sim.Stats().RateLimited != 0 {
		t.Fatalf("%d requests held back, %d refused by the tenant; want none for a job of one window", st.Held, sim.Stats().RateLimited)
	}
}

func TestGovernorWrongAboutTheTenantStillSucceeds(t *testing.T) {
	// The client believes 50 per second, the tenant allows 5: the burst
	// meets 429s, the governor pauses and paces evenly, and every request
	// succeeds.
	sim, url := startSim(t, tenantsim.Options{Seed: 29, Connectors: 3, RateLimit: 5, RateWindow: time.Second})
	c := newTestClient(t, url, func(o *Options) { o.Rate = Rate{Requests: 50, Per: time.Second} })
	names := customScriptNames(t, sim)
	errs := runWorkers(t.Context(), 8, 20, func(ctx context.Context, i int) error {
		_, err := c.GetPart(ctx, names[i%len(names)], Part{Kind: SourceConfig})
		return err
	})
	if len(errs) > 0 {
		t.Fatalf("%d requests failed, first: %v", len(errs), errs[0])
	}
	if sim.Stats().RateLimited == 0 || c.Stats().RateLimited == 0 {
		t.Fatal("the tenant refused nothing; the test did not exceed its limit")
	}
}

func TestFaultsNeverReachTheCaller(t *testing.T) {
	sim, url := startSim(t, tenantsim.Options{Seed: 27, Connectors: 30})
	c := newTestClient(t, url, nil)
	ctx := t.Context()
	const workers = 8
	var owned []string // one connector per worker: its writes are ordered
	for w := range workers {
		conn, err := c.CreateConnector(ctx, NewConnector{Name: fmt.Sprintf("Fault %d", w), ClassName: simClassName, Status: StatusReleased})
		if err != nil {
			t.Fatal(err)
		}
		owned = append(owned, conn.ScriptName)
	}
	f, err := tenantsim.ParseFaults("500=0.05,reset=0.05,truncate=0.05,lose-write=0.1,seed=11")
	if err != nil {
		t.Fatal(err)
	}
	sim.SetFaults(f)

	errs := runWorkers(ctx, workers, workers, func(ctx context.Context, w int) error {
		sn := owned[w]
		for i := range 12 {
			if _, err := c.GetConnector(ctx, sn); err != nil {
				return err
			}
			if _, err := c.ListConnectors(ctx, ListOptions{Offset: i}); err != nil {
				return err
			}
			props := fmt.Sprintf("round=%d\n", i)
			if _, err := c.PutPart(ctx, sn, Part{Kind: Translations, Locale: "en"}, []byte(props)); err != nil {
				return err
			}
			got, err := c.GetPart(ctx, sn, Part{Kind: Translations, Locale: "en"})
			if err != nil {
				return err
			}
			if string(got) != props {
				return fmt.Errorf("%s: translations %q after putting %q", sn, got, props)
			}
			if _, err := c.PatchConnector(ctx, sn, []PatchOp{{Op: "replace", Path: "/connectorMetadata", Value: map[string]any{"round": i}}}); err != nil {
				return err
			}
			if _, err := c.GetPart(ctx, sn, Part{Kind: SourceConfig}); err != nil {
				return err
			}
		}
		return nil
	})
	if len(errs) > 0 {
		t.Fatalf("%d workers failed, first: %v", len(errs), errs[0])
	}
	// tenantsim "truncates" a bodyless 204 into a complete answer while not
	// applying the delete, which no real server can do: no truncation here.
	f.Truncate = 0
	sim.SetFaults(f)
	errs = runWorkers(ctx, workers, workers, func(ctx context.Context, w int) error {
		return c.DeleteConnector(ctx, owned[w])
	})
	if len(errs) > 0 {
		t.Fatalf("%d deletes failed, first: %v", len(errs), errs[0])
	}
	for _, sn := range owned {
		if _, ok := findConnector(t, sim, sn); ok {
			t.Errorf("%s still exists after its delete", sn)
		}
	}
	faults := sim.Stats().Faults
	for _, kind := range []string{"500", "reset", "truncate", "lose-write"} {
		if faults[kind] == 0 {
			t.Errorf("fault %s never fired: %v", kind, faults)
		}
	}
	if c.Stats().Retries == 0 {
		t.Error("no retries counted")
	}
}

func TestCreateIsNeverRetriedBlindly(t *testing.T) {
	sim, url := startSim(t, tenantsim.Options{Seed: 28})
	c := newTestClient(t, url, nil)
	f, err := tenantsim.ParseFaults("reset=0.2,truncate=0.1,500=0.1,lose-write=0.2,seed=5")
	if err != nil {
		t.Fatal(err)
	}
	sim.SetFaults(f)
	const n = 40
	ambiguous := 0
	for i := range n {
		name := fmt.Sprintf("Create %02d", i)
		conn, err := c.CreateConnector(t.Context(), NewConnector{Name: name, ClassName: simClassName, Status: StatusReleased})
		switch {
		case errors.Is(err, ErrAmbiguous):
			ambiguous++
		case err != nil:
			t.Fatalf("create %s: %v, want success or ErrAmbiguous", name, err)
		default:
			if _, ok := findConnector(t, sim, conn.ScriptName); !ok {
				t.Fatalf("create %s succeeded but the tenant has no %s", name, conn.ScriptName)
			}
		}
	}
	if ambiguous == 0 {
		t.Fatal("no create was ambiguous; the faults did not fire")
	}
	if got := statusCount(sim.Stats(), opCreate, -1); got != n {
		t.Fatalf("the tenant received %d creates for %d calls: a create was retried", got, n)
	}
}

func TestCreateRetriedWhenNotSent(t *testing.T) {
	tests := []struct {
		name          string
		fail          func(n int32) (*http.Response, error) // for the n-th POST; nil: pass
		wantAmbiguous bool
		wantPosts     int32 // that reach the tenant
	}{
		{
			name: "dial error",
			fail: func(n int32) (*http.Response, error) {
				if n == 1 {
					return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
				}
				return nil, nil
			},
			wantPosts: 1,
		},
		{
			name: "429",
			fail: func(n int32) (*http.Response, error) {
				if n == 1 {
					h := http.Header{"Retry-After": {"0"}}
					return &http.Response{StatusCode: 429, Header: h, Body: http.NoBody}, nil
				}
				return nil, nil
			},
			wantPosts: 1,
		},
		{
			name: "503",
			fail: func(n int32) (*http.Response, error) {
				return &http.Response{StatusCode: 503, Header: http.Header{}, Body: http.NoBody}, nil
			},
			wantAmbiguous: true,
		},
		{
			name: "reset after sending",
			fail: func(n int32) (*http.Response, error) {
				return nil, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
			},
			wantAmbiguous: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, base := startSim(t, tenantsim.Options{Seed: 29})
			var posts atomic.Int32
			transport := roundTripFunc(func(req *http.Request) (*http.Response, error) {
				if req.Method == http.MethodPost && req.URL.Path == "/v2025/connectors" {
					if resp, err := tt.fail(posts.Add(1)); resp != nil || err != nil {
						if resp != nil {
							resp.Request = req
						}
						return resp, err
					}
				}
				return http.DefaultTransport.RoundTrip(req)
			})
			c := newTestClient(t, base, func(o *Options) { o.Transport = transport })
			_, err := c.CreateConnector(t.Context(), NewConnector{Name: "Retry " + tt.name, ClassName: simClassName})
			if got := errors.Is(err, ErrAmbiguous); got != tt.wantAmbiguous || (!tt.wantAmbiguous && err != nil) {
				t.Fatalf("err = %v, want ambiguous %v", err, tt.wantAmbiguous)
			}
			if tt.wantAmbiguous && posts.Load() != 1 {
				t.Fatalf("%d POST attempts, want 1", posts.Load())
			}
			if got := int32(statusCount(sim.Stats(), opCreate, -1)); got != tt.wantPosts {
				t.Fatalf("tenant received %d creates, want %d", got, tt.wantPosts)
			}
		})
	}
}

func TestDeleteAnswerLost(t *testing.T) {
	sim, url := startSim(t, tenantsim.Options{Seed: 30})
	c := newTestClient(t, url, nil)
	conn, err := c.CreateConnector(t.Context(), NewConnector{Name: "Lost delete", ClassName: simClassName})
	if err != nil {
		t.Fatal(err)
	}
	sim.SetFaults(tenantsim.Faults{LoseWrite: 1}) // applied, then the connection drops
	if err := c.DeleteConnector(t.Context(), conn.ScriptName); err != nil {
		t.Fatalf("delete whose answer was lost: %v", err)
	}
	if _, ok := findConnector(t, sim, conn.ScriptName); ok {
		t.Fatal("connector still exists")
	}
	if err := c.DeleteConnector(t.Context(), conn.ScriptName); !IsNotFound(err) {
		t.Fatalf("delete of a missing connector: %v, want not found", err)
	}
}

func TestTimeoutsAndCancel(t *testing.T) {
	_, url := startSim(t, tenantsim.Options{Seed: 31, Connectors: 1, Latency: 300 * time.Millisecond})
	c := newTestClient(t, url, func(o *Options) { o.AttemptTimeout, o.MaxAttempts = 20*time.Millisecond, 2 })
	_, err := c.GetConnector(t.Context(), "any")
	if !errors.Is(err, context.DeadlineExceeded) || c.Stats().Retries != 1 {
		t.Fatalf("GET past the attempt timeout: %v, %d retries; want a deadline error after 1 retry", err, c.Stats().Retries)
	}
	_, err = c.CreateConnector(t.Context(), NewConnector{Name: "Slow", ClassName: simClassName})
	if !errors.Is(err, ErrAmbiguous) {
		t.Fatalf("create past the attempt timeout: %v, want ErrAmbiguous", err)
	}

	paused := NewGovernor(Unlimited())
	paused.Pause(time.Hour)
	c = newTestClient(t, url, func(o *Options) { o.Governor = paused })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.GetConnector(ctx, "any"); !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrAmbiguous) {
		t.Fatalf("request during an hour-long pause: %v, want the context's deadline", err)
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	const secret = "s3cret-Value/with+odd=chars"
	echo := func(w http.ResponseWriter, r *http.Request) string {
		_ = r.ParseForm()
		return r.Form.Encode() + " " + r.Form.Get("client_secret")
	}
	tests := []struct {
		name  string
		token http.HandlerFunc // the token endpoint; nil: the simulator's
	}{
		{"wrong secret", nil},
		{"endpoint echoes the request as JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client", "error_description": "got " + echo(w, r)})
		}},
		{"endpoint echoes the request as text", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("<html>denied: " + echo(w, r) + "</html>"))
		}},
		{"endpoint echoes it in a 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token": 42, "note": "` + echo(w, r) + `"}`))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := tenantsim.New(tenantsim.Options{Seed: 32})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.token != nil && r.URL.Path == "/oauth/token" {
					tt.token(w, r)
					return
				}
				sim.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)
			logs := &logBuffer{}
			c := newTestClient(t, srv.URL, func(o *Options) { o.ClientSecret, o.Logger = secret, logs.logger() })
			_, err := c.GetConnector(t.Context(), "x")
			if err == nil {
				t.Fatal("no error with a bad token endpoint")
			}
			for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), logs.String()} {
				if strings.Contains(text, secret) || strings.Contains(text, url.QueryEscape(secret)) {
					t.Fatalf("secret leaked: %s", text)
				}
			}
			if tt.token == nil && !IsStatus(err, 401) {
				t.Fatalf("err = %v, want a 401 from the token endpoint", err)
			}
		})
	}
}

func TestLogsCarryNoToken(t *testing.T) {
	_, url := startSim(t, tenantsim.Options{Seed: 33, Connectors: 2, Faults: tenantsim.Faults{Error500: 0.3, Seed: 3}})
	logs := &logBuffer{}
	rec := newRecorder()
	c := newTestClient(t, url, func(o *Options) { o.Logger, o.Transport = logs.logger(), rec })
	for range 5 {
		if _, err := c.ListAllConnectors(t.Context(), "", nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.GetConnector(t.Context(), "missing"); !IsNotFound(err) {
		t.Fatal(err)
	}
	text := logs.String()
	if !strings.Contains(text, "level=DEBUG") || !strings.Contains(text, "status=200") || !strings.Contains(text, `msg="retrying request"`) {
		t.Fatalf("logs lack per-request debug records or retry records:\n%s", text)
	}
	// A retry that succeeds needs nobody: it is a debug record, never a warning.
	if strings.Contains(text, "level=WARN") {
		t.Fatalf("a retried request was logged as a warning:\n%s", text)
	}
	for _, r := range rec.all() {
		if tok := strings.TrimPrefix(r.header.Get("Authorization"), "Bearer "); tok != "" && strings.Contains(text, tok) {
			t.Fatal("an access token is in the logs")
		}
	}
	if strings.Contains(text, "sim-secret") || strings.Contains(text, "Bearer") {
		t.Fatalf("logs carry credentials:\n%s", text)
	}
}
