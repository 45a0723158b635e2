package importer

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// checkResultAgrees asserts that a rollback's result says what its plan
// said: a skipped item is reported skipped (not "delete partial"), and the
// items the plan says will not be fully undone are exactly the result's
// failed, partial or skipped ones (the dry run's exit code is the
// rollback's), but for a recreated connector that came back otherwise (a new
// scriptName, fields no API writes), which only the rollback can tell.
func checkResultAgrees(t *testing.T, p *RollbackPlan, rb Result, force bool) {
	t.Helper()
	for i, it := range p.Items {
		r := rb.Items[i]
		if it.Skipped(force) != (r.Action == ActionSkip) || (r.Action == ActionSkip) != (r.Status == StatusSkipped) {
			t.Errorf("%q: planned %s (skipped %t), result %s %s", it.Name, it.Action, it.Skipped(force), r.Action, r.Status)
		}
		recreatedOtherwise := it.Action == ActionCreate && r.Status == StatusPartial && slices.ContainsFunc(r.Notes, func(n string) bool {
			return strings.HasPrefix(n, "recreated, but") || strings.Contains(n, "recreated as")
		})
		if it.Incomplete(force) != (r.Status != StatusOK) && !recreatedOtherwise {
			t.Errorf("%q: plan says not fully undone %t, result %s %v", it.Name, it.Incomplete(force), r.Status, r.Notes)
		}
	}
	if p.Incomplete() > rb.Failed() {
		t.Errorf("plan: %d not fully undone, result: %d", p.Incomplete(), rb.Failed())
	}
}

