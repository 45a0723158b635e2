package importer

import (
	"strings"
	"testing"
)

// An import rolled back and then imported again leaves a tenant in which
// the second import's creates have the first's scriptNames and content. The
// first run's undo bundle, used again, must not touch them: with the run's
// journal, which records what the rollback undid, every item is already
// undone; without it (another --state-dir), nothing proves the connectors
// are still the first run's, so nothing is deleted or restored without
// Force, and the plan says why. The second run's own rollback still undoes
// it.
func TestRollbackAgainLeavesALaterImportAlone(t *testing.T) {
	t.Parallel()
	so, po := sandboxOpts(), productionOpts()
	so.MaxLocales, po.MaxLocales = 1, 1 // no locale added: the first rollback undoes everything
	sandbox, prod := newTenant(t, so), newTenant(t, po)
	src := exportSource(t, sandbox)
	original := prod.sim.Dump()
	opts := testOptions(t)
	opts.Mapping = unlistedSameName(src, original)
	first := mustImport(t, prod.client(t), src, opts)
	rb, err := Rollback(t.Context(), prod.client(t), first.UndoPath, opts)
	if err != nil || rb.Failed() != 0 {
		t.Fatalf("rollback of the first run: %v, %+v", err, failures(rb))
	}
	second := mustImport(t, prod.client(t), src, opts)
	imported := prod.sim.Dump()
	same := 0
	for _, a := range first.Items {
		for _, b := range second.Items {
			if a.Action == ActionCreate && b.Action == ActionCreate && a.TargetScriptName == b.TargetScriptName && a.TargetScriptName != "" {
				same++
			}
		}
	}
	if same == 0 {
		t.Fatal("fixture: the second import created nothing under the first's scriptNames")
	}

	elsewhere := opts
	elsewhere.StateDir = t.TempDir()
	for _, tc := range []struct {
		name string
		opts Options
	}{{"with the journal", opts}, {"without the journal", elsewhere}} {
		p, err := PlanRollback(t.Context(), prod.client(t), first.UndoPath, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if tc.opts.StateDir == elsewhere.StateDir && (p.Journal != "" || !strings.Contains(p.JournalNote, first.RunID) || !strings.Contains(p.JournalNote, elsewhere.StateDir)) {
			t.Errorf("%s: journal %q, note %q; want a note naming the run and the state directory searched", tc.name, p.Journal, p.JournalNote)
		}
		for _, it := range p.Items {
			if it.Action == ActionDelete && !it.Skipped(false) || len(it.Restored(false)) > 0 && !it.Skipped(false) {
				t.Errorf("%s: plan would %s %q (%v)", tc.name, it.Action, it.Name, it.Restored(false))
			}
		}
		res, err := ApplyRollback(t.Context(), prod.client(t), p, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if d := diffDumps(imported, prod.sim.Dump()); len(d) > 0 {
			t.Fatalf("%s: the first run's rollback, again, changed what the second import made: %v", tc.name, d)
		}
		if tc.opts.StateDir == elsewhere.StateDir && res.Failed() == 0 {
			t.Errorf("%s: a rollback that could not prove anything reports every item done (exit 0)", tc.name)
		}
	}

	rb2, err := Rollback(t.Context(), prod.client(t), second.UndoPath, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkRolledBack(t, original, prod.sim.Dump(), rb2)
}
