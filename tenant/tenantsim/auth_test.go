package tenantsim

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTokenEndpoint(t *testing.T) {
	h := newHarness(t, Options{ClientID: "pat-id", ClientSecret: "pat-secret", TokenTTL: 90 * time.Second})
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"pat-id"}, "client_secret": {"pat-secret"}}
	multipartForm := func(v url.Values) ([]byte, string) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for k := range v {
			_ = w.WriteField(k, v.Get(k))
		}
		_ = w.Close()
		return buf.Bytes(), w.FormDataContentType()
	}
	mpBody, mpType := multipartForm(form)
	tok := h.srv.URL + "/oauth/token"
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
		want   string // in the body
	}{
		{"form body", func() *http.Request {
			return mustRequest(t, "POST", tok, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
		}, 200, `"token_type":"bearer"`},
		{"multipart body", func() *http.Request { return mustRequest(t, "POST", tok, bytes.NewReader(mpBody), mpType) }, 200, `"expires_in":90`},
		{"query string", func() *http.Request { return mustRequest(t, "POST", tok+"?"+form.Encode(), nil, "") }, 200, `"scope":"sp:scopes:all"`},
		{"basic auth", func() *http.Request {
			r := mustRequest(t, "POST", tok+"?grant_type=client_credentials", nil, "")
			r.SetBasicAuth("pat-id", "pat-secret")
			return r
		}, 200, `"tenant_id":`},
		{"wrong secret", func() *http.Request {
			return mustRequest(t, "POST", tok+"?grant_type=client_credentials&client_id=pat-id&client_secret=nope", nil, "")
		}, 401, `"error":"invalid_client"`},
		{"wrong id", func() *http.Request {
			return mustRequest(t, "POST", tok+"?grant_type=client_credentials&client_id=other&client_secret=pat-secret", nil, "")
		}, 401, `Bad credentials`},
		{"no credentials", func() *http.Request { return mustRequest(t, "POST", tok+"?grant_type=client_credentials", nil, "") }, 401, "client_id and client_secret are required"},
		{"no grant", func() *http.Request {
			return mustRequest(t, "POST", tok+"?client_id=pat-id&client_secret=pat-secret", nil, "")
		}, 400, "grant_type is missing"},
		{"other grant", func() *http.Request {
			return mustRequest(t, "POST", tok+"?grant_type=password&client_id=pat-id&client_secret=pat-secret", nil, "")
		}, 400, `"unsupported_grant_type"`},
		{"GET", func() *http.Request { return mustRequest(t, "GET", tok+"?"+form.Encode(), nil, "") }, 405, "POST only"},
	}
	tokens := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.send(tt.req())
			if res.status != tt.status || !strings.Contains(string(res.body), tt.want) {
				t.Fatalf("status %d, body %s; want %d with %s", res.status, res.body, tt.status, tt.want)
			}
			if res.header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", res.header.Get("Content-Type"))
			}
			if res.status != 200 {
				return
			}
			var tr tokenResponse
			res.decode(t, &tr)
			if len(tr.AccessToken) < 40 || tokens[tr.AccessToken] || tr.JTI == "" {
				t.Errorf("token %q (jti %q): want a fresh long random token", tr.AccessToken, tr.JTI)
			}
			tokens[tr.AccessToken] = true
			h.tok = tr.AccessToken
			h.get("").mustOK(t)
		})
	}
	if got := h.sim.Stats(); got.ByOperation["token"][200] != 5 || got.Total != 4 { // the harness fetched one token too
		t.Errorf("stats: token %v, total %d; want 5 token 200s, outside Total", got.ByOperation["token"], got.Total)
	}
}

func TestExpiresInRoundsUp(t *testing.T) {
	h := newHarness(t, Options{TokenTTL: 20 * time.Millisecond})
	res := h.send(mustRequest(t, "POST", h.srv.URL+"/oauth/token?grant_type=client_credentials&client_id=sim-client&client_secret=sim-secret", nil, ""))
	var tr tokenResponse
	res.decode(t, &tr)
	if tr.ExpiresIn != 1 {
		t.Errorf("expires_in %d for a 20ms TTL, want 1 (0 means no expiry to OAuth clients)", tr.ExpiresIn)
	}
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, Options{RateLimit: 3, RateWindow: 10 * time.Second})
	for i := range 3 {
		h.get("?limit=1").mustOK(t)
		h.clock.Advance(time.Second * time.Duration(i+1)) // requests at 0s, 1s, 3s
	}
	// now 6s: the window holds all three; the oldest leaves at 10s.
	assert429 := func(wantRetry int) {
		t.Helper()
		res := h.get("?limit=1")
		if res.status != http.StatusTooManyRequests {
			t.Fatalf("status %d, want 429", res.status)
		}
		if ra := res.header.Get("Retry-After"); ra != strconv.Itoa(wantRetry) {
			t.Errorf("Retry-After %q, want %d", ra, wantRetry)
		}
		if strings.TrimSpace(string(res.body)) != `{"message":" Rate Limit Exceeded "}` {
			t.Errorf("429 body %s", res.body)
		}
	}
	assert429(4)
	h.clock.Advance(3500 * time.Millisecond) // 9.5s: still full, half a second left → 1
	assert429(1)
	h.clock.Advance(500 * time.Millisecond) // 10s: the first request left the window
	h.get("?limit=1").mustOK(t)
	assert429(1) // 1s request leaves at 11s

	// Another client id has its own window; the token endpoint its own limiter.
	if st := h.sim.Stats(); st.RateLimited != 3 || st.ByOperation["getConnectorList"][429] != 3 {
		t.Errorf("stats %+v", st)
	}
	h.tok = h.token() // same client, token endpoint not limited by the API window
	if res := h.get("?limit=1"); res.status != http.StatusTooManyRequests {
		t.Errorf("a new token of the same client id escaped the limit: %d", res.status)
	}
}
