//go:build unix

package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// runCLIStdin is runCLI with stdin read from in.
func runCLIStdin(t *testing.T, vars map[string]string, in []byte, args ...string) cliRun {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: bytes.NewReader(in), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code := runEnv(t.Context(), append([]string{"connvault"}, args...), e)
	return cliRun{code: code, stdout: out.String(), stderr: errb.String()}
}

// A bundle piped in as "-": export --out - | verify - (and inspect, diff,
// transform, plan, import read "-" too).
func TestReadersAcceptStdin(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 111, Connectors: 2, MaxLocales: 2})
	exported := runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--out", "-")
	if exported.code != exitOK {
		t.Fatalf("export --out -: exit %d: %s", exported.code, exported.stderr)
	}
	archive := []byte(exported.stdout)
	file := filepath.Join(t.TempDir(), "b.tar.gz")
	os.WriteFile(file, archive, 0o600)
	for _, args := range [][]string{
		{"verify", "-"},
		{"inspect", "-"},
		{"diff", "-", file, "--detailed-exitcode"},
		{"transform", "-", filepath.Join(t.TempDir(), "out.tar.gz")},
		{"plan", "-", "--rate", "0", "--state-dir", t.TempDir()},
	} {
		r := runCLIStdin(t, vars, archive, args...)
		if r.code != exitOK {
			t.Errorf("%s: exit %d:\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}
	if r := runCLIStdin(t, vars, archive, "diff", "-", "-"); r.code != exitUsage || !strings.Contains(r.stderr, "once") {
		t.Errorf("diff - -: exit %d, stderr %q; want 2 (stdin is read once)", r.code, r.stderr)
	}
	if r := runCLIStdin(t, vars, archive, "plan", "-", "--out", filepath.Join(t.TempDir(), "p.json")); r.code != exitUsage {
		t.Errorf("plan - --out: exit %d, want 2 (a saved plan needs the bundle as a file)", r.code)
	}
}

// export --out - refuses to write an archive onto a terminal, before any request.
func TestExportToStdoutRefusesATerminal(t *testing.T) {
	sim, vars := startSim(t, tenantsim.Options{Seed: 112, Connectors: 2})
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	var errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: tty, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code := runEnv(t.Context(), []string{"connvault", "export", "--out", "-"}, e)
	if code != exitUsage || !strings.Contains(errb.String(), "terminal") {
		t.Errorf("export --out - on a terminal: exit %d, stderr %q; want 2 naming the terminal", code, errb.String())
	}
	if n := sim.Stats().Total; n != 0 {
		t.Errorf("%d requests before the refusal", n)
	}
}

// A profiles file's clientSecretFile: ./x is found beside the profiles file,
// whatever the working directory.
func TestProfilesSecretFileRelativeToTheFile(t *testing.T) {
	_, sbVars := startSim(t, tenantsim.Options{Seed: 113, Connectors: 2, ClientID: "sb", ClientSecret: "sb-secret"})
	_, prodVars := startSim(t, tenantsim.Options{Seed: 114, Connectors: 0, ClientID: "prod", ClientSecret: "prod-secret"})
	confDir := t.TempDir()
	os.WriteFile(filepath.Join(confDir, "sb.secret"), []byte("sb-secret\n"), 0o600)
	os.MkdirAll(filepath.Join(confDir, "secrets"), 0o700)
	os.WriteFile(filepath.Join(confDir, "secrets", "prod"), []byte("prod-secret\n"), 0o600)
	config := filepath.Join(confDir, "connvault.yaml")
	os.WriteFile(config, fmt.Appendf(nil, "version: 1\ntenants:\n  sb:\n    baseURL: %s\n    clientID: sb\n    clientSecretFile: ./sb.secret\n  prod:\n    baseURL: %s\n    clientID: prod\n    clientSecretFile: secrets/prod\n",
		sbVars["SAIL_BASE_URL"], prodVars["SAIL_BASE_URL"]), 0o600)
	t.Chdir(t.TempDir()) // elsewhere
	r := runCLI(t, nil, "migrate", "--config", config, "--from", "sb", "--to", "prod", "--rate", "0", "--state-dir", t.TempDir(), "--dry-run")
	if r.code != exitOK {
		t.Errorf("migrate with secret files beside the profiles file: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A saved plan applied against another tenant is refused before the plan
// is printed, and before any write.
func TestSavedPlanForAnotherTenantRefusedFirst(t *testing.T) {
	_, srcVars := startSim(t, tenantsim.Options{Seed: 115, Connectors: 2, MaxLocales: 2})
	_, aVars := startSim(t, tenantsim.Options{Seed: 116, Connectors: 0, TenantName: "a"})
	other, bVars := startSim(t, tenantsim.Options{Seed: 117, Connectors: 0, TenantName: "b"})
	dir := t.TempDir()
	b, plan := filepath.Join(dir, "b.tar.gz"), filepath.Join(dir, "plan.json")
	if r := runCLI(t, srcVars, "export", "--rate", "0", "--locales", "detail", "--out", b); r.code != exitOK {
		t.Fatalf("export: %s", r.stderr)
	}
	if r := runCLI(t, aVars, "plan", b, "--rate", "0", "--state-dir", dir, "--out", plan); r.code != exitOK {
		t.Fatalf("plan: %s", r.stderr)
	}
	other.ResetStats()
	r := runCLI(t, bVars, "import", plan, "--rate", "0", "--state-dir", dir)
	if r.code == exitOK || !strings.Contains(r.stderr, "made for "+aVars["SAIL_BASE_URL"]) {
		t.Errorf("import of a plan for another tenant: exit %d, stderr %q; want a refusal naming the tenant", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, "create") || r.stdout != "" {
		t.Errorf("the plan was printed before the refusal:\n%s", r.stdout)
	}
	if n := other.Stats().Writes; n != 0 {
		t.Errorf("%d writes to the wrong tenant", n)
	}
}

// Counts read as English: "1 connector", not "1 connectors".
func TestOneConnectorIsSingular(t *testing.T) {
	sim, vars := startSim(t, tenantsim.Options{Seed: 118, Connectors: 1, MaxLocales: 1})
	b := filepath.Join(t.TempDir(), "b.tar.gz")
	args := []string{"export", "--rate", "0", "--locales", "detail", "--out", b}
	for _, sn := range released(sim)[1:] {
		args = append(args, "--exclude", sn.Name)
	}
	r := runCLI(t, vars, args...)
	if r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	outputs := r.stdout + runCLI(t, nil, "verify", b).stdout + runCLI(t, nil, "inspect", b).stdout
	if strings.Contains(outputs, "1 connectors") || !strings.Contains(outputs, "1 connector") {
		t.Errorf("output of a one-connector bundle:\n%s", outputs)
	}
}
