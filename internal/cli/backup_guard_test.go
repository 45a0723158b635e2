package cli

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// TestDirectoryRepositoryModes: every file a backup writes into a directory
// repository (marker, snapshot bundles clear and encrypted, records, status)
// is mode 0600 and every directory 0700, as the README says, whatever the
// umask.
func TestDirectoryRepositoryModes(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 7, Connectors: 4, MaxLocales: 1})
	repo := filepath.Join(t.TempDir(), "repo")
	_, recipient := ageKey(t)
	for _, extra := range [][]string{{"--tenant", "clear"}, {"--tenant", "sealed", "--recipient", recipient}} {
		args := append([]string{"backup", "--repo", repo, "--rate", "0", "--locales", "detail", "--sources=false"}, extra...)
		if r := runCLI(t, vars, args...); r.code != exitOK {
			t.Fatalf("backup %v: exit %d\n%s%s", extra, r.code, r.stdout, r.stderr)
		}
	}
	files := 0
	err := filepath.WalkDir(repo, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		} else {
			files++
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", strings.TrimPrefix(path, repo), got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != 7 { // the marker; per tenant a snapshot, its record and the status
		t.Errorf("%d files in the repository, want 7: the marker, and per tenant a snapshot, its record and the status", files)
	}
}

// TestUnknownTenantNamed: a --tenant the repository does not hold (a typo)
// is a bad argument (exit 2) naming the tenants it has, for snapshots, prune (dry run or
// not) and restore; a tenant it holds still works.
func TestUnknownTenantNamed(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 7, Connectors: 3, MaxLocales: 1})
	repo := filepath.Join(t.TempDir(), "repo")
	for _, name := range []string{"sandbox", "prod"} {
		if r := runCLI(t, vars, "backup", "--repo", repo, "--tenant", name, "--rate", "0", "--locales", "detail", "--sources=false"); r.code != exitOK {
			t.Fatalf("backup %s: exit %d\n%s%s", name, r.code, r.stdout, r.stderr)
		}
	}
	for _, args := range [][]string{
		{"snapshots", "--repo", repo, "--tenant", "nosuch"},
		{"snapshots", "--repo", repo, "--tenant", "sandbx", "--json"},
		{"prune", "--repo", repo, "--tenant", "sandbx", "--keep-last", "1", "--dry-run"},
		{"prune", "--repo", repo, "--tenant", "sandbx", "--keep-last", "1", "--json"},
		{"restore", "--repo", repo, "--tenant", "sandbx", "latest", "--dry-run"},
	} {
		r := runCLI(t, vars, args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, `tenant "`+args[4]+`"`) || !strings.Contains(r.stderr, "prod, sandbox") {
			t.Errorf("%v: exit %d, want 2 naming the tenant and the repository's tenants (prod, sandbox):\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := runCLI(t, vars, "snapshots", "--repo", repo, "--tenant", "sandbox"); r.code != exitOK || !strings.HasSuffix(r.stdout, "\n1 snapshot\n") {
		t.Errorf("snapshots of a known tenant: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, vars, "prune", "--repo", repo, "--tenant", "prod", "--keep-last", "1", "--dry-run"); r.code != exitOK || !strings.Contains(r.stdout, "tenant prod: keep 1") {
		t.Errorf("prune of a known tenant: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestEncryptionChangeStoresSnapshot: switching an unchanged tenant to
// encryption (or to other keys) stores a new snapshot instead of
// "unchanged" (which would leave the latest one in clear, or readable by
// the old key only), and a backup without recipients after an encrypted
// one is refused (exit 2, nothing stored) unless --allow-plaintext.
func TestEncryptionChangeStoresSnapshot(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 7, Connectors: 4, MaxLocales: 1})
	repo := filepath.Join(t.TempDir(), "repo")
	_, recipientA := ageKey(t)
	_, recipientB := ageKey(t)
	recipients := filepath.Join(t.TempDir(), "recipients.txt")
	if err := os.WriteFile(recipients, []byte("# backup team\n"+recipientA+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	backup := func(wantCode int, extra ...string) (backupRow, cliRun) {
		t.Helper()
		args := append([]string{"backup", "--repo", repo, "--tenant", "sbx", "--rate", "0", "--locales", "detail", "--sources=false", "--json"}, extra...)
		r := runCLI(t, vars, args...)
		if r.code != wantCode {
			t.Fatalf("backup %v: exit %d, want %d\n%s%s", extra, r.code, wantCode, r.stdout, r.stderr)
		}
		if wantCode != exitOK && wantCode != exitPartial {
			return backupRow{}, r
		}
		return backupRows(t, r)["sbx"], r
	}
	snapshots := func() int {
		t.Helper()
		var rows []snapshotRow
		r := runCLI(t, vars, "snapshots", "--repo", repo, "--json")
		if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
			t.Fatalf("snapshots --json: %v\n%s%s", err, r.stdout, r.stderr)
		}
		return len(rows)
	}
	backup(exitOK)
	for _, step := range []struct {
		args      []string
		result    string
		encrypted bool
	}{
		{[]string{"--recipients-file", recipients}, "stored", true}, // clear → encrypted
		{[]string{"--recipient", recipientA}, "unchanged", true},    // the same key, given otherwise
		{[]string{"--recipient", recipientB}, "stored", true},       // another key
		{[]string{"--recipient", recipientB}, "unchanged", true},
		{[]string{"--allow-plaintext"}, "stored", false}, // encrypted → clear, said explicitly
		{nil, "unchanged", false},
	} {
		if row, _ := backup(exitOK, step.args...); row.Result != step.result || row.Encrypted != step.encrypted {
			t.Errorf("backup %v: %s, encrypted %t; want %s, encrypted %t", step.args, row.Result, row.Encrypted, step.result, step.encrypted)
		}
	}
	backup(exitOK, "--recipient", recipientA)
	before := snapshots()
	_, r := backup(exitUsage)
	if !strings.Contains(r.stderr+r.stdout, "encrypted") || !strings.Contains(r.stderr+r.stdout, "--allow-plaintext") {
		t.Errorf("a backup without recipients after an encrypted one does not say why it is refused:\n%s%s", r.stdout, r.stderr)
	}
	if after := snapshots(); after != before {
		t.Errorf("the refused backup stored a snapshot (%d → %d)", before, after)
	}
}

// TestBackupRefusesAnotherTenantURL: a backup under a tenant name whose
// latest snapshot was taken of another tenant URL (a wrong --tenant, a
// wrong SAIL_* environment) is refused, exit 2, naming both URLs, and
// stores nothing, so that a later prune cannot remove the real tenant's
// snapshots in favour of another tenant's; with --tenant-moved it is
// stored, and from then on the new URL is the tenant's.
func TestBackupRefusesAnotherTenantURL(t *testing.T) {
	_, prodVars := startSim(t, tenantsim.Options{Seed: 8, Connectors: 4, MaxLocales: 1})
	_, otherVars := startSim(t, tenantsim.Options{Seed: 7, Connectors: 6, MaxLocales: 1})
	repo := filepath.Join(t.TempDir(), "repo")
	backup := func(vars map[string]string, extra ...string) cliRun {
		t.Helper()
		return runCLI(t, vars, append([]string{"backup", "--repo", repo, "--tenant", "prod", "--rate", "0", "--locales", "detail", "--sources=false"}, extra...)...)
	}
	snapshots := func() string {
		t.Helper()
		return runCLI(t, prodVars, "snapshots", "--repo", repo, "--tenant", "prod").stdout
	}
	if r := backup(prodVars); r.code != exitOK {
		t.Fatalf("first backup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	before := snapshots()
	if !strings.Contains(before, prodVars["SAIL_BASE_URL"]) {
		t.Errorf("snapshots does not show the tenant URL:\n%s", before)
	}
	for _, extra := range [][]string{nil, {"--json"}} {
		r := backup(otherVars, extra...)
		out := r.stdout + r.stderr
		if r.code != exitUsage || !strings.Contains(out, prodVars["SAIL_BASE_URL"]) || !strings.Contains(out, otherVars["SAIL_BASE_URL"]) || !strings.Contains(out, "--tenant-moved") {
			t.Errorf("backup %v of another tenant URL under prod: exit %d, want 2 naming both URLs and --tenant-moved\n%s", extra, r.code, out)
		}
	}
	if after := snapshots(); after != before {
		t.Fatalf("the refused backup changed the snapshots:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if r := backup(otherVars, "--tenant-moved"); r.code != exitOK || !strings.Contains(r.stdout, "stored") {
		t.Fatalf("backup --tenant-moved: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := backup(otherVars); r.code != exitOK || !strings.Contains(r.stdout, "unchanged") {
		t.Errorf("the backup after the move: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := backup(prodVars); r.code != exitUsage {
		t.Errorf("a backup of the old URL after the move: exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestBackupTagOfUnchangedTenant: a run given a tag the latest snapshot
// lacks (the monthly run) stores a snapshot with it although the tenant is
// unchanged, so that `prune --keep-tag` keeps it; a run whose tags the
// latest snapshot has stores nothing.
func TestBackupTagOfUnchangedTenant(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 7, Connectors: 4, MaxLocales: 1})
	repo := filepath.Join(t.TempDir(), "repo")
	backup := func(tags ...string) backupRow {
		t.Helper()
		args := []string{"backup", "--repo", repo, "--tenant", "prod", "--rate", "0", "--locales", "detail", "--sources=false", "--json"}
		for _, tag := range tags {
			args = append(args, "--tag", tag)
		}
		r := runCLI(t, vars, args...)
		if r.code != exitOK {
			t.Fatalf("backup %v: exit %d\n%s%s", tags, r.code, r.stdout, r.stderr)
		}
		return backupRows(t, r)["prod"]
	}
	for _, step := range []struct {
		tags   []string
		result string
	}{
		{[]string{"nightly"}, "stored"},
		{[]string{"nightly"}, "unchanged"},
		{[]string{"nightly", "monthly"}, "stored"},
		{[]string{"monthly"}, "unchanged"},
		{nil, "unchanged"},
	} {
		if row := backup(step.tags...); row.Result != step.result {
			t.Errorf("backup --tag %v of the unchanged tenant: %s, want %s (tags %v)", step.tags, row.Result, step.result, row.Tags)
		}
	}
	r := runCLI(t, vars, "prune", "--repo", repo, "--keep-tag", "monthly", "--dry-run")
	if r.code != exitOK || !strings.Contains(r.stdout, "tenant prod: keep 1, would remove 1") {
		t.Errorf("prune --keep-tag monthly: exit %d, want the monthly snapshot kept\n%s%s", r.code, r.stdout, r.stderr)
	}
}
