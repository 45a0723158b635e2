package importer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two imports with one state directory: the second is refused before it
// reads or writes anything, naming who holds the directory; once the first
// has ended, the same command goes through.
func TestTwoImportsAtOnce(t *testing.T) {
	src := exportSource(t, newTenant(t, sandboxOpts()))
	prod := newTenant(t, productionOpts())
	opts := testOptions(t)
	p, err := MakePlan(t.Context(), prod.target(t), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := lockStateDir(opts.StateDir, "an import into "+prod.url, fixedNow())
	if err != nil {
		t.Fatal(err)
	}
	before := prod.sim.Dump()
	_, err = Apply(t.Context(), prod.target(t), src, p, opts)
	if !errors.Is(err, ErrStateDirBusy) || !strings.Contains(err.Error(), "pid ") || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("second import: %v, want ErrStateDirBusy naming the holder", err)
	}
	if d := diffDumps(before, prod.sim.Dump()); len(d) > 0 {
		t.Fatalf("the refused import changed the tenant: %v", d)
	}
	if des, _ := os.ReadDir(opts.StateDir); len(des) != 1 {
		t.Errorf("the refused import wrote into the state directory: %d entries", len(des))
	}
	unlock()
	res, err := Apply(t.Context(), prod.target(t), src, p, opts)
	if err != nil || res.Failed() == len(res.Items) {
		t.Fatalf("after the first ended: %v, %d of %d failed", err, res.Failed(), len(res.Items))
	}
	if _, err := os.Stat(filepath.Join(opts.StateDir, stateLockName)); err != nil {
		t.Errorf("lock file: %v", err)
	}
}

// A rollback is refused while another run holds the state directory, and
// runs under a lock its caller took (Options.Lock) instead of refusing it.
func TestRollbackUnderTheLock(t *testing.T) {
	src := exportSource(t, newTenant(t, sandboxOpts()))
	prod := newTenant(t, productionOpts())
	opts := testOptions(t)
	res, err := importOnce(t.Context(), t, prod.target(t), src, opts)
	if err != nil || res.UndoPath == "" {
		t.Fatalf("import: %v (undo %q)", err, res.UndoPath)
	}
	p, err := PlanRollback(t.Context(), prod.target(t), res.UndoPath, opts)
	if err != nil {
		t.Fatal(err)
	}
	l, err := LockStateDir(opts.StateDir, "another run", fixedNow())
	if err != nil {
		t.Fatal(err)
	}
	before := prod.sim.Dump()
	if _, err := ApplyRollback(t.Context(), prod.target(t), p, opts); !errors.Is(err, ErrStateDirBusy) || !strings.Contains(err.Error(), "another run") {
		t.Fatalf("rollback while another run holds the state directory: %v, want ErrStateDirBusy naming it", err)
	}
	if d := diffDumps(before, prod.sim.Dump()); len(d) > 0 {
		t.Fatalf("the refused rollback changed the tenant: %v", d)
	}
	held := opts
	held.Lock = l
	rr, err := ApplyRollback(t.Context(), prod.target(t), p, held)
	if err != nil || rr.Writes == 0 {
		t.Fatalf("rollback under its caller's lock: %v, %d writes", err, rr.Writes)
	}
	l.Unlock()
}
