package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

func TestSavedPlanKeepsItsOptionsAndPaths(t *testing.T) {
	_, srcVars := startSim(t, tenantsim.Options{Seed: 66, Connectors: 3, MaxLocales: 2, TenantName: "sb"})
	_, vars := startSim(t, tenantsim.Options{Seed: 67, Connectors: 3, MaxLocales: 2, TenantName: "prod"})
	dir := t.TempDir()
	t.Chdir(dir)
	if r := runCLI(t, srcVars, "export", "--rate", "0", "--locales", "detail", "--out", "b.tar.gz"); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	r := runCLI(t, vars, "plan", "--rate", "0", "--allow-delete", "--state-dir", "state", "--out", "plan.json", "b.tar.gz")
	if r.code != exitOK || !strings.Contains(r.stdout, "- delete") {
		t.Fatalf("plan --allow-delete: exit %d, want a delete:\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Applied from another directory, with no flag repeated.
	other := t.TempDir()
	t.Chdir(other)
	r = runCLI(t, vars, "import", "--rate", "0", "--state-dir", filepath.Join(dir, "state"), filepath.Join(dir, "plan.json"))
	if r.code != exitOK {
		t.Fatalf("import of a saved plan from another directory: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := runCLI(t, vars, "plan", "--rate", "0", "--allow-delete", "--state-dir", filepath.Join(dir, "state"), "--detailed-exitcode", filepath.Join(dir, "b.tar.gz")); got.code != exitOK {
		t.Errorf("after applying the saved plan, a new plan still has changes (exit %d):\n%s", got.code, got.stdout)
	}
}

// A saved plan applied against another tenant is refused before the plan
// is printed, and before any write.
func TestSavedPlanForAnotherTenantRefusedFirst(t *testing.T) {
	_, srcVars := startSim(t, tenantsim.Options{Seed: 115, Connectors: 2, MaxLocales: 2})
	_, aVars := startSim(t, tenantsim.Options{Seed: 116, Connectors: 0, TenantName: "a"})
	other, bVars := startSim(t, tenantsim.Options{Seed: 117, Connectors: 0, TenantName: "b"})
	dir := t.TempDir()
	b, plan := filepath.Join(dir, "b.tar.gz"), filepath.Join(dir, "plan.json")
	if r := runCLI(t, srcVars, "export", "--rate", "0", "--locales", "detail", "--out", b); r.code != exitOK {
		t.Fatalf("export: %s", r.stderr)
	}
	if r := runCLI(t, aVars, "plan", b, "--rate", "0", "--state-dir", dir, "--out", plan); r.code != exitOK {
		t.Fatalf("plan: %s", r.stderr)
	}
	other.ResetStats()
	r := runCLI(t, bVars, "import", plan, "--rate", "0", "--state-dir", dir)
	if r.code == exitOK || !strings.Contains(r.stderr, "made for "+aVars["SAIL_BASE_URL"]) {
		t.Errorf("import of a plan for another tenant: exit %d, stderr %q; want a refusal naming the tenant", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, "create") || r.stdout != "" {
		t.Errorf("the plan was printed before the refusal:\n%s", r.stdout)
	}
	if n := other.Stats().Writes; n != 0 {
		t.Errorf("%d writes to the wrong tenant", n)
	}
}
