package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// TestRestoreToProfile restores a snapshot of prod into a disaster-recovery
// tenant named in the profiles file (restore --to dr), while SAIL_* points
// at another tenant that must see no request: the plan first (dry run,
// then a refusal without --yes and without a terminal), then the restore,
// and the errors of a profile that does not exist and of --config without
// --to.
func TestRestoreToProfile(t *testing.T) {
	profiles, vars, _, prod := twoTenants(t)
	dr, drVars := startSim(t, tenantsim.Options{Seed: 43, TenantName: "dr", ClientID: "dr-client", ClientSecret: "dr-secret"})
	f, err := os.OpenFile(profiles, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "  dr:\n    baseURL: %s\n    clientID: dr-client\n    clientSecretEnv: DR_SECRET\n", drVars["SAIL_BASE_URL"])
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	vars["DR_SECRET"] = "dr-secret"
	repo := filepath.Join(t.TempDir(), "repo")
	if r := runCLI(t, vars, "backup", "--repo", repo, "--config", profiles, "--tenant", "prod", "--rate", "0", "--locales", "detail"); r.code != exitOK {
		t.Fatalf("backup of prod: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// SAIL_* names another tenant: a restore --to dr must not touch it.
	sail, sailVars := startSim(t, tenantsim.Options{Seed: 44, Connectors: 3, TenantName: "sail"})
	for k, v := range sailVars {
		vars[k] = v
	}
	restore := []string{"restore", "--repo", repo, "--tenant", "prod", "--config", profiles, "--to", "dr", "--rate", "0", "--state-dir", t.TempDir(), "latest"}

	r := runCLI(t, vars, append(restore, "--dry-run")...)
	if r.code != exitOK || !strings.Contains(r.stdout, "+ create") || !strings.Contains(r.stdout, "Dry run") || customCount(dr) != 0 {
		t.Fatalf("restore --to dr --dry-run: exit %d, %d connectors written\n%s%s", r.code, customCount(dr), r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "of tenant prod") || !strings.Contains(r.stderr, "into dr ("+drVars["SAIL_BASE_URL"]+")") {
		t.Errorf("the restore does not say which snapshot goes into which tenant:\n%s", r.stderr)
	}
	if r = runCLI(t, vars, restore...); r.code != exitUsage || !strings.Contains(r.stderr, "--yes") || customCount(dr) != 0 {
		t.Fatalf("restore without --yes and without a terminal: exit %d, %d connectors written\n%s", r.code, customCount(dr), r.stderr)
	}
	if r = runCLI(t, vars, append(restore, "--yes")...); r.code != exitOK {
		t.Fatalf("restore --to dr --yes: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, want := customCount(dr), customCount(prod); got != want || want == 0 {
		t.Fatalf("restored %d connectors into dr, want prod's %d", got, want)
	}
	if st := sail.Stats(); st.Total != 0 {
		t.Errorf("the SAIL_* tenant got %d requests during restores into --to dr", st.Total)
	}
	// A second plan of the same snapshot against dr has nothing to do.
	if r = runCLI(t, vars, append(restore, "--dry-run")...); r.code != exitOK || strings.Contains(r.stdout, "+ create") || strings.Contains(r.stdout, "~ update") {
		t.Fatalf("plan after the restore: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	if r = runCLI(t, vars, "restore", "--repo", repo, "--tenant", "prod", "--config", profiles, "--to", "nosuch", "--rate", "0", "--dry-run", "latest"); r.code != exitUsage || !strings.Contains(r.stderr, `no tenant "nosuch"`) {
		t.Errorf("restore --to an unknown profile: exit %d\n%s", r.code, r.stderr)
	}
	if r = runCLI(t, vars, "restore", "--repo", repo, "--tenant", "prod", "--config", profiles, "--rate", "0", "--dry-run", "latest"); r.code != exitUsage || !strings.Contains(r.stderr, "--to") {
		t.Errorf("restore --config without --to: exit %d\n%s", r.code, r.stderr)
	}
}