// Newcomer N21: a rollback of an --allow-delete import recreates the
// deleted connector. When the tenant gives it its old scriptName back and
// it has everything it had, it is rolled back: ok, not partial (exit 0). One
// that differs where no API writes (fileUpload here) is partial, and its
// note names what differs.
func TestRollbackOfRecreatedConnector(t *testing.T) {
	t.Parallel()
	prod := newTenant(t, productionOpts())
	d := prod.sim.Dump()
	var plain, odd string
	for i, c := range d.Connectors {
		if c.BuiltIn || c.Status != "RELEASED" {
			continue
		}
		switch {
		case plain == "":
			plain = c.Name
			d.Connectors[i].FileUpload, d.Connectors[i].SourceConfigFrom, d.Connectors[i].UploadedFiles = false, "", nil
		case odd == "":
			odd = c.Name
			d.Connectors[i].FileUpload, d.Connectors[i].SourceConfigFrom = true, ""
		}
	}
	if err := prod.sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	original := prod.sim.Dump()
	cs := slices.DeleteFunc(bundleFromDump(t, original), func(c bundle.Connector) bool { return c.Name == plain || c.Name == odd })
	src := writeSource(t, prod.url, cs, nil)
	opts := testOptions(t)
	opts.AllowDelete = true
	res := mustImport(t, prod.client(t), src, opts)
	deleted := 0
	for _, it := range res.Items {
		if it.Action == ActionDelete {
			deleted++
		}
	}
	if deleted != 2 {
		t.Fatalf("fixture: the import deleted %d connectors, want %q and %q", deleted, plain, odd)
	}

	p, err := PlanRollback(t.Context(), prod.client(t), res.UndoPath, opts)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := ApplyRollback(t.Context(), prod.client(t), p, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range rb.Items {
		notes := strings.Join(it.Notes, "; ")
		switch it.Name {
		case plain:
			if it.Action != ActionCreate || it.Status != StatusOK {
				t.Errorf("%q, recreated as it was: %s %s (%s); want create ok", it.Name, it.Action, it.Status, notes)
			}
		case odd:
			if it.Action != ActionCreate || it.Status != StatusPartial || !strings.Contains(notes, "fileUpload is true before the import, false now") ||
				!strings.Contains(notes, "uploaded files cannot come back") {
				t.Errorf("%q, recreated without its fileUpload and jar: %s %s (%s); want create partial naming both", it.Name, it.Action, it.Status, notes)
			}
		}
	}
	checkResultAgrees(t, p, rb, false)
	if c, _ := byName(prod.sim.Dump(), plain); c.ScriptName == "" {
		t.Fatalf("%q not recreated", plain)
	}
	after := cloneDump(prod.sim.Dump())
	for i, c := range after.Connectors {
		if c.Name == odd {
			// The differences reported.
			after.Connectors[i].FileUpload, after.Connectors[i].UploadedFiles = true, before(original, odd).UploadedFiles
		}
		if c.Name == plain || c.Name == odd {
			// The list's features, which no detail shows (nor an export,
			// nor the undo bundle): the simulator keeps them apart from
			// the applicationXml that names them.
			after.Connectors[i].Features = slices.Clone(before(original, c.Name).Features)
		}
	}
	if diff := diffDumps(original, after); len(diff) > 0 {
		t.Errorf("after the rollback: %v", diff)
	}
}

func before(d tenantsim.Dump, name string) tenantsim.DumpConnector {
	c, _ := byName(d, name)
	return c
}

// Newcomer N9: an import wrote only a connector's metadata, and created
// another; an administrator changed both since. The rollback plan skips
// both (it was "~ restore", counted among the restores, with nothing to
// restore), the result says "skip skipped" (it said "- delete partial"),
// and plan and result count the same: exit 3 for the dry run as for the
// rollback.
func TestRollbackPlanAndResultAgree(t *testing.T) {
	t.Parallel()
	prod := newTenant(t, productionOpts())
	cs := bundleFromDump(t, prod.sim.Dump())
	var metaOnly string
	for i, c := range cs {
		if c.Status == "RELEASED" && metaOnly == "" {
			metaOnly = c.Name
			var obj map[string]any
			if err := json.Unmarshal(c.Detail, &obj); err != nil {
				t.Fatal(err)
			}
			obj["connectorMetadata"] = map[string]any{"shortDesc": "set by the import"}
			b, _ := json.Marshal(obj)
			cs[i].Detail = b
		}
	}
	sandbox := newTenant(t, sandboxOpts())
	created := sandboxOnly[0]
	for _, c := range bundleFromDump(t, sandbox.sim.Dump()) {
		if c.Name == created {
			cs = append(cs, c)
		}
	}
	src := writeSource(t, prod.url, cs, nil)
	opts := testOptions(t)
	res := mustImport(t, prod.client(t), src, opts)
	targets := map[string]string{}
	for _, it := range res.Items {
		targets[it.Name] = it.TargetScriptName
		if it.Action == ActionUpdate && it.Name != metaOnly || it.Name == metaOnly && strings.Join(it.Parts, ",") != "metadata" {
			t.Fatalf("fixture: %s %q (%v)", it.Action, it.Name, it.Parts)
		}
	}
	admin := prod.client(t)
	for _, n := range []string{metaOnly, created} {
		if _, err := admin.PatchConnector(t.Context(), targets[n], []tenant.PatchOp{{Op: "replace", Path: "/connectorMetadata", Value: map[string]any{"shortDesc": "an administrator's"}}}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := PlanRollback(t.Context(), prod.client(t), res.UndoPath, opts)
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	p.WriteTable(&table)
	if !strings.Contains(table.String(), "Rollback: 0 to delete, 0 to restore, 0 to recreate, 2 skipped") || p.Incomplete() != 2 {
		t.Errorf("plan (%d not fully undone):\n%s", p.Incomplete(), table.String())
	}
	rb, err := ApplyRollback(t.Context(), prod.client(t), p, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkResultAgrees(t, p, rb, false)
	var out strings.Builder
	rb.WriteTable(&out)
	if !strings.Contains(out.String(), "0 partial, 2 skipped") || strings.Contains(out.String(), "delete  partial") {
		t.Errorf("result:\n%s", out.String())
	}
}
