package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

func TestMigrate(t *testing.T) {
	src, srcVars := startSim(t, tenantsim.Options{Seed: 64, Connectors: 4, MaxLocales: 2, TenantName: "sb", ClientID: "sb-client", ClientSecret: "sb-secret"})
	dst, dstVars := startSim(t, tenantsim.Options{Seed: 65, Connectors: 0, TenantName: "prod", ClientID: "prod-client", ClientSecret: "prod-secret"})
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "prod.secret")
	os.WriteFile(secretFile, []byte("prod-secret\n"), 0o600)
	config := filepath.Join(dir, "connvault.yaml")
	os.WriteFile(config, fmt.Appendf(nil, `version: 1
tenants:
  sandbox:
    baseURL: %s
    clientID: sb-client
    clientSecretEnv: SB_SECRET
    rate: "0"
  production:
    baseURL: %s
    clientID: prod-client
    clientSecretFile: %s
    rate: "0"
`, srcVars["SAIL_BASE_URL"], dstVars["SAIL_BASE_URL"], secretFile), 0o600)
	env := map[string]string{"SB_SECRET": "sb-secret"}
	r := runCLI(t, env, "migrate", "--config", config, "--from", "sandbox", "--to", "production", "--state-dir", filepath.Join(dir, "state"), "--yes")
	if r.code != exitOK {
		t.Fatalf("migrate: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	want := map[string]bool{}
	for _, c := range src.Dump().Connectors {
		if !c.BuiltIn && c.Status == "RELEASED" {
			want[c.Name] = true
		}
	}
	for _, c := range dst.Dump().Connectors {
		delete(want, c.Name)
	}
	for n := range want {
		t.Errorf("%q was not migrated", n)
	}
	if strings.Contains(r.stdout+r.stderr, "sb-secret") || strings.Contains(r.stdout+r.stderr, "prod-secret") {
		t.Error("a secret appears in migrate's output")
	}

	// A profiles file holding a secret itself is refused.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\ntenants:\n  x:\n    baseURL: https://x.api.identitynow.com\n    clientSecret: hunter2\n"), 0o600)
	r = runCLI(t, env, "migrate", "--config", bad, "--from", "x", "--to", "x")
	if r.code != exitError || !strings.Contains(r.stderr, "clientSecret") || strings.Contains(r.stderr, "hunter2") {
		t.Errorf("profiles file with a secret: exit %d, stderr %q; want an error naming the key, not the value", r.code, r.stderr)
	}
}

func TestMigrateRefusesBeforeExportingWithoutConfirmation(t *testing.T) {
	src, srcVars := startSim(t, tenantsim.Options{Seed: 68, Connectors: 2, ClientID: "a", ClientSecret: "a-secret"})
	_, dstVars := startSim(t, tenantsim.Options{Seed: 69, Connectors: 0, ClientID: "b", ClientSecret: "b-secret"})
	home := t.TempDir()
	t.Setenv("HOME", home)
	os.WriteFile(filepath.Join(home, "b.secret"), []byte("b-secret\n"), 0o600)
	config := filepath.Join(t.TempDir(), "connvault.yaml")
	os.WriteFile(config, fmt.Appendf(nil, "version: 1\ntenants:\n  a:\n    baseURL: %s\n    clientID: a\n    clientSecretEnv: A_SECRET\n  b:\n    baseURL: %s\n    clientID: b\n    clientSecretFile: ~/b.secret\n",
		srcVars["SAIL_BASE_URL"], dstVars["SAIL_BASE_URL"]), 0o600)
	r := runCLI(t, map[string]string{"A_SECRET": "a-secret"}, "migrate", "--config", config, "--from", "a", "--to", "b", "--state-dir", t.TempDir())
	if r.code != exitUsage || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("migrate without --yes or a terminal: exit %d, stderr %q; want 2 naming --yes", r.code, r.stderr)
	}
	if n := src.Stats().Total; n != 0 {
		t.Errorf("the source tenant got %d requests before the refusal", n)
	}
	// With --dry-run it runs, reading the target's secret from ~/b.secret.
	// Each run keeps its own bundle for audit, even two runs in one second.
	state := t.TempDir()
	for range 2 {
		r = runCLI(t, map[string]string{"A_SECRET": "a-secret"}, "migrate", "--config", config, "--from", "a", "--to", "b", "--state-dir", state, "--rate", "0", "--dry-run")
		if r.code != exitOK || !strings.Contains(r.stdout, "Dry run") {
			t.Errorf("migrate --dry-run: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	if kept, _ := filepath.Glob(filepath.Join(state, "migrate-a-*.tar.gz")); len(kept) != 2 {
		t.Errorf("two migrate runs kept %d bundles, want 2: %v", len(kept), kept)
	}
}
