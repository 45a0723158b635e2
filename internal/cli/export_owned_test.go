package cli

import (
	"path/filepath"
	"strings"
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
	owned, gaps := 0, 0
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
		if !m.Complete && m.FailedConnectors() == 0 {
			gaps++
			// verify names a list gap as such, not as a failed connector.
			v := runCLI(t, nil, "verify", out)
			if v.code != exitPartial || !strings.Contains(v.stdout, "its connector list had a gap (") || strings.Contains(v.stdout, "failed at export") {
				t.Errorf("export %d: verify of a bundle whose list had a gap: exit %d\n%s%s", run, v.code, v.stdout, v.stderr)
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
	t.Logf("%d of 3 exports had a list gap", gaps)
}

// TestExportLeftOutReasonsWithFilter: with a --filter the tenant applies to
// what it lists, a connector sources use that the list did not show is left
// out for its exact reason: SailPoint-owned (the rule), filtered (RELEASED,
// so the filter does not match it) or hidden (and not named); and hidden
// connectors found through sources are not called named.
func TestExportLeftOutReasonsWithFilter(t *testing.T) {
	sim, vars := startSim(t, tenantsim.Options{Seed: 31, Connectors: 30})
	status := map[string]tenantsim.DumpConnector{}
	for _, c := range sim.Dump().Connectors {
		status[c.ScriptName] = c
	}
	out := filepath.Join(t.TempDir(), "z.tar.gz")
	r := runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--filter", `name sw "Z"`, "--out", out)
	if r.code != exitOK && r.code != exitPartial {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	m, err := bundle.Verify(t.Context(), out, bundle.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[bundle.LeftOutReason]int{}
	for _, lo := range m.Coverage.LeftOut {
		c, ok := status[lo.ScriptName]
		if !ok {
			continue
		}
		seen[lo.Reason]++
		want := bundle.LeftOutHidden
		switch {
		case c.BuiltIn:
			want = bundle.LeftOutSailPointOwned
		case c.Status == "RELEASED":
			want = bundle.LeftOutFiltered
		}
		if lo.Reason != want {
			t.Errorf("%q (%s, built-in %v) left out as %s (%s), want %s", c.Name, c.Status, c.BuiltIn, lo.Reason, lo.Rule, want)
		}
	}
	if seen[bundle.LeftOutSailPointOwned] == 0 || seen[bundle.LeftOutFiltered] == 0 {
		t.Errorf("left out %v: want built-ins and RELEASED connectors among them", seen)
	}

	// Without a filter, hidden connectors come in through sources: they
	// are not "named" (nothing was passed to --script-name).
	r = runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--out", filepath.Join(t.TempDir(), "all.tar.gz"))
	if r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "0 hidden connectors named;") || strings.Contains(r.stdout, "; 0 found through sources") {
		t.Errorf("coverage line does not tell named from found through sources:\n%s", r.stdout)
	}
}
