package importer

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// "Interrupted? Run the same command again" holds for a saved plan: after
// Ctrl-C during `import plan.json`, the same command continues the run. The
// drift check accepts exactly what the interrupted run wrote (its journal
// says so) and still refuses any other change: here an administrator's edit
// of a connector the run created. (It refused every change the run itself
// had made: "created since, the plan would create it", "… changed".)
func TestSavedPlanResumesAfterCtrlC(t *testing.T) {
	src := exportSource(t, newTenant(t, sandboxOpts()))
	for _, edit := range []bool{false, true} {
		name := "rerun continues"
		if edit {
			name = "an administrator's edit is still drift"
		}
		t.Run(name, func(t *testing.T) {
			sim := tenantsim.New(productionOpts())
			f := tenantFixture{sim: sim}
			setStatus(t, f, "RELEASED", "Münchner Personalsystem") // an update, not a name taken by a hidden connector
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			srv := httptest.NewServer(&cancelAt{next: sim, cancel: cancel, match: isPatch, n: 3})
			t.Cleanup(srv.Close)
			f.url = srv.URL
			opts := testOptions(t)
			opts.Concurrency = 2
			p, err := MakePlan(context.Background(), f.client(t), src, opts)
			if err != nil {
				t.Fatal(err)
			}
			if p.Count(ActionCreate) == 0 || p.Count(ActionUpdate) == 0 {
				t.Fatalf("fixture: the plan should create and update: %d, %d", p.Count(ActionCreate), p.Count(ActionUpdate))
			}
			path := filepath.Join(t.TempDir(), "plan.json")
			if err := SavePlan(path, p); err != nil {
				t.Fatal(err)
			}
			apply := func(ctx context.Context) (Result, error) {
				saved, err := LoadPlan(path)
				if err != nil {
					t.Fatal(err)
				}
				return Apply(ctx, f.client(t), src, saved, opts)
			}
			if _, err := apply(ctx); err == nil || ctx.Err() == nil {
				t.Fatalf("fixture: the import was not interrupted: %v", err)
			}
			if edit {
				var made string
				for _, rec := range readJournal(t, opts.StateDir) {
					if rec.Op == opCreated {
						made = rec.ScriptName
						break
					}
				}
				d := sim.Dump()
				for i, c := range d.Connectors {
					if c.ScriptName == made {
						d.Connectors[i].CorrelationConfigXml = "<CorrelationConfig name=\"edited by an administrator\"/>"
					}
				}
				if err := sim.Restore(d); err != nil {
					t.Fatal(err)
				}
				_, err := apply(context.Background())
				var de *DriftError
				if !errors.As(err, &de) || len(de.Changes) != 1 || !strings.Contains(de.Changes[0], made) {
					t.Fatalf("an administrator edited %s after the interrupt: got %v, want drift naming only it", made, err)
				}
				return
			}
			res, err := apply(context.Background())
			if err != nil {
				t.Fatalf("the same command again after Ctrl-C: %v", err)
			}
			if n := res.Failed(); n > 0 || !res.Resumed {
				t.Fatalf("rerun: resumed %t, %d failed: %+v", res.Resumed, n, failures(res))
			}
			checkNoDuplicates(t, sim.Dump())
			again, err := MakePlan(context.Background(), f.client(t), src, opts)
			if err != nil {
				t.Fatal(err)
			}
			if again.HasChanges() {
				t.Errorf("after the rerun the target does not match the bundle: %d creates, %d updates", again.Count(ActionCreate), again.Count(ActionUpdate))
			}
		})
	}
}

// readJournal returns the records of the only run journal in stateDir.
func readJournal(t testing.TB, stateDir string) []record {
	t.Helper()
	runs, err := readRuns(stateDir)
	if err != nil || len(runs) != 1 {
		t.Fatalf("journals in %s: %d (%v), want 1", stateDir, len(runs), err)
	}
	var recs []record
	if err := runs[0].scan(func(r record) { recs = append(recs, r) }); err != nil {
		t.Fatal(err)
	}
	return recs
}
