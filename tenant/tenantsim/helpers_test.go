package tenantsim

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// harness is a simulator behind a real HTTP server, with a token.
type harness struct {
	t      *testing.T
	sim    *Sim
	srv    *httptest.Server
	client *http.Client
	tok    string
	prefix string // API prefix: "/v2025/connectors" or "/connectors/v1"
	clock  *fakeClock
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	return harnessFor(t, New(opts))
}

// harnessFor serves sim with a fake clock and fetches a token.
func harnessFor(t *testing.T, sim *Sim) *harness {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	sim.now = clock.Now
	srv := newServer(t, sim)
	// No keep-alive: a reset must not be retried transparently on a reused connection.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	h := &harness{t: t, sim: sim, srv: srv, client: client, prefix: "/v2025/connectors", clock: clock}
	h.tok = h.token()
	return h
}

// fakeClock is a settable clock for tokens, rate limits and bursts.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// token fetches an access token with the default credentials.
func (h *harness) token() string {
	h.t.Helper()
	res := h.send(mustRequest(h.t, http.MethodPost, h.srv.URL+"/oauth/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "client_id": {h.sim.opts.ClientID}, "client_secret": {h.sim.opts.ClientSecret}}.Encode()),
		"application/x-www-form-urlencoded"))
	if res.status != http.StatusOK {
		h.t.Fatalf("token: status %d: %s", res.status, res.body)
	}
	var tr tokenResponse
	res.decode(h.t, &tr)
	return tr.AccessToken
}

// result is a response read in full.
type result struct {
	status int
	header http.Header
	body   []byte
	err    error // transport error (reset, truncated body)
}

func mustRequest(t *testing.T, method, u string, body io.Reader, contentType string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

func (h *harness) send(req *http.Request) result {
	resp, err := h.client.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

// api sends an authenticated API request; path is relative to the prefix.
func (h *harness) api(method, path string, body []byte, contentType string) result {
	h.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req := mustRequest(h.t, method, h.srv.URL+h.prefix+path, r, contentType)
	if h.tok != "" {
		req.Header.Set("Authorization", "Bearer "+h.tok)
	}
	return h.send(req)
}

func (h *harness) get(path string) result { return h.api(http.MethodGet, path, nil, "") }

func (h *harness) putFile(path, content string) result {
	body, ct := multipartFile("file", content)
	return h.api(http.MethodPut, path, body, ct)
}

func (h *harness) patch(path string, ops ...map[string]any) result {
	b, err := json.Marshal(ops)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.api(http.MethodPatch, path, b, "application/json-patch+json")
}

func (h *harness) create(fields map[string]any) result {
	b, err := json.Marshal(fields)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.api(http.MethodPost, "", b, "application/json")
}

// mustOK fails unless r is a 2xx response.
func (r result) mustOK(t *testing.T) result {
	t.Helper()
	if r.err != nil || r.status/100 != 2 {
		t.Fatalf("want success, got status %d, err %v: %s", r.status, r.err, r.body)
	}
	return r
}

func (r result) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, r.body, err)
	}
}

// apiError decodes an ErrorResponseDto and returns its message and causes as one text.
func (r result) errorText(t *testing.T) string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error content type %q, want application/json; body %s", ct, r.body)
	}
	var e errorResponse
	r.decode(t, &e)
	if e.DetailCode == "" || len(e.TrackingID) != 32 || len(e.Messages) != 1 || e.Causes == nil {
		t.Fatalf("not a full ErrorResponseDto: %s", r.body)
	}
	parts := []string{e.Messages[0].Text}
	for _, c := range e.Causes {
		parts = append(parts, c.Text)
	}
	return strings.Join(parts, " | ")
}

func multipartFile(field, content string) ([]byte, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile(field, "upload.xml")
	_, _ = fw.Write([]byte(content))
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

// list returns the connectors of one list request.
func (h *harness) list(query string) []connectorDto {
	h.t.Helper()
	res := h.get("?" + query).mustOK(h.t)
	var out []connectorDto
	res.decode(h.t, &out)
	return out
}

// dumped returns the connector with scriptName from the simulator's dump.
func dumped(t *testing.T, s *Sim, scriptName string) (DumpConnector, bool) {
	t.Helper()
	for _, c := range s.Dump().Connectors {
		if c.ScriptName == scriptName {
			return c, true
		}
	}
	return DumpConnector{}, false
}

// firstWithStatus returns a custom connector of s with the status.
func firstWithStatus(t *testing.T, s *Sim, status string) DumpConnector {
	t.Helper()
	for _, c := range s.Dump().Connectors {
		if !c.BuiltIn && c.Status == status {
			return c
		}
	}
	t.Fatalf("no custom connector with status %s", status)
	return DumpConnector{}
}

// dumpsEqual compares two dumps the way the importer's tests do.
func dumpsEqual(a, b Dump) bool { return reflect.DeepEqual(a, b) }

func newServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
