package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant/tenantsim"
)

func TestExportToStdout(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 61, Connectors: 3, MaxLocales: 2})
	r := runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--json", "--out", "-")
	if r.code != exitOK {
		t.Fatalf("export --out -: exit %d: %s", r.code, r.stderr)
	}
	path := filepath.Join(t.TempDir(), "from-stdout.tar.gz")
	if err := os.WriteFile(path, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := bundle.Verify(t.Context(), path, bundle.ReadOptions{})
	if err != nil {
		t.Fatalf("the archive written to stdout does not verify: %v", err)
	}
	if len(m.Connectors) == 0 || !strings.Contains(r.stderr, `"contentDigest": "`+m.ContentDigest) {
		t.Errorf("%d connectors; stderr %q; want the JSON summary on stderr", len(m.Connectors), r.stderr)
	}
}

func TestInterruptedExportLeavesNothing(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 62, Connectors: 30, Latency: 20 * time.Millisecond})
	dir := t.TempDir()
	out := filepath.Join(dir, "backup.tar.gz")
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return vars[k] }}
	code := runEnv(ctx, []string{"connvault", "export", "--rate", "0", "--concurrency", "2", "--out", out}, e)
	if code != exitInterrupted {
		t.Errorf("exit %d, want %d (interrupted); stderr %q", code, exitInterrupted, stderr.String())
	}
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		t.Errorf("an interrupted export left %s in the destination directory", en.Name())
	}
}

func TestTransformCommand(t *testing.T) {
	sim, vars := startSim(t, tenantsim.Options{Seed: 63, Connectors: 4, MaxLocales: 2})
	dir := t.TempDir()
	in := filepath.Join(dir, "in.tar.gz")
	if r := runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--out", in); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	var name string
	for _, c := range sim.Dump().Connectors {
		if !c.BuiltIn && c.Status == "RELEASED" {
			name = c.Name
			break
		}
	}
	rules := filepath.Join(dir, "rules.yaml")
	values := filepath.Join(dir, "values.yaml")
	os.WriteFile(rules, fmt.Appendf(nil, "version: 2\nplaceholders: true\nrename:\n  %q: Renamed For Prod\nreplace:\n  - from: \"<CorrelationConfig\"\n    to: \"<!-- ${ENV_LABEL} --><CorrelationConfig\"\n    kinds: [correlation-config]\n", name), 0o600)
	os.WriteFile(values, []byte("ENV_LABEL: production\n"), 0o600)
	out := filepath.Join(dir, "out.tar.gz")
	r := runCLI(t, nil, "transform", "--rules", rules, "--values", values, in, out)
	if r.code != exitOK {
		t.Fatalf("transform: exit %d: %s", r.code, r.stderr)
	}
	b, err := bundle.Open(t.Context(), out, bundle.ReadOptions{})
	if err != nil {
		t.Fatalf("transformed bundle: %v", err)
	}
	defer b.Close()
	cs, err := b.LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	renamed := false
	for _, c := range cs {
		if c.Name == name {
			t.Errorf("%q was not renamed", name)
		}
		if c.Name == "Renamed For Prod" {
			renamed = true
		}
		if c.CorrelationConfig != nil && !bytes.Contains(c.CorrelationConfig, []byte("<!-- production -->")) {
			t.Errorf("%s: placeholder not substituted in correlation-config", c.Name)
		}
	}
	if !renamed {
		t.Error("no connector named \"Renamed For Prod\" in the output")
	}
	// Without a value, the placeholder is an error naming it; nothing is written.
	os.Remove(values)
	out2 := filepath.Join(dir, "out2.tar.gz")
	if r := runCLI(t, nil, "transform", "--rules", rules, in, out2); r.code != exitError || !strings.Contains(r.stderr, "ENV_LABEL") {
		t.Errorf("transform with an unresolved placeholder: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Error("a failed transform left its output")
	}
}

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
	r = runCLI(t, map[string]string{"A_SECRET": "a-secret"}, "migrate", "--config", config, "--from", "a", "--to", "b", "--state-dir", t.TempDir(), "--rate", "0", "--dry-run")
	if r.code != exitOK || !strings.Contains(r.stdout, "Dry run") {
		t.Errorf("migrate --dry-run: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestDiffOfAnIncompleteBundle(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 70, Connectors: 6, MaxLocales: 2})
	dir := t.TempDir()
	full := filepath.Join(dir, "full.tar.gz")
	if r := runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--out", full); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	// A connector that cannot be read makes the second export incomplete.
	inc := filepath.Join(dir, "inc.tar.gz")
	if r := runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--script-name", "no-such-connector", "--out", inc); r.code != exitPartial {
		t.Fatalf("export with an unknown --script-name: exit %d, want 3: %s", r.code, r.stderr)
	}
	r := runCLI(t, nil, "diff", full, inc)
	if r.code != exitOK || !strings.Contains(r.stdout, "warning: bundle B is incomplete") {
		t.Errorf("diff against an incomplete bundle: exit %d, want a warning:\n%s", r.code, r.stdout)
	}
}
