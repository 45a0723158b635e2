package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
