package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
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

// pipedBundle starts a simulated tenant of two connectors and exports it
// with --out -; it returns the tenant's SAIL_* variables, the archive and a
// file holding it.
func pipedBundle(t *testing.T, seed int64) (vars map[string]string, archive []byte, file string) {
	t.Helper()
	_, vars = startSim(t, tenantsim.Options{Seed: seed, Connectors: 2, MaxLocales: 2})
	exported := runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--out", "-")
	if exported.code != exitOK {
		t.Fatalf("export --out -: exit %d: %s", exported.code, exported.stderr)
	}
	file = filepath.Join(t.TempDir(), "b.tar.gz")
	if err := os.WriteFile(file, []byte(exported.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	return vars, []byte(exported.stdout), file
}

// A bundle piped in as "-": export --out - | verify - (and inspect, diff,
// transform, plan, import read "-" too).
func TestReadersAcceptStdin(t *testing.T) {
	vars, archive, file := pipedBundle(t, 111)
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

// corruptArchive returns archive (a bundle .tar.gz) with one byte of its
// first connector.json changed: the sha256 in the manifest no longer matches.
func corruptArchive(t *testing.T, archive []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tr, tw := tar.NewReader(zr), tar.NewWriter(zw)
	done := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if !done && strings.HasSuffix(h.Name, "connector.json") {
			data[len(data)/2] ^= 1
			done = true
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	if err := tw.Close(); err != nil || zw.Close() != nil || !done {
		t.Fatalf("corrupt the archive: %v (changed a connector.json: %t)", err, done)
	}
	return out.Bytes()
}

// Every command that reads a bundle from "-" names it "standard input" in
// its errors and messages ("-" in JSON, as given), never by the temporary
// copy it reads it from: a valid bundle, one whose hashes do not match, one
// that is no archive at all, and nothing.
func TestStdinNamedStandardInput(t *testing.T) {
	vars, valid, file := pipedBundle(t, 112)
	readers := [][]string{
		{"verify", "-"}, {"verify", "-", "--json"}, {"inspect", "-"}, {"inspect", "-", "--json"},
		{"diff", "-", file}, {"diff", file, "-", "--json"},
		{"transform", "-", filepath.Join(t.TempDir(), "out.tar.gz")},
		{"plan", "-", "--rate", "0", "--state-dir", ""}, {"plan", "-", "--rate", "0", "--json", "--state-dir", ""},
		{"import", "-", "--rate", "0", "--dry-run", "--state-dir", ""}, {"import", "-", "--rate", "0", "--yes", "--json", "--state-dir", ""},
	}
	for _, in := range []struct {
		name string
		data []byte
		want string // in stderr; "" for a valid bundle
	}{
		{"valid", valid, ""},
		{"corrupt", corruptArchive(t, valid), "invalid bundle standard input: connectors/"},
		{"not an archive", []byte("not a bundle\n"), "invalid bundle standard input: not a gzip-compressed tar archive"},
		{"empty", nil, "from standard input, which was empty"},
	} {
		for _, args := range readers {
			if args[len(args)-1] == "" {
				args = append(slices.Clone(args[:len(args)-1]), t.TempDir())
			}
			r := runCLIStdin(t, vars, in.data, args...)
			what := fmt.Sprintf("%s < %s", strings.Join(args, " "), in.name)
			if strings.Contains(r.stdout+r.stderr, "connvault-stdin") {
				t.Errorf("%s names the temporary copy of stdin:\n%s%s", what, r.stdout, r.stderr)
			}
			if in.want != "" {
				if r.code == exitOK || !strings.Contains(r.stderr, in.want) {
					t.Errorf("%s: exit %d, stderr %q; want an error with %q", what, r.code, r.stderr, in.want)
				}
				continue
			}
			if r.code != exitOK {
				t.Errorf("%s: exit %d:\n%s%s", what, r.code, r.stdout, r.stderr)
			}
			switch {
			case args[0] == "verify" && !slices.Contains(args, "--json") && !strings.HasPrefix(r.stdout, "standard input: ok"):
				t.Errorf("%s: %q, want it to start with %q", what, r.stdout, "standard input: ok")
			case args[0] == "verify" && slices.Contains(args, "--json") && !strings.Contains(r.stdout, `"bundle": "-"`):
				t.Errorf("%s: %s, want \"bundle\": \"-\"", what, r.stdout)
			case args[0] == "plan" && slices.Contains(args, "--json") && !strings.Contains(r.stdout, `"path": "-"`):
				t.Errorf("%s: %s, want the bundle's path \"-\"", what, r.stdout)
			case (args[0] == "plan" || args[0] == "import") && !slices.Contains(args, "--json") && !strings.Contains(r.stdout, "Bundle: standard input\n"):
				t.Errorf("%s:\n%s\nwant Bundle: standard input", what, r.stdout)
			}
		}
	}
	if r := runCLIStdin(t, vars, valid, "diff", "-", "-"); !strings.Contains(r.stderr, "standard input (-) can be read only once") {
		t.Errorf("diff - -: %q", r.stderr)
	}
}
