package importer

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// cancelAt serves a simulated tenant and cancels the importer's context (as
// Ctrl-C does) when the n-th request match accepts has reached the tenant.
// Requests that match are applied even if the client hangs up, as a real
// server does once it started the work.
type cancelAt struct {
	next   http.Handler
	cancel context.CancelFunc
	match  func(*http.Request) bool
	n      int

	mu   sync.Mutex
	seen int
}

func (h *cancelAt) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.match(r) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.mu.Lock()
		h.seen++
		hit := h.seen == h.n
		h.mu.Unlock()
		if hit {
			h.cancel()
			time.Sleep(50 * time.Millisecond) // the tenant is slower than the keystroke
		}
		r = r.WithContext(context.WithoutCancel(r.Context()))
	}
	h.next.ServeHTTP(w, r)
}

func isCreate(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/v2025/connectors"
}

func isPatch(r *http.Request) bool {
	return r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/v2025/connectors/")
}

// Ctrl-C during an import, then rollback, must leave the target as it was:
// every connector the import created is deleted. The import was the only
// writer, so nothing may be reported as changed since, and a create that
// was never sent must not be reported as possibly made (it was reported as
// "the answer to its create was lost … delete it by hand" for a connector
// that did not exist, and created connectors whose content PATCH never went
// out as "source-config changed" or "no record of what the import wrote").
func TestCtrlCThenRollbackRemovesEveryCreate(t *testing.T) {
	src := exportSource(t, newTenant(t, tenantsim.Options{Seed: 7, Connectors: 12, MaxLocales: 2, TenantName: "sandbox"}))
	for _, tt := range []struct {
		name  string
		match func(*http.Request) bool
		n     int
	}{
		{"during the creates", isCreate, 3},
		{"during the content writes", isPatch, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sim := tenantsim.New(tenantsim.Options{Seed: 8, Connectors: 0, TenantName: "production"})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			srv := httptest.NewServer(&cancelAt{next: sim, cancel: cancel, match: tt.match, n: tt.n})
			t.Cleanup(srv.Close)
			f := tenantFixture{sim: sim, url: srv.URL}
			opts := testOptions(t)
			opts.Concurrency = 2
			before := sim.Dump()

			res, err := importOnce(ctx, t, f.client(t), src, opts)
			if err == nil || ctx.Err() == nil || res.UndoPath == "" {
				t.Fatalf("fixture: the import was not interrupted after writing: %v (undo %q)", err, res.UndoPath)
			}
			made := len(sim.Dump().Connectors) - len(before.Connectors)
			if made == 0 || made == len(src.Connectors) && tt.n == 3 {
				t.Fatalf("fixture: %d of %d connectors created before the interrupt", made, len(src.Connectors))
			}
			rb, err := Rollback(context.Background(), f.client(t), res.UndoPath, opts)
			if err != nil {
				t.Fatalf("rollback: %v", err)
			}
			for _, it := range rb.Items {
				if it.Status != StatusOK {
					t.Errorf("rollback of %q: %s %s %v", it.Name, it.Status, it.Error, it.Notes)
				}
				if n := strings.Join(it.Notes, " "); strings.Contains(n, "answer to its create was lost") {
					t.Errorf("rollback of %q says its create's answer was lost: %s", it.Name, n)
				}
			}
			if d := diffDumps(before, sim.Dump()); len(d) > 0 {
				t.Errorf("after the rollback the target differs from before the import (%d created):\n%s", made, strings.Join(d, "\n"))
			}
		})
	}
}
