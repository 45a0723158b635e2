package tenant

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/connvault/connvault/tenant/tenantsim"
)

const simClassName = "sailpoint.connector.OpenConnectorAdapter"

// Contents the simulator accepts for each part.
const (
	testSourceConfig      = `<?xml version="1.0" encoding="UTF-8"?><Form xmlns="http://www.sailpoint.com/xsd/sailpoint_form_2_0.xsd" name="T" type="SourceConfig"><BaseConfig/></Form>`
	testSourceTemplate    = `<?xml version='1.0' encoding='UTF-8'?><Application connector="sailpoint.connector.OpenConnectorAdapter" name="T" type="custom T"/>`
	testCorrelationConfig = `<?xml version='1.0' encoding='UTF-8'?><CorrelationConfig name="T corr"><AttributeAssignments/></CorrelationConfig>`
	testTranslations      = "menuLabel=Verbindungseinstellungen\nshort=Größe \\u00fc\n"
)

// startSim serves a simulated tenant over real HTTP and returns it with its URL.
func startSim(t *testing.T, o tenantsim.Options) (*tenantsim.Sim, string) {
	t.Helper()
	sim := tenantsim.New(o)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

// newTestClient returns a client of the simulator's default credentials with
// no rate limit, tiny backoff and generous attempts; edit adjusts the options.
func newTestClient(t *testing.T, baseURL string, edit func(*Options)) *Client {
	t.Helper()
	o := Options{
		BaseURL:        baseURL,
		ClientID:       "sim-client",
		ClientSecret:   "sim-secret",
		Rate:           Unlimited(),
		MaxAttempts:    10,
		BackoffMin:     time.Millisecond,
		BackoffMax:     4 * time.Millisecond,
		AttemptTimeout: 20 * time.Second,
	}
	if edit != nil {
		edit(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recorded is one attempt as the base transport saw it.
type recorded struct {
	method, path, rawQuery string
	header                 http.Header
	body                   []byte
	status                 int // 0: no answer
	start, end             time.Time
}

// recorder is a base transport that keeps every attempt.
type recorder struct {
	next http.RoundTripper

	mu   sync.Mutex
	reqs []recorded
}

func newRecorder() *recorder { return &recorder{next: http.DefaultTransport} }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := recorded{method: req.Method, path: req.URL.EscapedPath(), rawQuery: req.URL.RawQuery,
		header: req.Header.Clone(), start: time.Now()}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		rec.body = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := r.next.RoundTrip(req)
	rec.end = time.Now()
	if resp != nil {
		rec.status = resp.StatusCode
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	r.mu.Unlock()
	return resp, err
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

// logBuffer is a debug-level slog logger writing to a buffer.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// findConnector returns the dumped connector with scriptName.
func findConnector(t *testing.T, sim *tenantsim.Sim, scriptName string) (tenantsim.DumpConnector, bool) {
	t.Helper()
	for _, c := range sim.Dump().Connectors {
		if c.ScriptName == scriptName {
			return c, true
		}
	}
	return tenantsim.DumpConnector{}, false
}

// statusCount sums the sim's answers of op with status (all statuses if status < 0).
func statusCount(st tenantsim.Stats, op string, status int) int {
	n := 0
	for s, k := range st.ByOperation[op] {
		if status < 0 || s == status {
			n += k
		}
	}
	return n
}

// customScriptNames returns the scriptNames of the tenant's custom connectors
// (their details are much smaller than the built-in catalog's).
func customScriptNames(t *testing.T, sim *tenantsim.Sim) []string {
	t.Helper()
	var names []string
	for _, c := range sim.Dump().Connectors {
		if !c.BuiltIn {
			names = append(names, c.ScriptName)
		}
	}
	if len(names) == 0 {
		t.Fatal("the simulated tenant has no custom connectors")
	}
	return names
}

// builtinScriptName returns the scriptName of one of SailPoint's connectors.
func builtinScriptName(t *testing.T, sim *tenantsim.Sim) string {
	t.Helper()
	for _, c := range sim.Dump().Connectors {
		if c.BuiltIn {
			return c.ScriptName
		}
	}
	t.Fatal("the simulated tenant has no SailPoint connectors")
	return ""
}
