package importer

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// throttleWrites answers every content write (PATCH, PUT) with a 429 asking
// for an hour once the creates are done: a tenant whose rate limit the run
// cannot wait for (tenant.Options.MaxWait, 30 minutes by default).
type throttleWrites struct {
	next    http.Handler
	limited atomic.Int64
}

func (h *throttleWrites) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPatch || r.Method == http.MethodPut {
		h.limited.Add(1)
		w.Header().Set("Retry-After", "3600")
		http.Error(w, `{"detailCode":"429 Too Many Requests"}`, http.StatusTooManyRequests)
		return
	}
	h.next.ServeHTTP(w, r)
}

// Newcomer N22, N8: creates run first, then each connector's parts, so a
// run stopped in between (Ctrl-C, a wait past MaxWait) leaves connectors
// created but holding the tenant's defaults. The result names them
// (Unwritten), exactly those a fresh plan finds still to write among the
// connectors the run created, so that the CLI can say so instead of
// "nothing is left half-written". A wait past MaxWait stops the run as it
// stops an export: no other connector is started after it.
func TestStoppedImportNamesWhatItLeftUnwritten(t *testing.T) {
	t.Parallel()
	src := exportSource(t, newTenant(t, tenantsim.Options{Seed: 7, Connectors: 10, MaxLocales: 2, TenantName: "sandbox"}))
	for _, tt := range []struct {
		name string
		wrap func(sim http.Handler, cancel context.CancelFunc) http.Handler
	}{
		{"Ctrl-C during the creates", func(sim http.Handler, cancel context.CancelFunc) http.Handler {
			return &cancelAt{next: sim, cancel: cancel, match: isCreate, n: 4}
		}},
		{"Ctrl-C during the content writes", func(sim http.Handler, cancel context.CancelFunc) http.Handler {
			return &cancelAt{next: sim, cancel: cancel, match: isPatch, n: 3}
		}},
		{"a wait past the maximum", func(sim http.Handler, _ context.CancelFunc) http.Handler {
			return &throttleWrites{next: sim}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sim := tenantsim.New(tenantsim.Options{Seed: 8, Connectors: 0, TenantName: "production"})
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			h := tt.wrap(sim, cancel)
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			f := tenantFixture{sim: sim, url: srv.URL}
			opts := testOptions(t)
			opts.Concurrency = 1
			res, err := importOnce(ctx, t, f.client(t), src, opts)
			if res.UndoPath == "" || err == nil && res.Failed() == 0 {
				t.Fatalf("fixture: the import did not stop after writing: %v", err)
			}
			if th, ok := h.(*throttleWrites); ok {
				if n := th.limited.Load(); n != 1 {
					t.Errorf("%d writes sent into the rate limit; want the run to stop at the first", n)
				}
				for _, it := range res.Items {
					if it.Status != StatusFailed || !strings.Contains(it.Error, "--max-wait") {
						t.Errorf("%q: %s %q; want failed, naming the wait", it.Name, it.Status, it.Error)
					}
				}
			}

			p, err := MakePlan(t.Context(), f.client(t), src, opts)
			if err != nil {
				t.Fatal(err)
			}
			var toWrite []string
			for _, it := range p.Items {
				if it.Action != ActionUnchanged {
					if _, made := byName(sim.Dump(), it.Name); made {
						toWrite = append(toWrite, it.Name)
					}
				}
			}
			// Besides those, the one write under way at the interrupt
			// (Concurrency 1) may have reached the tenant unanswered.
			got := append(slices.Clone(res.Unwritten), res.PartlyWritten...)
			missed := slices.DeleteFunc(slices.Clone(toWrite), func(n string) bool { return slices.Contains(got, n) })
			if len(toWrite) == 0 || len(missed) > 0 || len(got) > len(toWrite)+opts.Concurrency {
				t.Errorf("unwritten %v, partly written %v; want the created connectors still to write: %v", res.Unwritten, res.PartlyWritten, toWrite)
			}
		})
	}
}

// Newcomer N2: the fresh plan of a rerun after Ctrl-C (or a kill) matches
// by name the connectors the interrupted run created, as updates. It must
// say they finish that run's creates, and not that a locale it adds
// "cannot be undone": a rollback of the run deletes the connector. A
// connector that existed before the run keeps that note.
func TestRerunPlanSaysItFinishesTheRunsCreates(t *testing.T) {
	t.Parallel()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
	src := exportSource(t, sandbox)
	opts := testOptions(t)
	opts.Mapping = unlistedSameName(src, prod.sim.Dump())
	opts.Concurrency = 1
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	srv := httptest.NewServer(&cancelAt{next: prod.sim, cancel: cancel, match: isPatch, n: 1})
	t.Cleanup(srv.Close)
	cut := tenantFixture{sim: prod.sim, url: srv.URL} // the same URL for the rerun: past the interrupt, it passes requests on
	first, err := importOnce(ctx, t, cut.client(t), src, opts)
	if err == nil || len(first.Unwritten) < 2 {
		t.Fatalf("fixture: the import was not interrupted after its creates: %v, unwritten %v", err, first.Unwritten)
	}

	p, err := MakePlan(t.Context(), cut.client(t), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	finishing, irreversible := 0, 0
	for _, it := range p.Items {
		notes := strings.Join(it.Notes, "; ")
		created := slices.Contains(first.Unwritten, it.Name)
		if created != it.ContinuesCreate || created && (!strings.Contains(notes, "created by the interrupted run this one continues") || strings.Contains(notes, "cannot be undone")) {
			t.Errorf("%s %q (created by the interrupted run: %t): continues %t, notes %q", it.Action, it.Name, created, it.ContinuesCreate, notes)
		}
		if created && it.Action == ActionUpdate {
			finishing++
		}
		if !created && strings.Contains(notes, "cannot be undone") {
			irreversible++
		}
	}
	if irreversible == 0 {
		t.Error("no connector that existed before the run is said to get a locale a rollback cannot remove")
	}
	if want := fmt.Sprintf("%d of the updates finish connectors the interrupted run created", finishing); finishing == 0 || !strings.Contains(p.Summary(), want) {
		t.Errorf("summary %q; want it to say %q", p.Summary(), want)
	}
	res, err := Apply(t.Context(), cut.client(t), src, p, opts)
	if err != nil || !res.Resumed || res.RunID != first.RunID {
		t.Fatalf("rerun: %v, resumed %t; want run %s continued", err, res.Resumed, first.RunID)
	}
}
