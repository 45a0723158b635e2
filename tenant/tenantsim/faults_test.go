package tenantsim

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	good := []struct {
		spec string
		want Faults
	}{
		{"", Faults{}},
		{"none", Faults{}},
		{"500=0.05,reset=0.05,truncate=0.01,burst429=200:5s,revoke=300,lose-write=0.1,seed=7",
			Faults{Error500: 0.05, Reset: 0.05, Truncate: 0.01, BurstEvery: 200, BurstFor: 5 * time.Second, RevokeEvery: 300, LoseWrite: 0.1, Seed: 7}},
		{" latency=250ms , 500=1 ", Faults{Latency: 250 * time.Millisecond, Error500: 1}},
		{"burst429=10:3,seed=-2", Faults{BurstEvery: 10, BurstFor: 3 * time.Second, Seed: -2}},
		{"latency=2", Faults{Latency: 2 * time.Second}},
	}
	for _, tt := range good {
		got, err := ParseFaults(tt.spec)
		if err != nil || got != tt.want {
			t.Errorf("ParseFaults(%q) = %+v, %v; want %+v", tt.spec, got, err, tt.want)
			continue
		}
		again, err := ParseFaults(got.String())
		if err != nil || again != got {
			t.Errorf("ParseFaults(%q.String() = %q) = %+v, %v", tt.spec, got.String(), again, err)
		}
	}
	bad := []struct{ spec, want string }{
		{"500=2", `fault "500": want a probability between 0 and 1, got "2"`},
		{"reset=x", `fault "reset"`},
		{"truncate=-0.1", "probability"},
		{"burst429=5", "want N:D"},
		{"burst429=0:5s", "N >= 1"},
		{"burst429=5:0s", "must be positive"},
		{"burst429=5:soon", "duration"},
		{"revoke=0", "N >= 1"},
		{"latency=fast", "duration"},
		{"seed=1.5", "integer"},
		{"503=0.1", `unknown fault "503"; known: 500, reset`},
		{"500", "want key=value"},
		{"500=0.1,500=0.2", "given twice"},
	}
	for _, tt := range bad {
		if _, err := ParseFaults(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseFaults(%q) = %v, want an error with %q", tt.spec, err, tt.want)
		}
	}
}

// faultHarness is a tenant with a released custom connector and faults set
// after the token was fetched.
func faultHarness(t *testing.T, f Faults) (*harness, string) {
	t.Helper()
	h := newHarness(t, Options{Seed: 1, Connectors: 6})
	sn := firstWithStatus(t, h.sim, "RELEASED").ScriptName
	h.sim.SetFaults(f)
	return h, sn
}

