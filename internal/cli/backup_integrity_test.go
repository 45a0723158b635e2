package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// latestObject returns the path of the bundle of tenant's only snapshot in the
// directory repository repo.
func latestObject(t *testing.T, repo, tenant string) string {
	t.Helper()
	found, err := filepath.Glob(filepath.Join(repo, "tenants", tenant, "snapshots", "*.tar.gz*"))
	if err != nil || len(found) != 1 {
		t.Fatalf("snapshot objects of %s: %v, %v (want one)", tenant, found, err)
	}
	return found[0]
}

// TestDamagedLatestSnapshotIsReplaced: a backup of an unchanged tenant whose
// latest snapshot's object was truncated or altered in place (same size)
// does not say "unchanged": it stores a new snapshot, says which one was
// damaged and why, and the new one restores; the run succeeds (exit 0,
// metrics success 1), because the tenant now has a sound snapshot.
func TestDamagedLatestSnapshotIsReplaced(t *testing.T) {
	for _, tt := range []struct {
		name   string
		damage func(data []byte) []byte
		why    string
	}{
		{"truncated", func(data []byte) []byte { return data[:len(data)/2] }, "the record says"},
		{"altered", func(data []byte) []byte { data[len(data)/2] ^= 0xff; return data }, "altered"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, vars := startSim(t, tenantsim.Options{Seed: 7, Connectors: 4, MaxLocales: 1})
			repo := filepath.Join(t.TempDir(), "repo")
			metrics := filepath.Join(t.TempDir(), "m.prom")
			identity, recipient := ageKey(t)
			backup := func(extra ...string) cliRun {
				t.Helper()
				args := append([]string{"backup", "--repo", repo, "--tenant", "sbx", "--rate", "0", "--locales", "detail", "--sources=false", "--recipient", recipient, "--metrics-file", metrics}, extra...)
				return runCLI(t, vars, args...)
			}
			first := backup("--json")
			if first.code != exitOK {
				t.Fatalf("first backup: exit %d\n%s%s", first.code, first.stdout, first.stderr)
			}
			old := backupRows(t, first)["sbx"].Snapshot
			obj := latestObject(t, repo, "sbx")
			data, err := os.ReadFile(obj)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(obj, tt.damage(data), 0o600); err != nil {
				t.Fatal(err)
			}

			r := backup("--json")
			row := backupRows(t, r)["sbx"]
			if r.code != exitOK || row.Result != "stored" || row.Snapshot == old || !strings.Contains(row.Damaged, old) || !strings.Contains(row.Damaged, tt.why) {
				t.Fatalf("backup over a %s latest snapshot: exit %d, %+v; want a new snapshot stored, saying %s is damaged (%q)\n%s", tt.name, r.code, row, old, tt.why, r.stderr)
			}
			if prom, _ := os.ReadFile(metrics); !strings.Contains(string(prom), `connvault_backup_success{tenant="sbx"} 1`) {
				t.Errorf("metrics after storing a sound snapshot:\n%s", prom)
			}
			restore := runCLI(t, vars, "--identity", identity, "restore", "--repo", repo, "--tenant", "sbx", "latest", "--dry-run")
			if restore.code != exitOK {
				t.Errorf("restore of the snapshot stored in place of the damaged one: exit %d\n%s%s", restore.code, restore.stdout, restore.stderr)
			}
			// The table says so too, and the next run trusts the new one.
			again := backup()
			if again.code != exitOK || !strings.Contains(again.stdout, "unchanged since") || strings.Contains(again.stdout, "WARNING") {
				t.Errorf("the run after the replacement: exit %d\n%s%s", again.code, again.stdout, again.stderr)
			}
		})
	}
}
