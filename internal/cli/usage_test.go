package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"export", "--nope"}, "nope"},
		{"missing out", []string{"export"}, "out"},
		{"bad locale", []string{"export", "--out", "x.tar.gz", "--locales", "xx"}, "xx"},
		{"bad rate", []string{"export", "--out", "x.tar.gz", "--rate", "fast"}, "--rate"},
		{"verify without bundle", []string{"verify"}, "one bundle"},
		{"bad api", []string{"export", "--out", "x.tar.gz", "--api", "v3"}, "--api"},
		{"unknown command", []string{"frobnicate"}, "frobnicate"},
		{"argument after the flags", []string{"export", "--out", "x.tar.gz", "extra"}, "no arguments"},
		{"argument to demo", []string{"demo", "connvault-demo"}, "no arguments"},
		{"argument to sim", []string{"sim", "--connectors", "2", "extra"}, "no arguments"},
		{"argument to migrate", []string{"migrate", "--from", "a", "--to", "b", "production"}, "no arguments"},
		{"help for an unknown command", []string{"help", "frobnicate"}, "frobnicate"},
		{"unknown log level", []string{"export", "--out", "x.tar.gz", "--log-level", "verbose"}, "debug, info, warn, error"},
		{"no bundle form", []string{"export", "--out", "foo.zip"}, "foo.zip"},
		{"bad SOURCE_DATE_EPOCH", []string{"export", "--out", "x.tar.gz"}, "SOURCE_DATE_EPOCH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"SAIL_BASE_URL": "http://127.0.0.1:1", "SAIL_CLIENT_ID": "id", "SAIL_CLIENT_SECRET": "secret"}
			if tt.name == "bad SOURCE_DATE_EPOCH" {
				vars["SOURCE_DATE_EPOCH"] = "99999999999999"
			}
			r := runCLI(t, vars, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr+r.stdout, tt.want) {
				t.Errorf("exit %d, output %q; want 2 mentioning %q", r.code, r.stderr+r.stdout, tt.want)
			}
		})
	}
}

func TestMissingConfigurationNamesTheVariable(t *testing.T) {
	r := runCLI(t, map[string]string{"SAIL_BASE_URL": "https://acme.api.identitynow.com"}, "export", "--out", filepath.Join(t.TempDir(), "x.tar.gz"))
	if r.code != exitError || !strings.Contains(r.stderr, "SAIL_CLIENT_ID") {
		t.Errorf("exit %d, stderr %q; want 1 naming SAIL_CLIENT_ID", r.code, r.stderr)
	}
}

// A tenant name that the profiles file does not hold is a bad argument
// (exit 2), as a --tenant the repository holds nothing of is, naming the
// tenants the file has, in order: for backup --tenant, migrate --from and
// --to, and restore --to. It exited 1, as if the tenant had failed.
func TestTenantNotInProfilesIsABadArgument(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "connvault.yaml")
	unreachable := map[string]string{"SAIL_BASE_URL": "http://127.0.0.1:1", "SAIL_CLIENT_ID": "id", "SAIL_CLIENT_SECRET": "secret"}
	writeProfiles(t, config, unreachable, unreachable)
	repo := filepath.Join(dir, "repo")
	for _, args := range [][]string{
		{"backup", "--repo", repo, "--config", config, "--tenant", "nope"},
		{"backup", "--repo", repo, "--config", config, "--tenant", "sb", "--tenant", "nope"},
		{"migrate", "--config", config, "--from", "nope", "--to", "prod", "--state-dir", dir},
		{"migrate", "--config", config, "--from", "sb", "--to", "nope", "--state-dir", dir},
		{"restore", "--repo", repo, "--config", config, "--to", "nope", "--state-dir", dir, "latest"},
	} {
		r := runCLI(t, profileSecrets(unreachable, unreachable), args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, `no tenant "nope" in the profiles file (it has: prod, sb)`) {
			t.Errorf("%s: exit %d, want 2 naming the tenants of the file:\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
}
