package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/connvault/connvault/repository/repotest"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// twoTenants starts two simulated tenants, sb and prod, and writes a
// profiles file naming them; it returns the file and the variables holding
// their secrets.
func twoTenants(t *testing.T) (profiles string, vars map[string]string, sb, prod *tenantsim.Sim) {
	t.Helper()
	sb, sbVars := startSim(t, tenantsim.Options{Seed: 41, Connectors: 8, MaxLocales: 2, TenantName: "sb", ClientID: "sb-client", ClientSecret: "sb-secret"})
	prod, prodVars := startSim(t, tenantsim.Options{Seed: 42, Connectors: 6, MaxLocales: 2, TenantName: "prod", ClientID: "prod-client", ClientSecret: "prod-secret"})
	profiles = filepath.Join(t.TempDir(), "profiles.yaml")
	writeProfiles(t, profiles, sbVars, prodVars)
	return profiles, profileSecrets(sbVars, prodVars), sb, prod
}

// backupRows parses `backup --json`.
func backupRows(t *testing.T, r cliRun) map[string]backupRow {
	t.Helper()
	var rows []backupRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("backup --json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	out := map[string]backupRow{}
	for _, row := range rows {
		out[row.Tenant] = row
	}
	return out
}

// ageKey writes a new age identity file and returns it with its recipient.
func ageKey(t *testing.T) (file, recipient string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(file, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, id.Recipient().String()
}

// TestNightlyBackups runs the "done when" end to end, against two
// simulated tenants in one run, into a directory and into an S3-compatible
// server, in clear and encrypted: backup, a second backup that stores
// nothing, snapshots, prune --dry-run, prune, restore latest into an empty
// tenant, and the readers with and without the identity.
func TestNightlyBackups(t *testing.T) {
	for _, tt := range []struct {
		name      string
		s3        bool
		encrypted bool
	}{{"dir", false, false}, {"dir encrypted", false, true}, {"s3", true, false}, {"s3 encrypted", true, true}} {
		t.Run(tt.name, func(t *testing.T) {
			profiles, vars, sb, _ := twoTenants(t)
			repo := filepath.Join(t.TempDir(), "repo")
			if tt.s3 {
				repo = repotest.URL(repotest.NewS3(t), "nightly")
			}
			key, recipient := ageKey(t)
			args := []string{"backup", "--repo", repo, "--config", profiles, "--all", "--rate", "0", "--locales", "detail", "--tag", "nightly", "--json"}
			if tt.encrypted {
				args = append(args, "--recipient", recipient)
			}
			r := runCLI(t, vars, args...)
			if r.code != exitOK {
				t.Fatalf("backup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			rows := backupRows(t, r)
			if len(rows) != 2 || rows["sb"].Result != "stored" || rows["prod"].Result != "stored" || rows["sb"].Encrypted != tt.encrypted {
				t.Fatalf("first backup rows: %+v", rows)
			}

			r = runCLI(t, vars, args...)
			rows2 := backupRows(t, r)
			if r.code != exitOK || rows2["sb"].Result != "unchanged" || rows2["sb"].Snapshot != rows["sb"].Snapshot || rows2["prod"].Bytes != 0 {
				t.Fatalf("second backup of unchanged tenants: exit %d, rows %+v", r.code, rows2)
			}
			r = runCLI(t, vars, slices.DeleteFunc(slices.Clone(args), func(a string) bool { return a == "--json" })...)
			if !strings.Contains(r.stdout, "unchanged since "+rows["sb"].Time) {
				t.Fatalf("the table does not say unchanged since …:\n%s", r.stdout)
			}

			r = runCLI(t, nil, "snapshots", "--repo", repo, "--json")
			var snaps []snapshotRow
			if err := json.Unmarshal([]byte(r.stdout), &snaps); err != nil || r.code != exitOK {
				t.Fatalf("snapshots: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
			}
			if len(snaps) != 2 || snaps[0].Tags[0] != "nightly" || !snaps[0].Complete || snaps[0].Encrypted != tt.encrypted {
				t.Fatalf("snapshots: %+v", snaps)
			}

			r = runCLI(t, nil, "prune", "--repo", repo, "--keep-last", "1", "--dry-run")
			if r.code != exitOK || !strings.Contains(r.stdout, "last snapshot") || !strings.Contains(r.stdout, "Dry run") {
				t.Fatalf("prune --dry-run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			r = runCLI(t, nil, "prune", "--repo", repo, "--keep-tag", "weekly")
			if r.code != exitError || !strings.Contains(r.stderr, "keeps no snapshot") {
				t.Fatalf("a prune that would remove everything: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			r = runCLI(t, nil, "prune", "--repo", repo, "--keep-daily", "7")
			if r.code != exitOK {
				t.Fatalf("prune: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if r = runCLI(t, nil, "snapshots", "--repo", repo, "--tenant", "sb"); !strings.Contains(r.stdout, rows["sb"].Snapshot) {
				t.Fatalf("prune removed the only snapshot of sb:\n%s%s", r.stdout, r.stderr)
			}

			// Restore sb's latest snapshot into an empty tenant.
			target, targetVars := startSim(t, tenantsim.Options{Seed: 43, TenantName: "dr", ClientID: "dr", ClientSecret: "dr-secret"})
			restore := []string{"restore", "--repo", repo, "--tenant", "sb", "--rate", "0", "--yes", "--state-dir", t.TempDir(), "latest"}
			if tt.encrypted {
				r = runCLI(t, targetVars, restore...)
				if r.code != exitError || !strings.Contains(r.stderr, "encrypted with age") || customCount(target) != 0 {
					t.Fatalf("restore without the identity: exit %d, %d connectors written\n%s", r.code, customCount(target), r.stderr)
				}
				other, _ := ageKey(t)
				r = runCLI(t, targetVars, append([]string{"--identity", other}, restore...)...)
				if r.code != exitError || !strings.Contains(r.stderr, "another key") || customCount(target) != 0 {
					t.Fatalf("restore with another key: exit %d\n%s", r.code, r.stderr)
				}
				targetVars["CONNVAULT_AGE_IDENTITY_FILE"] = key
			}
			r = runCLI(t, targetVars, restore...)
			if r.code != exitOK {
				t.Fatalf("restore: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			// Every connector: the listed ones, and the hidden ones, which
			// the backup found through the sources that use them.
			if got, want := customCount(target), customCount(sb); got != want {
				t.Fatalf("restored %d connectors, want %d", got, want)
			}
			// A snapshot reference that names none, or several, is a bad
			// argument (exit 2), said before anything is read or written.
			if r = runCLI(t, targetVars, "restore", "--repo", repo, "--rate", "0", "--state-dir", t.TempDir(), "latest"); r.code != exitUsage || !strings.Contains(r.stderr, "names more than one snapshot") || !strings.Contains(r.stderr, "--tenant") {
				t.Fatalf("restore latest from a repository of %d tenants without --tenant: exit %d\n%s", len(rows), r.code, r.stderr)
			}
			if r = runCLI(t, targetVars, "restore", "--repo", repo, "--rate", "0", "--state-dir", t.TempDir(), "20990101T000000Z"); r.code != exitUsage || !strings.Contains(r.stderr, "no such snapshot") {
				t.Fatalf("restore of an unknown snapshot: exit %d\n%s", r.code, r.stderr)
			}

			if !tt.s3 {
				// The readers open an encrypted snapshot file with --identity.
				snapFile := filepath.Join(repo, "tenants", "sb", "snapshots", rows["sb"].Snapshot+".tar.gz")
				if tt.encrypted {
					snapFile += ".age"
					if r = runCLI(t, nil, "verify", snapFile); r.code != exitError || !strings.Contains(r.stderr, "CONNVAULT_AGE_IDENTITY_FILE") {
						t.Fatalf("verify without identity: exit %d\n%s", r.code, r.stderr)
					}
				}
				for _, cmd := range [][]string{{"verify", snapFile}, {"inspect", snapFile}, {"diff", snapFile, snapFile}} {
					if r = runCLI(t, nil, append([]string{"--identity", key}, cmd...)...); r.code != exitOK {
						t.Fatalf("%s: exit %d\n%s%s", cmd[0], r.code, r.stdout, r.stderr)
					}
				}
			}
		})
	}
}

// TestBackupFailureOfOneTenant checks that a tenant that cannot be reached
// does not stop the others, that the summary has a row per tenant, that the
// exit code is 3, and that the metrics file says it all in Prometheus's text
// format.
func TestBackupFailureOfOneTenant(t *testing.T) {
	profiles, vars, _, _ := twoTenants(t)
	data, err := os.ReadFile(profiles)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, "  gone:\n    baseURL: http://127.0.0.1:1\n    clientID: x\n    clientSecretEnv: SB_SECRET\n"...)
	if err := os.WriteFile(profiles, data, 0o600); err != nil {
		t.Fatal(err)
	}
	repo, metrics := t.TempDir(), filepath.Join(t.TempDir(), "connvault.prom")
	r := runCLI(t, vars, "backup", "--repo", repo, "--config", profiles, "--all", "--rate", "0", "--locales", "detail", "--json", "--metrics-file", metrics, "--tenants-concurrency", "3")
	rows := backupRows(t, r)
	if r.code != exitPartial || rows["gone"].Result != "failed" || rows["gone"].Error == "" || rows["sb"].Result != "stored" || rows["prod"].Result != "stored" {
		t.Fatalf("exit %d, rows %+v\n%s", r.code, rows, r.stderr)
	}
	prom, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	sample := regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)+\} -?[0-9.e+]+$`)
	typed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(string(prom), "\n"), "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			typed[f[2]] = true
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		if !sample.MatchString(line) || !typed[line[:strings.IndexByte(line, '{')]] {
			t.Errorf("not a sample of a declared metric in the text format: %q", line)
		}
	}
	for _, want := range []string{
		`connvault_backup_success{tenant="gone"} 0`, `connvault_backup_success{tenant="sb"} 1`,
		`connvault_backup_result{tenant="gone",result="failed"} 1`,
		fmt.Sprintf(`connvault_backup_connectors{tenant="prod"} %d`, rows["prod"].Connectors),
	} {
		if !strings.Contains(string(prom), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, prom)
		}
	}
	if strings.Contains(string(prom), `connvault_backup_last_success_timestamp_seconds{tenant="gone"}`) {
		t.Error("a tenant never backed up has a last success time")
	}
}

// TestBackupBadSecretFailsOneTenant: a tenant of --all whose secret cannot
// be read (its variable unset, its file missing, both named) fails alone, in
// its row and its metrics, as an unreachable one does: the others are backed
// up, the exit code is 3, and the metrics file, which said every tenant
// succeeded the night before, says which failed.
func TestBackupBadSecretFailsOneTenant(t *testing.T) {
	profiles, vars, _, _ := twoTenants(t)
	repo, metrics := t.TempDir(), filepath.Join(t.TempDir(), "connvault.prom")
	args := []string{"backup", "--repo", repo, "--config", profiles, "--all", "--rate", "0", "--locales", "detail", "--sources=false", "--json", "--metrics-file", metrics}
	if r := runCLI(t, vars, args...); r.code != exitOK {
		t.Fatalf("the night before: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	data, err := os.ReadFile(profiles)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, fmt.Sprintf("  dr:\n    baseURL: http://127.0.0.1:1\n    clientID: x\n    clientSecretEnv: DR_SECRET\n"+
		"  filed:\n    baseURL: http://127.0.0.1:1\n    clientID: x\n    clientSecretFile: %s\n"+
		"  both:\n    baseURL: http://127.0.0.1:1\n    clientID: x\n    clientSecretEnv: SB_SECRET\n    clientSecretFile: %s\n",
		filepath.Join(t.TempDir(), "missing.secret"), filepath.Join(t.TempDir(), "missing.secret"))...)
	if err := os.WriteFile(profiles, data, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, vars, args...)
	rows := backupRows(t, r)
	if r.code != exitPartial || rows["sb"].Result != "unchanged" || rows["prod"].Result != "unchanged" {
		t.Fatalf("exit %d, rows %+v; want 3, sb and prod backed up\n%s", r.code, rows, r.stderr)
	}
	prom, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	for name, says := range map[string]string{"dr": "DR_SECRET", "filed": "missing.secret", "both": "not both"} {
		if rows[name].Result != "failed" || !strings.Contains(rows[name].Error, says) {
			t.Errorf("tenant %s: %+v, want failed saying %q", name, rows[name], says)
		}
		for _, want := range []string{
			fmt.Sprintf(`connvault_backup_success{tenant=%q} 0`, name),
			fmt.Sprintf(`connvault_backup_result{tenant=%q,result="failed"} 1`, name),
			fmt.Sprintf(`connvault_backup_last_run_timestamp_seconds{tenant=%q}`, name),
		} {
			if !strings.Contains(string(prom), want) {
				t.Errorf("metrics lack %q:\n%s", want, prom)
			}
		}
	}
	if !strings.Contains(string(prom), `connvault_backup_success{tenant="sb"} 1`) {
		t.Errorf("metrics of the tenant backed up:\n%s", prom)
	}
	// A tenant the profiles file lacks is still a bad argument: nothing runs.
	if r := runCLI(t, vars, "backup", "--repo", repo, "--config", profiles, "--tenant", "sb", "--tenant", "nosuch"); r.code != exitUsage {
		t.Errorf("an unknown --tenant: exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
	}
}
