package importer

import (
	"reflect"
	"testing"
)

// An import from a streaming Source (heads in Connectors, content read
// with Load, as plan, import and migrate give it) plans exactly what one
// from connectors in memory plans, writes the same, reads back, and leaves
// an undo bundle (pre-images read back from the detail spool) that rolls
// the target back to what it was.
func TestStreamingSourceImportsLikeLoaded(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
	addReferences(t, sandbox)
	full := exportSource(t, sandbox)
	inMemory := full
	inMemory.Load = nil
	heads := streamingSource(full)
	for _, h := range heads.Connectors {
		if h.Detail != nil || h.SourceConfig != nil || h.SourceTemplate != nil || h.CorrelationConfig != nil {
			t.Fatalf("fixture: head %q holds content", h.Name)
		}
	}
	before := prod.sim.Dump()
	opts := testOptions(t)
	opts.Mapping = unlistedSameName(full, before)
	c := prod.client(t)

	want, err := MakePlan(ctx, c, inMemory, opts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := MakePlan(ctx, c, heads, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bundle.InputDigest != want.Bundle.InputDigest {
		t.Errorf("input digest %s streaming, %s in memory: a saved plan would be refused", got.Bundle.InputDigest, want.Bundle.InputDigest)
	}
	if !reflect.DeepEqual(got.Items, want.Items) || !reflect.DeepEqual(got.Warnings, want.Warnings) ||
		!reflect.DeepEqual(got.PreImages, want.PreImages) || !reflect.DeepEqual(got.PreImageParts, want.PreImageParts) {
		t.Fatalf("streaming plan differs:\n got %+v\nwant %+v", got.Items, want.Items)
	}
	if got.Count(ActionCreate) == 0 || got.Count(ActionUpdate) == 0 {
		t.Fatalf("fixture: want creates and updates, got %+v", got.Items)
	}

	res, err := Apply(ctx, c, heads, got, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Failed(); n > 0 {
		t.Fatalf("%d items failed: %+v", n, failures(res))
	}
	checkMigrated(t, full, prod.sim.Dump(), res.MappingPath)

	again := opts
	if again.Mapping, err = LoadMapping(res.MappingPath); err != nil {
		t.Fatal(err)
	}
	prod.sim.ResetStats()
	if res2 := mustImport(t, prod.client(t), heads, again); res2.Writes != 0 || prod.sim.Stats().Writes != 0 {
		t.Errorf("re-import of the streaming source wrote %d times", res2.Writes)
	}

	rb, err := Rollback(ctx, c, res.UndoPath, opts)
	if err != nil {
		t.Fatalf("rollback: %v", err)
	}
	checkRolledBack(t, before, prod.sim.Dump(), rb)
}
