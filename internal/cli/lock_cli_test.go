package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// While another run holds the state directory, import (of a bundle or of a
// saved plan), restore, migrate and rollback are refused before they read
// anything: no request reaches either tenant, no plan is printed, and the
// error names the holder (README, "Limitations": "refused before it reads or
// writes anything").
func TestBusyStateDirRefusedFirst(t *testing.T) {
	t.Parallel()
	src, srcVars := startSim(t, tenantsim.Options{Seed: 31, Connectors: 3, MaxLocales: 1, TenantName: "sb"})
	dst, dstVars := startSim(t, tenantsim.Options{Seed: 32, Connectors: 2, MaxLocales: 1, TenantName: "prod"})
	dir := t.TempDir()
	b := exportTo(t, srcVars, filepath.Join(dir, "b.tar.gz"))
	state := filepath.Join(dir, "state")
	undo := importedUndo(t, dstVars, "--state-dir", state, b)
	plan := filepath.Join(dir, "plan.json")
	if r := runCLI(t, dstVars, "plan", "--rate", "0", "--state-dir", state, "--out", plan, b); r.code != exitOK && r.code != exitChanges {
		t.Fatalf("fixture plan: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	config := filepath.Join(dir, "connvault.yaml")
	writeProfiles(t, config, srcVars, dstVars)

	l, err := importer.LockStateDir(state, "a test holding the state directory", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	for _, tt := range []struct {
		name string
		vars map[string]string
		args []string
	}{
		{"import bundle", dstVars, []string{"import", "--rate", "0", "--yes", "--state-dir", state, b}},
		{"import plan", dstVars, []string{"import", "--rate", "0", "--state-dir", state, plan}},
		{"rollback", dstVars, []string{"rollback", "--rate", "0", "--yes", "--state-dir", state, undo}},
		{"migrate", profileSecrets(srcVars, dstVars), []string{"migrate", "--config", config, "--from", "sb", "--to", "prod", "--rate", "0", "--yes", "--state-dir", state}},
		// The repository does not exist: the refusal comes before it is opened.
		{"restore", dstVars, []string{"restore", "--repo", filepath.Join(dir, "no-repo"), "--rate", "0", "--yes", "--state-dir", state, "latest"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := src.Stats().Total + dst.Stats().Total
			r := runCLI(t, tt.vars, tt.args...)
			if r.code != exitError || !strings.Contains(r.stderr, "state directory in use") || !strings.Contains(r.stderr, "a test holding the state directory") {
				t.Fatalf("exit %d, want 1 naming the holder:\n%s%s", r.code, r.stdout, r.stderr)
			}
			if n := src.Stats().Total + dst.Stats().Total - before; n != 0 {
				t.Errorf("%d requests reached the tenants before the refusal", n)
			}
			if strings.Contains(r.stdout, "Plan:") || strings.Contains(r.stdout, "Rollback:") || strings.Contains(r.stdout, "Exported") {
				t.Errorf("printed a plan or an export before the refusal:\n%s", r.stdout)
			}
		})
	}
	l.Unlock()
	if r := runCLI(t, dstVars, "rollback", "--rate", "0", "--yes", "--state-dir", state, undo); r.code != exitOK && r.code != exitPartial {
		t.Fatalf("rollback once the lock is free: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}
