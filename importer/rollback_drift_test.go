package importer

import (
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant"
)

// A connector the import created and an administrator changed since is kept
// by a rollback and named in its plan; with Force it is deleted. A part the
// import wrote and the administrator overwrote is kept likewise, and
// restored with Force.
func TestRollbackForce(t *testing.T) {
	t.Parallel()
	for _, force := range []bool{false, true} {
		sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
		src := exportSource(t, sandbox)
		opts := testOptions(t)
		opts.Mapping = unlistedSameName(src, prod.sim.Dump())
		res := mustImport(t, prod.client(t), src, opts)
		var created, updated ItemResult
		for _, it := range res.Items {
			switch {
			case it.Action == ActionCreate && created.Name == "":
				created = it
			case it.Action == ActionUpdate && updated.Name == "" && strings.Contains(strings.Join(it.Parts, " "), "source-config"):
				updated = it
			}
		}
		if created.Name == "" || updated.Name == "" {
			t.Fatalf("fixture: no create or no source-config update: %+v", res.Items)
		}
		admin := prod.client(t)
		if _, err := admin.PutPart(t.Context(), created.TargetScriptName, tenant.Part{Kind: tenant.Translations, Locale: "fi"}, []byte("k=v\n")); err != nil {
			t.Fatal(err)
		}
		edited := "<Form name=\"edited by an administrator\"/>"
		if _, err := admin.PutPart(t.Context(), updated.TargetScriptName, tenant.Part{Kind: tenant.SourceConfig}, []byte(edited)); err != nil {
			t.Fatal(err)
		}
		o := opts
		o.Force = force
		p, err := PlanRollback(t.Context(), prod.client(t), res.UndoPath, o)
		if err != nil {
			t.Fatal(err)
		}
		named := map[string]bool{}
		for _, it := range p.Items {
			if len(it.Changed) > 0 {
				named[it.Name] = true
			}
		}
		if !named[created.Name] || !named[updated.Name] {
			t.Errorf("force %t: the plan does not name %q and %q as changed since the import: %+v", force, created.Name, updated.Name, p.Items)
		}
		rb, err := ApplyRollback(t.Context(), prod.client(t), p, o)
		if err != nil {
			t.Fatal(err)
		}
		_, kept := byName(prod.sim.Dump(), created.Name)
		if kept == force {
			t.Errorf("force %t: created-then-changed %q kept %t", force, created.Name, kept)
		}
		u, _ := byName(prod.sim.Dump(), updated.Name)
		if (u.SourceConfigXml == edited) == force {
			t.Errorf("force %t: source-config of %q overwritten since the import restored %t", force, updated.Name, u.SourceConfigXml != edited)
		}
		if !force && rb.Failed() == 0 {
			t.Error("a rollback that skipped changed items reports no partial item (exit 3)")
		}
	}
}
