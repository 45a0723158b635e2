package cli

import (
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"

	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// TestUnstableListOrderPlanImportRollbackRestore: against a target whose
// list order changes between calls (list-order=unstable) and whose pages are
// small, so that no single pass of offset paging lists every connector, plan
// creates exactly the bundle connectors the target lacks (never one it has
// but a pass missed); an import killed -9 is continued by the same command
// and then rolled back to the tenant as it was; and a restore from a
// repository runs too.
func TestUnstableListOrderPlanImportRollbackRestore(t *testing.T) {
	dir := t.TempDir()
	src, srcVars := startSim(t, tenantsim.Options{Seed: 71, Connectors: 40, MaxLocales: 2, TenantName: "sandbox"})
	bundlePath := filepath.Join(dir, "sandbox.tar.gz")
	if r := runCLI(t, srcVars, "export", "--rate", "0", "--out", bundlePath); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	inBundle := map[string]bool{}
	cs, _ := loadBundleManifest(t, bundlePath)
	for _, c := range cs {
		inBundle[c.ScriptName] = true
	}
	var exported []tenantsim.DumpConnector
	for _, c := range src.Dump().Connectors {
		if inBundle[c.ScriptName] {
			exported = append(exported, c)
		}
	}

	// Production holds every bundle connector but the first five, listed,
	// under scriptNames of its own.
	target := tenantsim.Options{TenantName: "production", ClientID: "prod", ClientSecret: "prod-secret",
		Variants: tenantsim.Variants{ListOrder: "unstable", PageCap: 5}}
	sim := tenantsim.New(target)
	var d tenantsim.Dump
	var missing []string
	for i, c := range exported {
		if i < 5 {
			missing = append(missing, c.Name)
			continue
		}
		c.ScriptName += "-prod"
		c.Status = "RELEASED"
		c.S3Location = "custom-connector/" + c.ScriptName
		d.Connectors = append(d.Connectors, c)
	}
	if err := sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	before := sim.Dump()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	vars := map[string]string{"SAIL_BASE_URL": srv.URL, "SAIL_CLIENT_ID": target.ClientID, "SAIL_CLIENT_SECRET": target.ClientSecret}

	r := runCLI(t, vars, "plan", "--rate", "0", "--json", bundlePath)
	var p importer.Plan
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &p) != nil {
		t.Fatalf("plan against a tenant of unstable list order: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	var creates []string
	for _, it := range p.Items {
		if it.Action == importer.ActionCreate {
			creates = append(creates, it.Name)
		}
	}
	slices.Sort(creates)
	slices.Sort(missing)
	if !slices.Equal(creates, missing) {
		t.Fatalf("plan creates %q; want exactly the connectors the target lacks, %q", creates, missing)
	}

	// Killed after its third write, continued by the same command.
	vars, state := importKilledAt(t, sim, target, 3, true, "1", bundlePath)
	r = runCLI(t, vars, "import", "--rate", "0", "--yes", "--json", "--state-dir", state, bundlePath)
	if r.code != exitOK {
		t.Fatalf("rerun of a killed import: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, c := range exported {
		if n := countNamed(sim.Dump(), c.Name); n != 1 {
			t.Errorf("%d connectors named %q after the import, want 1", n, c.Name)
		}
	}
	noChanges(t, "plan after the import", vars, state, bundlePath, nil)
	undo := importPaths(t, r).undo
	r = runCLI(t, vars, "rollback", "--rate", "0", "--yes", "--state-dir", state, undo)
	if r.code != exitOK && r.code != exitPartial {
		t.Fatalf("rollback: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkRolledBack(t, before, sim.Dump())

	repo := filepath.Join(dir, "repo")
	if r := runCLI(t, srcVars, "backup", "--repo", repo, "--tenant", "sandbox", "--rate", "0"); r.code != exitOK {
		t.Fatalf("backup: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, vars, "restore", "--repo", repo, "--tenant", "sandbox", "--rate", "0", "--yes", "--state-dir", t.TempDir(), "latest")
	if r.code != exitOK {
		t.Fatalf("restore into a tenant of unstable list order: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, c := range exported {
		if n := countNamed(sim.Dump(), c.Name); n != 1 {
			t.Errorf("%d connectors named %q after the restore, want 1", n, c.Name)
		}
	}
}
