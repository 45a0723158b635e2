package importer

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// cancelOnCreate serves a simulated tenant and cancels the importer's context
// (as Ctrl-C does) while the first POST /connectors is in flight: after the
// request left the client, before the tenant applies it and answers.
type cancelOnCreate struct {
	next   http.Handler
	cancel context.CancelFunc
	once   sync.Once
}

func (h *cancelOnCreate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/v2025/connectors" {
		body, err := io.ReadAll(r.Body) // the whole request reached the tenant
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.once.Do(func() {
			h.cancel()
			time.Sleep(50 * time.Millisecond) // the tenant is slower than the keystroke
		})
		// The tenant applies a request it received even if the client
		// hangs up, as a real server does once it started the work.
		r = r.WithContext(context.WithoutCancel(r.Context()))
	}
	h.next.ServeHTTP(w, r)
}

// Ctrl-C while a create is in flight must not turn the create into a lost
// answer: the tenant creates the connector anyway, and when it is not RELEASED
// the list never shows it, so a rerun could neither find it nor prove it
// created it. The importer lets the in-flight create finish and journals its
// answer; the rerun then converges without a mapping entry, and the
// connector counts as created by the run.
func TestInterruptDuringCreateIsResumable(t *testing.T) {
	cs := bundleFromDump(t, newTenant(t, sandboxOpts()).sim.Dump())
	// One connector, hidden once created: no other create of the run can
	// hint at its scriptName.
	src := writeSource(t, "http://127.0.0.1/sandbox", []bundle.Connector{withStatus(t, cs[0], "DEMO")}, nil)
	sim := tenantsim.New(tenantsim.Options{Seed: 9, Connectors: 0, TenantName: "empty"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(&cancelOnCreate{next: sim, cancel: cancel})
	t.Cleanup(srv.Close)
	f := tenantFixture{sim: sim, url: srv.URL}
	opts := testOptions(t)
	opts.Concurrency = 1

	first, err := importOnce(ctx, t, f.client(t), src, opts)
	if err == nil && ctx.Err() == nil {
		t.Fatal("fixture: the first import was not interrupted")
	}
	t.Logf("first run: %v (%d items failed); tenant has %d connectors", err, first.Failed(), len(sim.Dump().Connectors))
	rerun, err := importOnce(context.Background(), t, f.client(t), src, opts)
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if n := rerun.Failed(); n > 0 {
		t.Fatalf("rerun after Ctrl-C during a create: %d items failed: %+v", n, failures(rerun))
	}
	checkNoDuplicates(t, sim.Dump())
	if got, want := len(sim.Dump().Connectors)-len(tenantsim.New(tenantsim.Options{Seed: 9, Connectors: 0}).Dump().Connectors), len(src.Connectors); got != want {
		t.Errorf("the target gained %d connectors, want %d", got, want)
	}
}
