package cli

import (
	"path/filepath"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// TestExportLeavesOutSailPointOwnedFoundThroughSources: on a tenant whose
// list loses connectors (page-cap=7, list-order=unstable), SailPoint's
// built-ins that sources use are found through the sources, or carried
// forward by a second export to the same path; the SailPoint-owned rule
// applies to them as to listed ones, so no export of the unchanged tenant
// holds one, lists it as hidden or under usedBySources.
func TestExportLeavesOutSailPointOwnedFoundThroughSources(t *testing.T) {
	v, err := tenantsim.ParseVariants("page-cap=7,list-order=unstable")
	if err != nil {
		t.Fatal(err)
	}
	sim, vars := startSim(t, tenantsim.Options{Seed: 31, Connectors: 30, Variants: v})
	builtIn := map[string]string{}
	for _, c := range sim.Dump().Connectors {
		if c.BuiltIn {
			builtIn[c.ScriptName] = c.Name
		}
	}
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	owned := 0
	for run := range 3 {
		r := runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--out", out)
		if r.code != exitOK && r.code != exitPartial {
			t.Fatalf("export %d: exit %d: %s", run, r.code, r.stderr)
		}
		m, err := bundle.Verify(t.Context(), out, bundle.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range m.Connectors {
			if n, ok := builtIn[c.ScriptName]; ok {
				t.Errorf("export %d: SailPoint's %q is in the bundle", run, n)
			}
		}
		for _, sn := range m.Coverage.Hidden {
			if n, ok := builtIn[sn]; ok {
				t.Errorf("export %d: SailPoint's %q is recorded as hidden", run, n)
			}
		}
		for _, u := range m.Coverage.UsedBySources {
			if n, ok := builtIn[u.ScriptName]; ok {
				t.Errorf("export %d: SailPoint's %q is under usedBySources", run, n)
			}
		}
		for _, lo := range m.Coverage.LeftOut {
			if lo.Reason == bundle.LeftOutSailPointOwned {
				owned++
			}
		}
	}
	if owned == 0 {
		t.Error("no built-in was left out as SailPoint-owned: the test saw none")
	}
}
