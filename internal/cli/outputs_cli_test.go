package cli

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// cancelAtWrite passes requests to a simulated tenant and cancels a run's
// context when its k-th write arrives, before the tenant sees it: what
// Ctrl-C in the middle of an import does.
type cancelAtWrite struct {
	next   http.Handler
	k      int
	cancel context.CancelFunc

	mu     sync.Mutex
	writes int
}

func (h *cancelAtWrite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && !strings.HasPrefix(r.URL.Path, "/oauth/") {
		h.mu.Lock()
		h.writes++
		hit := h.writes == h.k
		h.mu.Unlock()
		if hit {
			h.cancel()
			http.Error(w, "interrupted", http.StatusServiceUnavailable)
			return
		}
	}
	h.next.ServeHTTP(w, r)
}

// readFile returns path's bytes, failing the test if it cannot be read.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// `import --undo PATH` and `--mapping-out PATH` never replace a file that
// exists (an earlier import's undo bundle is its only way back): the import
// is refused before it reads or writes the tenant, exit 2, naming the file,
// and the file is left as it was. The one exception is the run's own file
// when a rerun continues an interrupted import.
func TestImportNeverReplacesAnExistingFile(t *testing.T) {
	_, srcVars := startSim(t, tenantsim.Options{Seed: 71, Connectors: 4, MaxLocales: 2})
	dir := t.TempDir()
	bundlePath := exportTo(t, srcVars, filepath.Join(dir, "sandbox.tar.gz"))
	backup := filepath.Join(dir, "backup.tar.gz") // stands for any file worth keeping
	if err := os.WriteFile(backup, readFile(t, bundlePath), 0o600); err != nil {
		t.Fatal(err)
	}
	prod, vars := startSim(t, tenantsim.Options{Seed: 72, Connectors: 3, TenantName: "production", ClientID: "prod", ClientSecret: "prod-secret"})
	state := filepath.Join(dir, "state")
	refused := func(t *testing.T, path string, args ...string) {
		t.Helper()
		before := readFile(t, path)
		prod.ResetStats()
		r := runCLI(t, vars, append([]string{"import", "--rate", "0", "--yes", "--state-dir", state}, args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, path) || !strings.Contains(r.stderr, "exists") {
			t.Errorf("import %v: exit %d, stderr %q; want 2 naming %s as existing", args, r.code, r.stderr, path)
		}
		if n := prod.Stats().Total; n != 0 {
			t.Errorf("import %v: %d requests reached the tenant before the refusal", args, n)
		}
		if !bytes.Equal(readFile(t, path), before) {
			t.Errorf("import %v replaced %s", args, path)
		}
	}
	for _, flag := range []string{"--undo", "--mapping-out"} {
		t.Run(flag+" over a file", func(t *testing.T) { refused(t, backup, flag, backup, bundlePath) })
	}

	// A finished import's undo bundle and mapping file are kept from the next
	// import given the same paths, whether it has changes to write or none.
	undo, mapping := filepath.Join(dir, "undo.tar.gz"), filepath.Join(dir, "mapping.json")
	if r := runCLI(t, vars, "import", "--rate", "0", "--yes", "--state-dir", state, "--undo", undo, "--mapping-out", mapping, bundlePath); r.code != exitOK {
		t.Fatalf("first import: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	t.Run("the previous import's undo bundle", func(t *testing.T) { refused(t, undo, "--undo", undo, bundlePath) })
	t.Run("the previous import's mapping file", func(t *testing.T) { refused(t, mapping, "--mapping-out", mapping, bundlePath) })
	if r := runCLI(t, vars, "rollback", "--rate", "0", "--yes", "--state-dir", state, undo); r.code != exitOK {
		t.Fatalf("the first import's undo bundle no longer rolls it back: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}

	// An interrupted import continued by the same command keeps writing its
	// own undo bundle and mapping file.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	srv := httptest.NewServer(&cancelAtWrite{next: prod, k: 2, cancel: cancel})
	defer srv.Close()
	cutVars := map[string]string{"SAIL_BASE_URL": srv.URL, "SAIL_CLIENT_ID": "prod", "SAIL_CLIENT_SECRET": "prod-secret"}
	undo2, mapping2 := filepath.Join(dir, "undo2.tar.gz"), filepath.Join(dir, "mapping2.json")
	args := []string{"import", "--rate", "0", "--yes", "--state-dir", state, "--undo", undo2, "--mapping-out", mapping2, bundlePath}
	if r := runCLIContext(ctx, t, cutVars, args...); r.code != exitInterrupted {
		t.Fatalf("interrupted import: exit %d, want 130: %s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(undo2); err != nil {
		t.Fatalf("the interrupted import wrote no undo bundle: %v", err)
	}
	r := runCLI(t, cutVars, args...) // the same target URL: past its k-th write, the wrapper only passes requests on
	if r.code != exitOK || !strings.Contains(r.stdout, "Undo bundle: "+undo2) {
		t.Fatalf("rerun of the interrupted import with its own --undo: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(mapping2); err != nil {
		t.Errorf("the continued import wrote no mapping file: %v", err)
	}
}

// `plan --out PATH` replaces an earlier saved plan, but nothing else: not
// the bundle it plans (the same path given twice), not another file, not a
// directory. It is refused before any request, exit 2, naming the path.
func TestPlanOutReplacesOnlyAPlan(t *testing.T) {
	_, srcVars := startSim(t, tenantsim.Options{Seed: 73, Connectors: 3, MaxLocales: 2})
	dir := t.TempDir()
	bundlePath := exportTo(t, srcVars, filepath.Join(dir, "sandbox.tar.gz"))
	prod, vars := startSim(t, tenantsim.Options{Seed: 74, Connectors: 2})
	other := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(other, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{bundlePath, other} {
		before := readFile(t, out)
		prod.ResetStats()
		r := runCLI(t, vars, "plan", "--rate", "0", "--out", out, bundlePath)
		if r.code != exitUsage || !strings.Contains(r.stderr, out) {
			t.Errorf("plan --out %s: exit %d, stderr %q; want 2 naming it", out, r.code, r.stderr)
		}
		if n := prod.Stats().Total; n != 0 {
			t.Errorf("plan --out %s: %d requests before the refusal", out, n)
		}
		if !bytes.Equal(readFile(t, out), before) {
			t.Errorf("plan --out %s replaced it", out)
		}
	}
	planPath := filepath.Join(dir, "plan.json")
	for i := range 2 { // the second replaces the first
		if r := runCLI(t, vars, "plan", "--rate", "0", "--out", planPath, bundlePath); r.code != exitOK {
			t.Fatalf("plan --out %s (run %d): exit %d: %s", planPath, i+1, r.code, r.stderr)
		}
	}
}

// A command never writes its output over one of its inputs, however the
// two paths are spelled (the same string, ./x for x, a symbolic link, a
// directory bundle with and without its slash): it is refused before
// anything is read, exit 2, and the input is left as it was.
func TestNoCommandWritesOverItsInput(t *testing.T) {
	sim, vars := startSim(t, tenantsim.Options{Seed: 75, Connectors: 3, MaxLocales: 2})
	dir := t.TempDir()
	in := exportTo(t, vars, filepath.Join(dir, "in.tar.gz"))
	dirBundle := exportTo(t, vars, filepath.Join(dir, "dirbundle")+"/")
	link := filepath.Join(dir, "link.tar.gz")
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(dir, "sources.json")
	if err := os.WriteFile(doc, []byte(`{"version": 1, "objects": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	mapping := filepath.Join(dir, "mapping.json")
	if err := importer.WriteMapping(mapping, importer.Mapping{FormatVersion: importer.MappingFormatVersion}); err != nil {
		t.Fatal(err)
	}
	profiles := filepath.Join(dir, "profiles.yaml")
	writeProfiles(t, profiles, vars, vars)
	maps.Copy(vars, profileSecrets(vars, vars))
	rules := writeRules(t, dir, "version: 2\n")
	tests := []struct {
		name  string
		input string // the file that must be left as it was
		args  []string
	}{
		{"transform IN IN", in, []string{"transform", in, in}},
		{"transform IN ./IN", in, []string{"transform", in, dir + "/./in.tar.gz"}},
		{"transform IN through a link", in, []string{"transform", link, in}},
		{"transform onto its rules file", rules, []string{"transform", "--rules", rules, in, rules}},
		{"transform a directory bundle into itself", filepath.Join(dirBundle, "manifest.json"), []string{"transform", dirBundle, strings.TrimSuffix(dirBundle, "/")}},
		{"spconfig-remap IN ./IN", doc, []string{"spconfig-remap", "--map", mapping, doc, dir + "/./sources.json"}},
		{"backup --metrics-file onto --config", profiles, []string{"backup", "--repo", filepath.Join(dir, "repo"), "--config", profiles, "--all", "--metrics-file", profiles}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := readFile(t, tt.input)
			sim.ResetStats()
			r := runCLI(t, vars, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, "input") {
				t.Errorf("%v: exit %d, stderr %q; want 2 saying the output is the input", tt.args, r.code, r.stderr)
			}
			if !bytes.Equal(readFile(t, tt.input), before) {
				t.Errorf("%v replaced its input %s", tt.args, tt.input)
			}
			if n := sim.Stats().Total; n != 0 {
				t.Errorf("%v: %d requests before the refusal", tt.args, n)
			}
		})
	}
}

// `export --out X` over a bundle of another tenant URL is refused (exit 2,
// naming both URLs, before any request): it would replace that tenant's
// export and report its hidden connectors as gone from this one. The same
// tenant replaces its own bundle; --tenant-moved says a tenant moved URL.
func TestExportRefusesAnotherTenantsBundle(t *testing.T) {
	_, aVars := startSim(t, tenantsim.Options{Seed: 76, Connectors: 3, MaxLocales: 2})
	b, bVars := startSim(t, tenantsim.Options{Seed: 77, Connectors: 2, MaxLocales: 2})
	dir := t.TempDir()
	for _, out := range []string{filepath.Join(dir, "a.tar.gz"), filepath.Join(dir, "a-dir") + "/"} {
		exportTo(t, aVars, out)
		exportTo(t, aVars, out) // the same tenant replaces its own
		manifest := out
		if strings.HasSuffix(out, "/") {
			manifest = filepath.Join(out, "manifest.json")
		}
		before := readFile(t, manifest)
		b.ResetStats()
		r := runCLI(t, bVars, "export", "--rate", "0", "--locales", "detail", "--out", out)
		if r.code != exitUsage || !strings.Contains(r.stderr, aVars["SAIL_BASE_URL"]) || !strings.Contains(r.stderr, bVars["SAIL_BASE_URL"]) {
			t.Errorf("export of B --out %s (a bundle of A): exit %d, stderr %q; want 2 naming both tenant URLs", out, r.code, r.stderr)
		}
		if !bytes.Equal(readFile(t, manifest), before) {
			t.Errorf("export of B replaced A's bundle %s", out)
		}
		if n := b.Stats().Total; n != 0 {
			t.Errorf("export of B --out %s: %d requests before the refusal", out, n)
		}
		exportTo(t, bVars, out, "--tenant-moved")
	}
}

// Every output path is checked before the first request: a directory that
// does not exist, or cannot be written, is a usage error naming it (exit
// 2), not a failure after the whole run (export read the whole tenant,
// then failed with "staging: stat").
func TestOutputLocationIsCheckedFirst(t *testing.T) {
	sim, vars := startSim(t, tenantsim.Options{Seed: 78, Connectors: 3, MaxLocales: 2})
	dir := t.TempDir()
	in := exportTo(t, vars, filepath.Join(dir, "in.tar.gz"))
	profiles := filepath.Join(dir, "profiles.yaml")
	writeProfiles(t, profiles, vars, vars)
	maps.Copy(vars, profileSecrets(vars, vars))
	mapping := filepath.Join(dir, "mapping.json")
	if err := importer.WriteMapping(mapping, importer.Mapping{FormatVersion: importer.MappingFormatVersion}); err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(dir, "sources.json")
	if err := os.WriteFile(doc, []byte(`{"version": 1, "objects": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "read-only")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nodir")
	tests := []struct {
		name, want string
		args       []string
	}{
		{"export archive", missing, []string{"export", "--rate", "0", "--out", filepath.Join(missing, "x.tar.gz")}},
		{"export directory two levels down", missing, []string{"export", "--rate", "0", "--out", filepath.Join(missing, "sub") + "/"}},
		{"export into a read-only directory", readOnly, []string{"export", "--rate", "0", "--out", filepath.Join(readOnly, "x.tar.gz")}},
		{"plan --out", missing, []string{"plan", "--rate", "0", "--out", filepath.Join(missing, "plan.json"), in}},
		{"import --undo", missing, []string{"import", "--rate", "0", "--yes", "--state-dir", filepath.Join(dir, "state"), "--undo", filepath.Join(missing, "undo.tar.gz"), in}},
		{"import --mapping-out", readOnly, []string{"import", "--rate", "0", "--yes", "--state-dir", filepath.Join(dir, "state"), "--mapping-out", filepath.Join(readOnly, "m.json"), in}},
		{"backup --metrics-file", missing, []string{"backup", "--repo", filepath.Join(dir, "repo"), "--config", profiles, "--all", "--rate", "0", "--metrics-file", filepath.Join(missing, "m.prom")}},
		{"transform OUT", missing, []string{"transform", in, filepath.Join(missing, "out.tar.gz")}},
		{"spconfig-remap OUT", missing, []string{"spconfig-remap", "--map", mapping, doc, filepath.Join(missing, "out.json")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == readOnly && os.Geteuid() == 0 {
				t.Skip("root writes into a read-only directory")
			}
			sim.ResetStats()
			r := runCLI(t, vars, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("%v: exit %d, stderr %q; want 2 naming %s", tt.args, r.code, r.stderr, tt.want)
			}
			if n := sim.Stats().Total; n != 0 {
				t.Errorf("%v: %d requests before the refusal", tt.args, n)
			}
		})
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("a refused run created %s", missing)
	}
	// One level of a directory bundle is created, as before.
	exportTo(t, vars, filepath.Join(dir, "newdir")+"/")
}
