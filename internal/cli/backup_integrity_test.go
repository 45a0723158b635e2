package cli

import (
	"encoding/json"
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

// TestBrokenSnapshotDoesNotBlockTheRepository: a snapshot whose object was
// removed (or truncated) by hand is listed as such among the others, with
// every other tenant's (exit 0); a restore of it says why it cannot; prune
// applies its policy to the sound snapshots only (keep-last 1 keeps the
// sound older one) and removes the broken one; and the next backup of the
// tenant stores a new snapshot, saying the latest was broken.
func TestBrokenSnapshotDoesNotBlockTheRepository(t *testing.T) {
	for _, tt := range []struct {
		state  string
		damage func(path string) error
	}{
		{"missing", os.Remove},
		{"damaged", func(path string) error { return os.Truncate(path, 100) }},
	} {
		t.Run(tt.state, func(t *testing.T) {
			_, vars := startSim(t, tenantsim.Options{Seed: 7, Connectors: 4, MaxLocales: 1})
			repo := filepath.Join(t.TempDir(), "repo")
			identity, recipient := ageKey(t)
			backup := func(name string, extra ...string) cliRun {
				t.Helper()
				return runCLI(t, vars, append([]string{"backup", "--repo", repo, "--tenant", name, "--rate", "0", "--locales", "detail", "--sources=false", "--json"}, extra...)...)
			}
			for _, step := range []struct {
				name  string
				extra []string
			}{{"prod", nil}, {"sandbox", nil}, {"sandbox", []string{"--recipient", recipient}}} {
				if r := backup(step.name, step.extra...); r.code != exitOK || backupRows(t, r)[step.name].Result != "stored" {
					t.Fatalf("backup %s %v: exit %d\n%s%s", step.name, step.extra, r.code, r.stdout, r.stderr)
				}
			}
			objs, _ := filepath.Glob(filepath.Join(repo, "tenants", "sandbox", "snapshots", "*.tar.gz.age"))
			if len(objs) != 1 {
				t.Fatalf("encrypted snapshots of sandbox: %v", objs)
			}
			broken := strings.TrimSuffix(filepath.Base(objs[0]), ".tar.gz.age")
			if err := tt.damage(objs[0]); err != nil {
				t.Fatal(err)
			}

			r := runCLI(t, vars, "snapshots", "--repo", repo)
			if r.code != exitOK || !strings.Contains(r.stdout, "\n3 snapshots\n") || !strings.Contains(r.stdout, "WARNING: 1 snapshot cannot be restored") || !strings.Contains(r.stdout, broken+" of tenant sandbox: "+tt.state+":") {
				t.Errorf("snapshots with one %s: exit %d, want the 3 snapshots listed and the broken one named\n%s%s", tt.state, r.code, r.stdout, r.stderr)
			}
			var rows []snapshotRow
			r = runCLI(t, vars, "snapshots", "--repo", repo, "--json")
			if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 3 {
				t.Fatalf("snapshots --json: %v, %d rows\n%s%s", err, len(rows), r.stdout, r.stderr)
			}
			for _, row := range rows {
				if want := map[bool]string{true: tt.state, false: "ok"}[row.ID == broken]; row.State != want || (want != "ok") != (row.Problem != "") {
					t.Errorf("snapshots --json: %s is %q (%s), want %s", row.ID, row.State, row.Problem, want)
				}
			}
			r = runCLI(t, vars, "--identity", identity, "restore", "--repo", repo, "--tenant", "sandbox", "latest", "--dry-run")
			if r.code == exitOK || !strings.Contains(r.stderr, broken) || !strings.Contains(r.stderr, tt.state) {
				t.Errorf("restore of the %s snapshot: exit %d, want an error naming it as %s\n%s%s", tt.state, r.code, tt.state, r.stdout, r.stderr)
			}
			r = runCLI(t, vars, "prune", "--repo", repo, "--keep-last", "1", "--dry-run")
			if r.code != exitOK || !strings.Contains(r.stdout, "would remove  "+broken) || !strings.Contains(r.stdout, "tenant sandbox: keep 1, would remove 1") {
				t.Errorf("prune --keep-last 1 --dry-run: exit %d, want the sound sandbox snapshot kept and the %s one removed\n%s%s", r.code, tt.state, r.stdout, r.stderr)
			}

			r = backup("sandbox", "--recipient", recipient)
			row := backupRows(t, r)["sandbox"]
			if r.code != exitOK || row.Result != "stored" || !strings.Contains(row.Damaged, broken) || !strings.Contains(row.Damaged, tt.state) {
				t.Errorf("backup after the snapshot went %s: exit %d, %+v; want a new snapshot, saying why\n%s", tt.state, r.code, row, r.stderr)
			}
			if r := runCLI(t, vars, "--identity", identity, "restore", "--repo", repo, "--tenant", "sandbox", "latest", "--dry-run"); r.code != exitOK {
				t.Errorf("restore of the new latest snapshot: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if r := runCLI(t, vars, "prune", "--repo", repo, "--keep-last", "2"); r.code != exitOK || !strings.Contains(r.stdout, "removed  "+broken) {
				t.Errorf("prune --keep-last 2: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			r = runCLI(t, vars, "snapshots", "--repo", repo)
			if r.code != exitOK || strings.Contains(r.stdout, broken) || strings.Contains(r.stdout, "WARNING") || !strings.Contains(r.stdout, "\n3 snapshots\n") {
				t.Errorf("snapshots after the prune: exit %d, want the broken snapshot gone and 3 sound ones\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestPruneChecksTheSnapshotItKeeps: a prune that removes sound snapshots
// first reads back the newest one it keeps; one altered in place (same
// size, so the listing cannot tell) is not kept in their stead: keep-last 1
// keeps the older sound snapshot and removes the altered one, saying why.
func TestPruneChecksTheSnapshotItKeeps(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 7, Connectors: 4, MaxLocales: 1})
	repo := filepath.Join(t.TempDir(), "repo")
	_, recipient := ageKey(t)
	ids := map[string]string{}
	for _, extra := range [][]string{nil, {"--recipient", recipient}} {
		r := runCLI(t, vars, append([]string{"backup", "--repo", repo, "--tenant", "prod", "--rate", "0", "--locales", "detail", "--sources=false", "--json"}, extra...)...)
		if r.code != exitOK {
			t.Fatalf("backup %v: exit %d\n%s%s", extra, r.code, r.stdout, r.stderr)
		}
		ids[map[bool]string{true: "clear", false: "sealed"}[extra == nil]] = backupRows(t, r)["prod"].Snapshot
	}
	obj := filepath.Join(repo, "tenants", "prod", "snapshots", ids["sealed"]+".tar.gz.age")
	data, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(obj, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dry := range []bool{true, false} {
		args := []string{"prune", "--repo", repo, "--keep-last", "1"}
		if dry {
			args = append(args, "--dry-run")
		}
		r := runCLI(t, vars, args...)
		if r.code != exitOK || !strings.Contains(r.stdout, "keep    "+ids["clear"]) || !strings.Contains(r.stdout, ids["sealed"]) || !strings.Contains(r.stdout, "altered") {
			t.Errorf("prune %v: exit %d, want %s kept and the altered %s removed\n%s%s", args, r.code, ids["clear"], ids["sealed"], r.stdout, r.stderr)
		}
	}
	if r := runCLI(t, vars, "snapshots", "--repo", repo); !strings.Contains(r.stdout, ids["clear"]) || strings.Contains(r.stdout, ids["sealed"]) {
		t.Errorf("snapshots after the prune:\n%s", r.stdout)
	}
}
