package importer

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// kill -9 while a create is answered, the same import again, then rollback:
// the rerun must recognise the connector its own create made (RELEASED, not
// listed when the run planned, exactly as sent) instead of updating it as a
// pre-existing one ("matched by name … adds locale en: cannot be undone"),
// and the rollback must delete it. It was restored and left behind ("a
// create of the import whose answer was lost may have made it, but the
// import cannot prove it").
func TestKilledCreateIsRecognisedOnRerun(t *testing.T) {
	src := exportSource(t, newTenant(t, sandboxOpts()))
	for _, at := range []int{1, 3} {
		t.Run("create "+string(rune('0'+at))+" applied, answer lost", func(t *testing.T) {
			prod := newTenant(t, productionOpts())
			setStatus(t, prod, "RELEASED", "Münchner Personalsystem") // no hidden name in the way
			original := prod.sim.Dump()
			opts := testOptions(t)
			opts.Concurrency = 1
			first := killedAtWrite(t, prod, src, opts, at)
			rerun := mustImport(t, prod.client(t), src, opts)
			recognised := 0
			for _, it := range rerun.Items {
				n := strings.Join(it.Notes, " ")
				if strings.Contains(n, noteRecognised) {
					recognised++
					if strings.Contains(n, "cannot be undone") {
						t.Errorf("%q: the rerun says what it adds cannot be undone, but a rollback deletes the connector: %s", it.Name, n)
					}
				}
			}
			if recognised != 1 {
				t.Errorf("the rerun recognised %d connectors as its own lost create, want 1", recognised)
			}
			rb, err := Rollback(t.Context(), prod.client(t), first.UndoPath, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range prod.sim.Dump().Connectors {
				if _, before := byName(original, c.Name); !before {
					t.Errorf("left in the target after the rollback: %q (%s)", c.Name, c.ScriptName)
				}
			}
			for _, it := range rb.Items {
				if n := strings.Join(it.Notes, " "); strings.Contains(n, "cannot prove it") {
					t.Errorf("rollback of %q: %s", it.Name, n)
				}
			}
			checkRolledBack(t, original, prod.sim.Dump(), rb)
		})
	}
}

// The same with a DEVELOPMENT connector, which the list never shows: that
// the plan did not see it proves nothing (a hidden connector of the name
// may have existed before), so it is never counted as the import's. The
// rollback restores it and names it precisely: name, scriptName, status.
func TestKilledHiddenCreateIsNamedByRollback(t *testing.T) {
	sandbox := newTenant(t, sandboxOpts())
	setStatus(t, sandbox, "DEVELOPMENT", sandboxOnly...)
	src := exportSource(t, sandbox)
	prod := newTenant(t, productionOpts())
	setStatus(t, prod, "RELEASED", "Münchner Personalsystem")
	opts := testOptions(t)
	opts.Concurrency = 1
	first := killedAtWrite(t, prod, src, opts, 1)
	converge(t, prod, src, opts)
	rb, err := Rollback(t.Context(), prod.client(t), first.UndoPath, opts)
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, it := range rb.Items {
		n := strings.Join(it.Notes, " ")
		if !strings.Contains(n, "cannot prove it") {
			continue
		}
		named++
		c, ok := byName(prod.sim.Dump(), it.Name)
		if !ok {
			t.Fatalf("rollback deleted %q, which it cannot prove the import created", it.Name)
		}
		if !strings.Contains(n, c.ScriptName) || !strings.Contains(n, "DEVELOPMENT") || !strings.Contains(n, it.Name) {
			t.Errorf("rollback does not name %q precisely (scriptName %s, status DEVELOPMENT): %s", it.Name, c.ScriptName, n)
		}
	}
	if named != 1 {
		t.Errorf("rollback names %d connectors the import may have left, want 1: %+v", named, rb.Items)
	}
}

// kill -9 while a create is answered, then rollback at once: rollback looks
// the name up and says what it found. The connector (RELEASED, absent when
// the import planned, as the create sent it) is the import's, but what it
// holds since cannot be vouched for: it is named and skipped, and --force
// deletes it.
func TestRollbackLooksUpLostCreate(t *testing.T) {
	src := exportSource(t, newTenant(t, sandboxOpts()))
	prod := newTenant(t, productionOpts())
	setStatus(t, prod, "RELEASED", "Münchner Personalsystem")
	original := prod.sim.Dump()
	opts := testOptions(t)
	opts.Concurrency = 1
	first := killedAtWrite(t, prod, src, opts, 1)
	var made []string
	for _, c := range prod.sim.Dump().Connectors {
		if _, before := byName(original, c.Name); !before {
			made = append(made, c.ScriptName)
		}
	}
	if len(made) != 1 {
		t.Fatalf("fixture: %d connectors created before the kill, want 1", len(made))
	}
	rp, err := PlanRollback(t.Context(), prod.client(t), first.UndoPath, opts)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, it := range rp.Items {
		n := strings.Join(append(slices.Clone(it.Notes), it.Changed...), " ")
		if it.ScriptName == made[0] {
			found++
			if it.Action != ActionDelete || !it.Skipped(false) || !strings.Contains(n, "answer was lost") || !strings.Contains(n, "check the connector") {
				t.Errorf("the connector of the lost answer: %s, skipped %t: %s", it.Action, it.Skipped(false), n)
			}
		} else if strings.Contains(n, "answer to its create was lost") {
			t.Errorf("%q, whose create was never sent, is reported as a lost answer: %s", it.Name, n)
		}
	}
	if found != 1 {
		t.Fatalf("the rollback plan does not name %s: %+v", made[0], rp.Items)
	}
	force := opts
	force.Force = true
	if _, err := Rollback(t.Context(), prod.client(t), first.UndoPath, force); err != nil {
		t.Fatal(err)
	}
	if d := diffDumps(original, prod.sim.Dump()); len(d) > 0 {
		t.Errorf("after rollback --force the target differs from before: %v", d)
	}
}

// killedAtWrite plans and applies src into prod through a target that dies
// once its at-th write is applied, the answer lost, as a kill -9 would
// leave it (with opts.Concurrency 1 the first writes are the creates), and
// returns the killed run's result.
func killedAtWrite(t *testing.T, prod tenantFixture, src Source, opts Options, at int) Result {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ct := &crashTarget{Client: prod.client(t), cancel: cancel, at: at, after: true}
	p, err := MakePlan(ctx, ct, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	first, err := Apply(ctx, ct, src, p, opts)
	if !ct.dead() || first.UndoPath == "" {
		t.Fatalf("fixture: the run was not killed at its write %d: %v", at, err)
	}
	return first
}

// kill -9 while a create of `import plan.json` is answered, then the same
// command again: the saved plan still says create, and the connector the
// lost answer made is now in the target. The rerun must find it by name and
// adopt it as the run's own create (RELEASED, absent when planned, exactly
// as sent: what recognises it after a fresh plan too), never create it
// again, and a rollback deletes it. The drift check refused it ("created
// since, the plan would create it") although the journal knew the create was
// in flight. A connector of that name that is not as the create sent it
// (here of another type) may be someone else's: still refused, saying what
// happened and what to run.
func TestSavedPlanResumesAfterKilledCreate(t *testing.T) {
	src := exportSource(t, newTenant(t, sandboxOpts()))
	for _, edited := range []bool{false, true} {
		name := "adopted"
		if edited {
			name = "not as sent: refused, saying why"
		}
		t.Run(name, func(t *testing.T) {
			prod := newTenant(t, productionOpts())
			setStatus(t, prod, "RELEASED", "Münchner Personalsystem")
			original := prod.sim.Dump()
			opts := testOptions(t)
			opts.Concurrency = 1
			p, err := MakePlan(t.Context(), prod.client(t), src, opts)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "plan.json")
			if err := SavePlan(path, p); err != nil {
				t.Fatal(err)
			}
			load := func() *Plan {
				saved, err := LoadPlan(path)
				if err != nil {
					t.Fatal(err)
				}
				return saved
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			ct := &crashTarget{Client: prod.client(t), cancel: cancel, at: 1, after: true}
			first, err := Apply(ctx, ct, src, load(), opts)
			if !ct.dead() || first.UndoPath == "" {
				t.Fatalf("fixture: the run was not killed at its first create: %v", err)
			}
			var made tenantsim.DumpConnector
			for _, c := range prod.sim.Dump().Connectors {
				if _, before := byName(original, c.Name); !before {
					made = c
				}
			}
			if made.ScriptName == "" {
				t.Fatal("fixture: the killed create made nothing")
			}
			if edited {
				d := prod.sim.Dump()
				for i, c := range d.Connectors {
					if c.ScriptName == made.ScriptName {
						d.Connectors[i].Type = "custom someone else's"
					}
				}
				if err := prod.sim.Restore(d); err != nil {
					t.Fatal(err)
				}
				_, err := Apply(t.Context(), prod.client(t), src, load(), opts)
				var de *DriftError
				if !errors.As(err, &de) || len(de.Changes) != 1 || !strings.Contains(de.Changes[0], made.ScriptName) ||
					!strings.Contains(de.Changes[0], "answer was lost") || !strings.Contains(de.Changes[0], "type") ||
					!strings.Contains(de.Changes[0], "connvault plan") {
					t.Fatalf("rerun of the saved plan with %s not as sent: %v; want drift saying the create's answer was lost, what differs and what to run", made.ScriptName, err)
				}
				return
			}
			res, err := Apply(t.Context(), prod.client(t), src, load(), opts)
			if err != nil {
				t.Fatalf("the same import plan.json again after the kill: %v", err)
			}
			if n := res.Failed(); n > 0 || !res.Resumed {
				t.Fatalf("rerun: resumed %t, %d failed: %+v", res.Resumed, n, failures(res))
			}
			checkNoDuplicates(t, prod.sim.Dump())
			for _, it := range res.Items {
				if it.TargetScriptName == made.ScriptName && !strings.Contains(strings.Join(it.Notes, " "), noteRecognised) {
					t.Errorf("%q (%s): notes %q, want it recognised as the run's own create", it.Name, it.TargetScriptName, it.Notes)
				}
			}
			again, err := MakePlan(t.Context(), prod.client(t), src, opts)
			if err != nil {
				t.Fatal(err)
			}
			if again.HasChanges() {
				t.Errorf("after the rerun the target does not match the bundle: %d creates, %d updates", again.Count(ActionCreate), again.Count(ActionUpdate))
			}
			rb, err := Rollback(t.Context(), prod.client(t), first.UndoPath, opts)
			if err != nil {
				t.Fatal(err)
			}
			checkRolledBack(t, original, prod.sim.Dump(), rb)
			if _, left := byName(prod.sim.Dump(), made.Name); left {
				t.Errorf("rollback left %q (%s), the import's own create", made.Name, made.ScriptName)
			}
		})
	}
}
