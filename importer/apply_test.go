package importer

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

type countingProgress struct {
	total int
	done  atomic.Int32
}

func (p *countingProgress) SetTotal(n int)     { p.total = n }
func (p *countingProgress) Done(string, error) { p.done.Add(1) }

// addReferences makes sandbox content refer to other connectors by scriptName,
// as sources and multi-connector setups do: one connector's application XML and
// metadata name a connector the import creates and one it updates.
func addReferences(t testing.TB, f tenantFixture) (referrer, created, updated string) {
	t.Helper()
	d := f.sim.Dump()
	idx := map[string]int{}
	for i, c := range d.Connectors {
		idx[c.Name] = i
	}
	ref := &d.Connectors[idx["Reykjavík Heilsugæsla"]]
	created = d.Connectors[idx["Bogotá Nómina"]].ScriptName
	updated = d.Connectors[idx["São Paulo Payroll"]].ScriptName
	ref.ApplicationXml = strings.Replace(ref.ApplicationXml, "<Application ", `<Application connectorScriptName="`+created+`" `, 1)
	if !strings.Contains(ref.ApplicationXml, created) {
		t.Fatal("fixture: no <Application element to add a reference to")
	}
	ref.ConnectorMetadata["relatedScriptName"] = updated
	if err := f.sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	return ref.Name, created, updated
}

func TestImportSandboxToProduction(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
	referrer, createdRef, updatedRef := addReferences(t, sandbox)
	src := exportSource(t, sandbox)
	before := prod.sim.Dump()
	opts := testOptions(t)
	opts.Mapping = unlistedSameName(src, before)
	if len(opts.Mapping) != 1 {
		t.Fatalf("fixture: want one unlisted same-name connector in production, got %v", opts.Mapping)
	}
	c := prod.client(t)

	p, err := MakePlan(ctx, c, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if w := prod.sim.Stats().Writes; w != 0 {
		t.Fatalf("plan wrote %d times", w)
	}
	for _, it := range p.Items {
		want := ActionKeep
		if it.SourceScriptName != "" {
			want = ActionCreate
			if _, ok := byName(before, it.Name); ok {
				want = ActionUpdate
			}
		}
		if it.Action != want {
			t.Errorf("plan: %q is %s, want %s", it.Name, it.Action, want)
		}
		if it.Action == ActionUpdate && len(it.Parts) == 0 {
			t.Errorf("plan: update of %q names no parts", it.Name)
		}
	}
	var table bytes.Buffer
	p.WriteTable(&table)
	for _, want := range []string{"+ create", "~ update", "  keep", "matched by mapping",
		"Plan: 4 to create, 4 to update, 0 to delete, 0 unchanged, 0 conflicts. 4 only in the target, kept.",
		"adds locale", "status is DEVELOPMENT in the bundle, RELEASED in the target"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("plan table lacks %q:\n%s", want, table.String())
		}
	}

	prog := &countingProgress{}
	applyOpts := opts
	applyOpts.Progress = prog
	res, err := Apply(ctx, c, src, p, applyOpts)
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Failed(); n > 0 {
		t.Fatalf("%d items failed: %+v", n, failures(res))
	}
	if work := p.Count(ActionCreate) + p.Count(ActionUpdate); prog.total != work || int(prog.done.Load()) != work {
		t.Errorf("progress: SetTotal(%d), %d Done; want %d", prog.total, prog.done.Load(), work)
	}
	after := prod.sim.Dump()
	checkMigrated(t, src, after, res.MappingPath)
	var report bytes.Buffer
	res.WriteTable(&report)
	for _, want := range []string{"+ create  ok       Bogotá Nómina [", "~ update  ok       São Paulo Payroll [", "(source-config, source-template",
		"Result: 8 ok, 0 failed, 0 partial, 4 skipped."} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("result table lacks %q:\n%s", want, report.String())
		}
	}

	// References were remapped to the target's scriptNames, including one to
	// a connector created in the same run.
	mapping, err := LoadMapping(res.MappingPath)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := byName(after, referrer)
	if !strings.Contains(got.ApplicationXml, `connectorScriptName="`+mapping[createdRef]+`"`) || mapping[createdRef] == createdRef {
		t.Errorf("reference to a created connector not remapped (%s → %s)", createdRef, mapping[createdRef])
	}
	if got.ConnectorMetadata["relatedScriptName"] != mapping[updatedRef] {
		t.Errorf("metadata reference = %v, want %s", got.ConnectorMetadata["relatedScriptName"], mapping[updatedRef])
	}
	// Connectors only in production are kept.
	for _, dc := range before.Connectors {
		if _, ok := byName(after, dc.Name); !ok {
			t.Errorf("%q, only in production, was deleted", dc.Name)
		}
	}
	if _, err := os.Stat(res.UndoPath); err != nil {
		t.Errorf("undo bundle: %v", err)
	}

	// A second import writes nothing: reads only, one list and one GET per connector.
	prod.sim.ResetStats()
	opts2 := opts
	if opts2.Mapping, err = LoadMapping(res.MappingPath); err != nil {
		t.Fatal(err)
	}
	res2 := mustImport(t, prod.client(t), src, opts2)
	if w := prod.sim.Stats().Writes; w != 0 || res2.Writes != 0 {
		t.Errorf("second import wrote: sim %d, result %d", w, res2.Writes)
	}
	if want := int64(1 + len(src.Connectors)); res2.Reads != want {
		t.Errorf("second import: %d reads, want %d", res2.Reads, want)
	}
	for _, it := range res2.Items {
		if it.Action != ActionUnchanged && it.Action != ActionKeep {
			t.Errorf("second import: %q is %s", it.Name, it.Action)
		}
	}
}

