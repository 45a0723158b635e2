package importer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"

	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// The process is killed at 20 points of an import (before a write reaches
// the tenant, or after the tenant applied it but before its answer came
// back); a rerun with a fresh plan and the same StateDir converges to what an
// uninterrupted import leaves, with no duplicate and nothing lost, and keeps
// the first run's undo bundle, which still rolls the tenant back.
//
// The connectors to create are DEVELOPMENT ones, which the list does not
// show: when a create's answer is lost, the rerun cannot find it and the item
// asks for a mapping entry, which converge supplies as a user would.
func TestKilledImportConvergesOnRerun(t *testing.T) {
	t.Parallel()
	sandbox := newTenant(t, sandboxOpts())
	addReferences(t, sandbox)
	setStatus(t, sandbox, "DEVELOPMENT", sandboxOnly...)
	src := exportSource(t, sandbox)

	reference := newTenant(t, productionOpts())
	mapping := unlistedSameName(src, reference.sim.Dump())
	refOpts := testOptions(t)
	refOpts.Mapping = mapping
	refRes := mustImport(t, reference.client(t), src, refOpts)
	want := reference.sim.Dump()
	writes := int(refRes.Writes)
	if writes < 20 {
		t.Fatalf("fixture: only %d writes", writes)
	}

	const points = 20
	for i := range points {
		at := 1 + i*(writes-1)/(points-1)
		after := i%2 == 1
		name := fmt.Sprintf("write %d before", at)
		if after {
			name = fmt.Sprintf("write %d applied, answer lost", at)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			prod := newTenant(t, productionOpts())
			original := prod.sim.Dump()
			opts := testOptions(t)
			opts.Mapping = maps.Clone(mapping)

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			ct := &crashTarget{Client: prod.client(t), cancel: cancel, at: at, after: after}
			p, err := MakePlan(ctx, ct, src, opts)
			if err != nil {
				t.Fatal(err)
			}
			first, err := Apply(ctx, ct, src, p, opts)
			if !ct.dead() {
				t.Fatal("the run did not reach its kill point")
			}
			if err == nil && first.Failed() == 0 {
				t.Fatal("a killed run reported success")
			}
			if !errors.Is(err, context.Canceled) && first.Failed() == 0 {
				t.Fatalf("killed run: err %v", err)
			}

			runs := converge(t, prod, src, opts)
			t.Logf("converged in %d run(s) after the kill", len(runs))
			got := prod.sim.Dump()
			checkNoDuplicates(t, got)
			if d := diffDumps(want, got); len(d) > 0 {
				t.Fatalf("rerun did not converge to the uninterrupted result: %v", d)
			}
			for _, r := range runs {
				if !r.Resumed || r.UndoPath != first.UndoPath {
					t.Errorf("rerun: resumed %t, undo %s; want the first run's %s", r.Resumed, r.UndoPath, first.UndoPath)
				}
			}
			rb, err := Rollback(t.Context(), prod.client(t), first.UndoPath, opts)
			if err != nil {
				t.Fatal(err)
			}
			checkRolledBack(t, original, prod.sim.Dump(), rb)
		})
	}
}

// Under injected faults (500s, connection resets, truncated answers, a 429
// burst with Retry-After 1 s, token revocation, and writes whose answer is
// lost, the answer of every first create among them) an import converges to
// the fault-free result.
func TestImportUnderFaultsConverges(t *testing.T) {
	t.Parallel()
	sandbox := newTenant(t, sandboxOpts())
	setStatus(t, sandbox, "DEMO", sandboxOnly[:2]...)
	src := exportSource(t, sandbox)
	reference := newTenant(t, productionOpts())
	mapping := unlistedSameName(src, reference.sim.Dump())
	refOpts := testOptions(t)
	refOpts.Mapping = mapping
	mustImport(t, reference.client(t), src, refOpts)

	faults, err := tenantsim.ParseFaults("500=0.05,reset=0.05,truncate=0.02,burst429=50:1s,revoke=30,lose-write=0.15,seed=7")
	if err != nil {
		t.Fatal(err)
	}
	po := productionOpts()
	po.Faults = faults
	prod := newTenant(t, po)
	opts := testOptions(t)
	opts.Mapping = mapping
	prod.wrap = func(c *tenant.Client) Target {
		return &ambiguousTarget{Client: c, applied: true, posts: map[string]int{}}
	}
	runs := converge(t, prod, src, opts, true)
	t.Logf("converged in %d run(s)", len(runs))
	if len(runs) < 2 {
		t.Error("lost create answers of DEMO connectors were resolved without a mapping entry: the test proves nothing")
	}
	if d := diffDumps(reference.sim.Dump(), prod.sim.Dump()); len(d) > 0 {
		t.Fatalf("faulty import differs from the fault-free one: %v", d)
	}
	st := prod.sim.Stats()
	for _, kind := range []string{"500", "reset", "lose-write", "burst429", "revoke"} {
		if st.Faults[kind] == 0 {
			t.Errorf("no %s fault was injected: the test proves nothing about it", kind)
		}
	}
}
