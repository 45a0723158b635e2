package tenantsim

import (
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"testing"
)

func TestSimEndpoints(t *testing.T) {
	h := newHarness(t, Options{Seed: 1, Connectors: 3, RateLimit: 1})
	h.get("/workday").mustOK(t)
	h.get("/nope")
	for range 3 { // no auth, no rate limit, not counted
		res := h.send(mustRequest(t, http.MethodGet, h.srv.URL+"/_sim/stats", nil, "")).mustOK(t)
		var st Stats
		res.decode(t, &st)
		want := Stats{
			ByOperation: map[string]map[int]int{"getConnector": {200: 1, 429: 1}, "token": {200: 1}},
			RateLimited: 1, Total: 2, Faults: map[string]int{},
		}
		if !reflect.DeepEqual(st, want) {
			t.Fatalf("stats %+v, want %+v", st, want)
		}
	}
	h.send(mustRequest(t, http.MethodPost, h.srv.URL+"/_sim/reset-stats", nil, "")).mustOK(t)
	if st := h.sim.Stats(); st.Total != 0 || len(st.ByOperation) != 0 {
		t.Errorf("after reset-stats: %+v", st)
	}
	res := h.send(mustRequest(t, http.MethodGet, h.srv.URL+"/_sim/other", nil, ""))
	if res.status != http.StatusNotFound || res.errorText(t) == "" {
		t.Errorf("unknown /_sim/ endpoint: %d %s", res.status, res.body)
	}
}

// TestWritesCount: successful, processed writes count; refused ones do not.
func TestWritesCount(t *testing.T) {
	h := newHarness(t, Options{Seed: 1, Connectors: 3})
	sn := firstWithStatus(t, h.sim, "RELEASED").ScriptName
	h.create(map[string]any{"name": "W", "className": "x.Y"}).mustOK(t)               // 1
	h.putFile("/"+sn+"/correlation-config", "<C/>").mustOK(t)                         // 2
	h.putFile("/"+sn+"/correlation-config", "<C/>").mustOK(t)                         // 3: UNCHANGED is still a write request
	h.putFile("/"+sn+"/source-config", `<Form xmlns="urn:old" type="SourceConfig"/>`) // ERROR: not counted
	h.create(map[string]any{"name": "W", "className": "x.Y"})                         // 400: not counted
	h.get("/" + sn).mustOK(t)
	if st := h.sim.Stats(); st.Writes != 3 || st.Total != 6 {
		t.Errorf("writes %d, total %d; want 3 and 6", st.Writes, st.Total)
	}
}

// TestConcurrentUse: concurrent creates of one name make one connector, and
// mixed reads and writes are race-free (run with -race).
func TestConcurrentUse(t *testing.T) {
	h := newHarness(t, Options{Seed: 1, Connectors: 50})
	sn := firstWithStatus(t, h.sim, "RELEASED").ScriptName
	var wg sync.WaitGroup
	statuses := make(chan int, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- h.create(map[string]any{"name": "Racy Name", "className": "x.Y"}).status
			switch i % 4 {
			case 0:
				h.putFile("/"+sn+"/translations/de", fmt.Sprintf("k=%d", i))
			case 1:
				h.patch("/"+sn, map[string]any{"op": "add", "path": "/connectorMetadata/i", "value": i})
			case 2:
				h.list("limit=50")
			default:
				h.sim.Dump()
			}
		}()
	}
	wg.Wait()
	close(statuses)
	ok := 0
	for s := range statuses {
		if s == http.StatusOK {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent creates of one name succeeded, want 1", ok)
	}
}