// A connector that production has under the same name but not RELEASED
// cannot be listed: without a mapping entry the item fails, saying which
// entry to add; nothing is duplicated and the other items are imported.
func TestImportUnlistedSameNameAsksForMapping(t *testing.T) {
	t.Parallel()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
	src := exportSource(t, sandbox)
	want := unlistedSameName(src, prod.sim.Dump())
	opts := testOptions(t)
	res, err := importOnce(t.Context(), t, prod.client(t), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	fs := failures(res)
	if len(fs) != 1 {
		t.Fatalf("want exactly one failure, got %+v", fs)
	}
	for s := range want {
		if fs[0].SourceScriptName != s || !strings.Contains(fs[0].Error, `add "`+s+`": "<its scriptName>" to the mapping file`) {
			t.Errorf("failure %+v does not ask for the mapping entry of %s", fs[0], s)
		}
	}
	checkNoDuplicates(t, prod.sim.Dump())
	// Following the advice converges.
	runs := converge(t, prod, src, opts)
	if len(runs) != 2 {
		t.Errorf("converged after %d runs, want 2", len(runs))
	}
	checkMigrated(t, src, prod.sim.Dump(), runs[len(runs)-1].MappingPath)
}

// Connectors the import created unlisted (DEVELOPMENT/DEMO) are found again by
// the next import through the journal, without a mapping file.
func TestReimportFindsUnlistedThroughJournal(t *testing.T) {
	t.Parallel()
	sandbox := newTenant(t, tenantsim.Options{Seed: 5, Connectors: 12, MaxLocales: 1, TenantName: "sb"})
	prod := newTenant(t, tenantsim.Options{TenantName: "empty"})
	src := exportSource(t, sandbox)
	unlisted := 0
	for _, c := range src.Connectors {
		if c.Status != "RELEASED" {
			unlisted++
		}
	}
	if unlisted == 0 {
		t.Fatal("fixture: no unlisted connector")
	}
	opts := testOptions(t)
	mustImport(t, prod.client(t), src, opts)
	prod.sim.ResetStats()
	p, err := MakePlan(t.Context(), prod.client(t), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	byJournal := 0
	for _, it := range p.Items {
		if it.Action != ActionUnchanged {
			t.Errorf("%q: %s, want unchanged", it.Name, it.Action)
		}
		if it.MatchedBy == MatchedByJournal {
			byJournal++
		}
	}
	if byJournal != unlisted {
		t.Errorf("%d matched by journal, want %d", byJournal, unlisted)
	}
	if p.HasChanges() {
		t.Error("HasChanges of an unchanged re-import")
	}
}

// Restoring a tenant's own bundle into it after connectors were damaged finds
// unlisted connectors by their own scriptName and restores their content.
func TestRestoreIntoSameTenant(t *testing.T) {
	t.Parallel()
	f := newTenant(t, tenantsim.Options{Seed: 5, Connectors: 12, MaxLocales: 1, TenantName: "sb"})
	src := exportSource(t, f)
	before := f.sim.Dump()
	damaged := before
	damaged.Connectors = append([]tenantsim.DumpConnector(nil), before.Connectors...)
	n := 0
	for i, c := range damaged.Connectors {
		if !c.BuiltIn && c.Status != "RELEASED" {
			damaged.Connectors[i].CorrelationConfigXml = `<CorrelationConfig name="broken"/>`
			n++
		}
	}
	if err := f.sim.Restore(damaged); err != nil {
		t.Fatal(err)
	}
	res := mustImport(t, f.client(t), src, testOptions(t))
	updated := 0
	for _, it := range res.Items {
		if it.Action == ActionUpdate {
			updated++
			if strings.Join(it.Parts, ",") != "correlation-config" {
				t.Errorf("%q: wrote %v, want only correlation-config", it.Name, it.Parts)
			}
		}
	}
	if updated != n {
		t.Errorf("%d updated, want %d", updated, n)
	}
	if d := diffDumps(before, f.sim.Dump()); len(d) > 0 {
		t.Errorf("tenant not restored: %v", d)
	}
}

func TestApplyRefuses(t *testing.T) {
	t.Parallel()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
	src := exportSource(t, sandbox)
	opts := testOptions(t)
	opts.Mapping = unlistedSameName(src, prod.sim.Dump())
	c := prod.client(t)
	plan := func(t *testing.T, o Options) *Plan {
		p, err := MakePlan(t.Context(), c, src, o)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	other := newTenant(t, tenantsim.Options{TenantName: "other"})
	withDelete := opts
	withDelete.AllowDelete = true
	tests := []struct {
		name    string
		plan    func(t *testing.T) *Plan
		target  Target
		src     Source
		opts    Options
		wantErr string
	}{
		{"another target", func(t *testing.T) *Plan { return plan(t, opts) }, other.client(t), src, opts, "the plan was made for"},
		{"other input", func(t *testing.T) *Plan { return plan(t, opts) }, c,
			Source{Manifest: src.Manifest, Connectors: src.Connectors[1:]}, opts, "not the one the plan was made from"},
		{"deletions without --allow-delete", func(t *testing.T) *Plan { return plan(t, withDelete) }, c, src, opts, "apply it with --allow-delete"},
		{"conflicts", func(t *testing.T) *Plan {
			p := plan(t, opts)
			p.Items[0].Action, p.Items[0].Reason = ActionConflict, "className differs"
			return p
		}, c, src, opts, "plan has conflicts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prod.sim.ResetStats()
			_, err := Apply(context.Background(), tt.target, tt.src, tt.plan(t), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if w := prod.sim.Stats().Writes; w != 0 {
				t.Errorf("%d writes before refusing", w)
			}
		})
	}
}
