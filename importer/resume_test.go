package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
)

// createOf returns the undo bundle's create entry for a name.
func createOf(u *undoSet, name string) (undoCreate, bool) {
	i := u.createIndex(name)
	if i < 0 {
		return undoCreate{}, false
	}
	return u.info.Creates[i], true
}

func mustReadUndo(t testing.TB, path string) *undoSet {
	t.Helper()
	u, err := readUndo(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Production has, unlisted, a connector of a bundle connector's name: the
// first import fails that item (the tenant refuses the name) and asks for a
// mapping entry, which a rerun with the entry continues. The connector existed
// before the import: the rerun updates it, saving its pre-image in the undo
// bundle, and the rollback restores it; it never counts as created, so the
// rollback does not delete it. The refused item is not one a plain rerun
// fixes.
func TestRerunWithMappingRestoresPreExistingUnlisted(t *testing.T) {
	t.Parallel()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
	src := exportSource(t, sandbox)
	original := prod.sim.Dump()
	mapping := unlistedSameName(src, original)
	if len(mapping) != 1 {
		t.Fatalf("fixture: want one unlisted same-name connector, got %v", mapping)
	}
	var name, target string
	for s, tg := range mapping {
		target = tg
		for _, c := range src.Connectors {
			if c.ScriptName == s {
				name = c.Name
			}
		}
	}

	opts := testOptions(t)
	first, err := importOnce(t.Context(), t, prod.client(t), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	fs := failures(first)
	if len(fs) != 1 || fs[0].Name != name {
		t.Fatalf("first run: want %q to fail, got %+v", name, fs)
	}
	if fs[0].Retryable || first.Retryable() {
		t.Errorf("a refused create (name taken) is reported retryable: %+v", fs[0])
	}
	if uc, ok := createOf(mustReadUndo(t, first.UndoPath), name); ok {
		t.Errorf("first run's undo bundle lists %q, which the tenant refused to create, as a create: %+v", name, uc)
	}

	opts.Mapping = mapping
	second := mustImport(t, prod.client(t), src, opts)
	if !second.Resumed || second.UndoPath != first.UndoPath {
		t.Errorf("rerun: resumed %t, undo %s; want the first run's %s continued", second.Resumed, second.UndoPath, first.UndoPath)
	}
	u := mustReadUndo(t, second.UndoPath)
	if uc, ok := createOf(u, name); ok {
		t.Errorf("undo bundle lists the pre-existing %q as created by the import: %+v", name, uc)
	}
	if _, ok := u.pre[target]; !ok {
		t.Errorf("undo bundle lacks the pre-image of %q (%s), which the rerun updated", name, target)
	}

	rb, err := Rollback(t.Context(), prod.client(t), second.UndoPath, opts)
	if err != nil {
		t.Fatal(err)
	}
	after := prod.sim.Dump()
	if _, ok := byName(after, name); !ok {
		t.Fatalf("rollback deleted %q, which the import did not create", name)
	}
	for _, it := range rb.Items {
		if it.Status == StatusFailed || strings.Contains(strings.Join(it.Notes, " "), "by hand") {
			t.Errorf("rollback item: %+v", it)
		}
	}
	checkRolledBack(t, original, after, rb)
}

// The import is killed twice (at a create, then in the middle of the writes)
// and rerun to the end: the undo bundle itself names every connector any
// attempt created, so a rollback with it alone (no journal; with Force, as
// nothing else proves the connectors are still the run's) deletes them all,
// the unlisted ones included.
func TestUndoBundleAloneRollsBackAfterKills(t *testing.T) {
	t.Parallel()
	sandbox := newTenant(t, sandboxOpts())
	setStatus(t, sandbox, "DEVELOPMENT", sandboxOnly...)
	src := exportSource(t, sandbox)
	prod := newTenant(t, productionOpts())
	original := prod.sim.Dump()
	opts := testOptions(t)
	opts.Mapping = unlistedSameName(src, original)
	opts.Concurrency = 1 // creates come first, one at a time: write 1 and 3 are creates

	var undoPath string
	for k, at := range []int{2, 7} {
		ctx, cancel := context.WithCancel(t.Context())
		ct := &crashTarget{Client: prod.client(t), cancel: cancel, at: at}
		res, err := importOnce(ctx, t, ct, src, opts)
		cancel()
		if !ct.dead() {
			t.Fatalf("run %d did not reach its kill point (err %v)", k+1, err)
		}
		if k == 0 {
			undoPath = res.UndoPath
		} else if !res.Resumed || res.UndoPath != undoPath {
			t.Errorf("run %d: resumed %t, undo %s; want %s continued", k+1, res.Resumed, res.UndoPath, undoPath)
		}
	}
	runs := converge(t, prod, src, opts)
	if last := runs[len(runs)-1]; !last.Resumed || last.UndoPath != undoPath {
		t.Errorf("final run: resumed %t, undo %s; want %s continued", last.Resumed, last.UndoPath, undoPath)
	}
	u := mustReadUndo(t, undoPath)
	for _, n := range sandboxOnly {
		if uc, ok := createOf(u, n); !ok || uc.ScriptName == "" {
			t.Errorf("undo bundle: created %q without its scriptName (%+v)", n, uc)
		}
	}

	alone := opts
	alone.StateDir, alone.Force = t.TempDir(), true
	rb, err := Rollback(t.Context(), prod.client(t), undoPath, alone)
	if err != nil {
		t.Fatal(err)
	}
	checkRolledBack(t, original, prod.sim.Dump(), rb)
}

// Killed after its last write reached the tenant, a run is unfinished though
// the tenant matches the bundle. The next import's plan has no changes; Apply
// finishes the run (its end recorded, its undo bundle complete: it alone rolls
// back, with Force), writes the mapping file and reports every item. Once nothing is
// unfinished, an import without changes starts no run: no journal, no undo
// bundle.
func TestNoChangePlanFinishesUnfinishedRun(t *testing.T) {
	t.Parallel()
	sandbox := newTenant(t, sandboxOpts())
	setStatus(t, sandbox, "DEVELOPMENT", sandboxOnly...)
	src := exportSource(t, sandbox)
	reference := newTenant(t, productionOpts())
	opts := testOptions(t)
	opts.Mapping = unlistedSameName(src, reference.sim.Dump())
	opts.Concurrency = 1
	writes := int(mustImport(t, reference.client(t), src, opts).Writes)

	prod := newTenant(t, productionOpts())
	original := prod.sim.Dump()
	opts.StateDir = filepath.Join(t.TempDir(), "state")
	ctx, cancel := context.WithCancel(t.Context())
	ct := &crashTarget{Client: prod.client(t), cancel: cancel, at: writes, after: true}
	first, _ := importOnce(ctx, t, ct, src, opts)
	cancel()
	if !ct.dead() {
		t.Fatal("the run did not reach its kill point")
	}

	p, err := MakePlan(t.Context(), prod.client(t), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() {
		t.Fatalf("fixture: the killed run left changes: %s", p.Summary())
	}
	res, err := Apply(t.Context(), prod.client(t), src, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resumed || res.UndoPath != first.UndoPath || res.RunID != first.RunID {
		t.Errorf("resumed %t, run %s, undo %s; want run %s (undo %s) finished", res.Resumed, res.RunID, res.UndoPath, first.RunID, first.UndoPath)
	}
	checkItems := func(res Result) {
		t.Helper()
		if len(res.Items) != len(p.Items) {
			t.Fatalf("%d items, want one per plan item (%d)", len(res.Items), len(p.Items))
		}
		for i, it := range res.Items {
			want := StatusOK
			if p.Items[i].Action == ActionKeep {
				want = StatusSkipped
			}
			if it.Name != p.Items[i].Name || it.Action != p.Items[i].Action || it.Status != want {
				t.Errorf("item %d: %+v; want %s %q %s", i, it, p.Items[i].Action, p.Items[i].Name, want)
			}
		}
		checkMigrated(t, src, prod.sim.Dump(), res.MappingPath)
	}
	checkItems(res)
	runs, err := readRuns(opts.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || !runs[0].ended {
		t.Errorf("want the one run finished, got %d run(s), ended %t", len(runs), len(runs) > 0 && runs[0].ended)
	}

	// Nothing unfinished now: no run, no undo bundle.
	entries := func() []string {
		es, err := os.ReadDir(opts.StateDir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			if !strings.HasPrefix(e.Name(), "mapping-") {
				out = append(out, e.Name())
			}
		}
		return out
	}
	before := entries()
	again, err := importOnce(t.Context(), t, prod.client(t), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Resumed || again.UndoPath != "" || again.RunID != "" || again.Writes != 0 {
		t.Errorf("no-change import: resumed %t, run %q, undo %q, %d writes; want no run", again.Resumed, again.RunID, again.UndoPath, again.Writes)
	}
	if got := entries(); !slices.Equal(got, before) {
		t.Errorf("no-change import wrote %v to the state directory (had %v)", got, before)
	}
	checkItems(again)

	alone := opts
	alone.StateDir, alone.Force = t.TempDir(), true
	rb, err := Rollback(t.Context(), prod.client(t), first.UndoPath, alone)
	if err != nil {
		t.Fatal(err)
	}
	checkRolledBack(t, original, prod.sim.Dump(), rb)
}

// An incomplete bundle imported with --allow-incomplete and --allow-delete
// deletes nothing: a connector only in the target may be one the export
// failed to capture. A plan that deletes anyway is refused.
func TestIncompleteBundleNeverDeletes(t *testing.T) {
	t.Parallel()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
	cs := bundleFromDump(t, sandbox.sim.Dump())
	src := writeSource(t, sandbox.url, cs[1:], []bundle.ItemError{{ScriptName: cs[0].ScriptName, Name: cs[0].Name, Error: "500 after 8 attempts"}})
	before := prod.sim.Dump()
	opts := testOptions(t)
	opts.AllowIncomplete, opts.AllowDelete = true, true
	opts.Mapping = unlistedSameName(src, before)
	p, err := MakePlan(t.Context(), prod.client(t), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := p.Count(ActionDelete); n != 0 {
		t.Errorf("an incomplete bundle plans %d deletions", n)
	}
	keep := 0
	for _, it := range p.Items {
		if it.Action == ActionKeep {
			keep++
			if !slices.Contains(it.Notes, noteIncomplete) {
				t.Errorf("kept %q without saying why: %v", it.Name, it.Notes)
			}
		}
	}
	if keep == 0 {
		t.Fatal("fixture: nothing only in the target")
	}
	var table strings.Builder
	p.WriteTable(&table)
	if !strings.Contains(table.String(), "not deleted: the bundle is incomplete") || strings.Contains(table.String(), "--allow-delete deletes it") {
		t.Errorf("plan table:\n%s", table.String())
	}

	tampered := *p
	tampered.Items = slices.Clone(p.Items)
	for i, it := range tampered.Items {
		if it.Action == ActionKeep {
			tampered.Items[i].Action = ActionDelete
		}
	}
	if _, err := Apply(t.Context(), prod.client(t), src, &tampered, opts); err == nil || !strings.Contains(err.Error(), "the bundle is incomplete") {
		t.Errorf("a plan deleting with an incomplete bundle: err = %v, want a refusal", err)
	}
	if w := prod.sim.Stats().Writes; w != 0 {
		t.Errorf("%d writes before refusing", w)
	}

	res, err := Apply(t.Context(), prod.client(t), src, p, opts)
	if err != nil || res.Failed() != 0 {
		t.Fatalf("import: err %v, failed %+v", err, failures(res))
	}
	after := prod.sim.Dump()
	for _, c := range before.Connectors {
		if _, ok := byName(after, c.Name); !ok {
			t.Errorf("%q was deleted", c.Name)
		}
	}
}

// failPuts answers every PUT of one connector with the given error, as a
// tenant failing after the client's retries would.
type failPuts struct {
	*tenant.Client
	scriptName string
	err        error

	mu    sync.Mutex
	calls int
}

func (f *failPuts) PutPart(ctx context.Context, s string, p tenant.Part, data []byte) (tenant.UpdateDetail, error) {
	if s == f.scriptName {
		f.mu.Lock()
		f.calls++
		f.mu.Unlock()
		return tenant.UpdateDetail{}, f.err
	}
	return f.Client.PutPart(ctx, s, p, data)
}

// Result.Retryable is true only when a plain rerun may fix every failed item:
// a 503 may pass next time; a 400 (content the tenant refuses) will not.
func TestResultRetryable(t *testing.T) {
	t.Parallel()
	sandbox := newTenant(t, sandboxOpts())
	src := exportSource(t, sandbox)
	for _, tt := range []struct {
		status    int
		retryable bool
	}{{503, true}, {400, false}, {404, true}, {403, false}} {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			t.Parallel()
			prod := newTenant(t, productionOpts())
			paulo, _ := byName(prod.sim.Dump(), "São Paulo Payroll")
			opts := testOptions(t)
			opts.Mapping = unlistedSameName(src, prod.sim.Dump())
			ft := &failPuts{Client: prod.client(t), scriptName: paulo.ScriptName,
				err: fmt.Errorf("put: %w", &tenant.APIError{Status: tt.status, Operation: "putConnectorSourceConfig", Method: "PUT"})}
			res, err := importOnce(t.Context(), t, ft, src, opts)
			if err != nil {
				t.Fatal(err)
			}
			fs := failures(res)
			if len(fs) != 1 || fs[0].Name != paulo.Name || ft.calls == 0 {
				t.Fatalf("want %q to fail, got %+v", paulo.Name, fs)
			}
			if fs[0].Retryable != tt.retryable || res.Retryable() != tt.retryable {
				t.Errorf("HTTP %d: item retryable %t, result %t; want %t", tt.status, fs[0].Retryable, res.Retryable(), tt.retryable)
			}
		})
	}
	for _, tt := range []struct {
		name  string
		items []ItemResult
		want  bool
	}{
		{"nothing failed", []ItemResult{{Status: StatusOK}, {Status: StatusSkipped}}, true},
		{"retryable failures", []ItemResult{{Status: StatusOK}, {Status: StatusFailed, Retryable: true}}, true},
		{"one not retryable", []ItemResult{{Status: StatusFailed, Retryable: true}, {Status: StatusFailed}}, false},
		{"partial (cannot be undone)", []ItemResult{{Status: StatusPartial}}, false},
	} {
		if got := (Result{Items: tt.items}).Retryable(); got != tt.want {
			t.Errorf("%s: Retryable() = %t, want %t", tt.name, got, tt.want)
		}
	}
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("create: %w", tenant.ErrAmbiguous), true},
		{context.Canceled, true},
		{fmt.Errorf("x: %w", ErrUnresolvedCreate), false},
		{&refusedError{&tenant.APIError{Status: 400}}, false},
		{&tenant.UpdateError{Operation: "putConnectorSourceConfig"}, false},
		{permanent(errors.New("read back differs")), false},
	} {
		if got := retryable(tt.err); got != tt.want {
			t.Errorf("retryable(%v) = %t, want %t", tt.err, got, tt.want)
		}
	}
}