func TestFault500IsNotApplied(t *testing.T) {
	h, sn := faultHarness(t, Faults{Error500: 1})
	before := h.sim.Dump()
	res := h.putFile("/"+sn+"/correlation-config", "<CorrelationConfig/>")
	if res.status != http.StatusInternalServerError || !strings.Contains(res.errorText(t), "injected fault") {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	var e errorResponse
	res.decode(t, &e)
	if e.DetailCode != "500.0 Internal Fault" {
		t.Errorf("detailCode %q", e.DetailCode)
	}
	if !reflect.DeepEqual(h.sim.Dump(), before) {
		t.Error("a write answered 500 was applied")
	}
	if st := h.sim.Stats(); st.Faults["500"] != 1 || st.ByOperation["putConnectorCorrelationConfig"][500] != 1 || st.Writes != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultResetIsNotApplied(t *testing.T) {
	h, sn := faultHarness(t, Faults{Reset: 1})
	before := h.sim.Dump()
	if res := h.putFile("/"+sn+"/source-template", "<Application/>"); res.err == nil {
		t.Fatalf("got an answer %d, want a reset connection", res.status)
	}
	if res := h.get("/" + sn); res.err == nil {
		t.Fatalf("GET answered %d", res.status)
	}
	if !reflect.DeepEqual(h.sim.Dump(), before) {
		t.Error("a reset write was applied")
	}
	if st := h.sim.Stats(); st.Faults["reset"] != 2 || st.ByOperation["getConnector"][0] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultTruncate(t *testing.T) {
	h, sn := faultHarness(t, Faults{Truncate: 1})
	res := h.get("/" + sn + "/source-config")
	if res.status != http.StatusOK || !errors.Is(res.err, io.ErrUnexpectedEOF) {
		t.Fatalf("status %d, err %v; want 200 and an unexpected EOF in the body", res.status, res.err)
	}
	full, _ := dumped(t, h.sim, sn)
	if len(res.body) != len(full.SourceConfigXml)/2 || !strings.HasPrefix(full.SourceConfigXml, string(res.body)) {
		t.Errorf("got %d bytes of %d", len(res.body), len(full.SourceConfigXml))
	}
	// A truncated create is not applied: the name is still free.
	res = h.create(map[string]any{"name": "Half Made", "className": "x.Y"})
	if res.status != http.StatusOK || res.err == nil {
		t.Fatalf("create: status %d, err %v", res.status, res.err)
	}
	h.sim.SetFaults(Faults{})
	for _, c := range h.sim.Dump().Connectors {
		if c.Name == "Half Made" {
			t.Fatal("a truncated create was applied")
		}
	}
	h.create(map[string]any{"name": "Half Made", "className": "x.Y"}).mustOK(t)
}

func TestFaultLoseWriteIsApplied(t *testing.T) {
	h, sn := faultHarness(t, Faults{LoseWrite: 1})
	res := h.create(map[string]any{"name": "Lost Answer", "className": "x.Y"})
	if res.err == nil {
		t.Fatalf("create answered %d, want a reset", res.status)
	}
	found := false
	for _, c := range h.sim.Dump().Connectors {
		found = found || c.Name == "Lost Answer"
	}
	if !found {
		t.Error("lose-write did not apply the create")
	}
	// Reads and refused writes are answered.
	h.get("/" + sn).mustOK(t)
	if res := h.create(map[string]any{"name": "Lost Answer", "className": "x.Y"}); res.status != http.StatusBadRequest {
		t.Errorf("duplicate create under lose-write: %d, %v", res.status, res.err)
	}
	if st := h.sim.Stats(); st.Faults["lose-write"] != 1 || st.Writes != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultBurst429(t *testing.T) {
	h, sn := faultHarness(t, Faults{BurstEvery: 4, BurstFor: 5 * time.Second})
	wantStatus := func(want int, retryAfter string) {
		t.Helper()
		res := h.get("/" + sn)
		if res.status != want || res.header.Get("Retry-After") != retryAfter {
			t.Fatalf("status %d Retry-After %q, want %d %q", res.status, res.header.Get("Retry-After"), want, retryAfter)
		}
	}
	wantStatus(200, "")
	wantStatus(200, "")
	wantStatus(200, "")
	wantStatus(429, "5") // the 4th starts a 5 s burst
	h.clock.Advance(2 * time.Second)
	wantStatus(429, "3")
	h.clock.Advance(3 * time.Second)
	wantStatus(200, "")
	wantStatus(200, "")
	wantStatus(429, "5") // the 8th
	if st := h.sim.Stats(); st.Faults["burst429"] != 3 || st.RateLimited != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultRevoke(t *testing.T) {
	h, sn := faultHarness(t, Faults{RevokeEvery: 3})
	h.get("/" + sn).mustOK(t)
	h.get("/" + sn).mustOK(t)
	assertUnauthorized(t, h.get("/"+sn), "revoked")
	h.tok = h.token()
	h.get("/" + sn).mustOK(t)
	h.get("/" + sn).mustOK(t)
	assertUnauthorized(t, h.get("/"+sn), "revoked")
}

// TestFaultsAreDeterministic: the same fault seed gives the same faults to
// the same request sequence; another seed gives others.
func TestFaultsAreDeterministic(t *testing.T) {
	run := func(seed int64) string {
		h, sn := faultHarness(t, Faults{Error500: 0.3, Seed: seed})
		var b strings.Builder
		for range 60 {
			if h.get("/"+sn).status == 500 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b, c := run(7), run(7), run(8)
	if a != b {
		t.Errorf("seed 7 twice:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("seeds 7 and 8 agree: %s", a)
	}
	if n := strings.Count(a, "x"); n < 8 || n > 30 {
		t.Errorf("%d of 60 requests failed at P=0.3: %s", n, a)
	}
}

func TestLatency(t *testing.T) {
	h := newHarness(t, Options{Latency: 60 * time.Millisecond, Faults: Faults{Latency: 40 * time.Millisecond}})
	start := time.Now()
	h.get("/workday").mustOK(t)
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("request took %v, want at least 100ms", took)
	}
	// The wait ends with the request's context.
	slow := newHarness(t, Options{Latency: 10 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req := mustRequest(t, http.MethodGet, slow.srv.URL+"/v2025/connectors/workday", nil, "").WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+slow.tok)
	start = time.Now()
	if res := slow.send(req); res.err == nil {
		t.Fatalf("answered %d", res.status)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("cancelled request took %v", took)
	}
}

func TestFaultTruncateOfEmptyBodyDropsConnection(t *testing.T) {
	h, sn := faultHarness(t, Faults{Truncate: 1})
	if res := h.api(http.MethodDelete, "/"+sn, nil, ""); res.err == nil {
		t.Fatalf("a truncated 204 was answered in full (%d): the client would think it deleted", res.status)
	}
	if _, ok := dumped(t, h.sim, sn); !ok {
		t.Error("a truncated DELETE was applied")
	}
}
