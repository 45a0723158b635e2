package cli

import (
	"io/fs"
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
	if r := runCLI(t, vars, "snapshots", "--repo", repo, "--tenant", "sandbox"); r.code != exitOK || !strings.Contains(r.stdout, "1 snapshots") {
		t.Errorf("snapshots of a known tenant: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, vars, "prune", "--repo", repo, "--tenant", "prod", "--keep-last", "1", "--dry-run"); r.code != exitOK || !strings.Contains(r.stdout, "tenant prod: keep 1") {
		t.Errorf("prune of a known tenant: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
