package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

func TestExportVerifyInspectDiff(t *testing.T) {
	sim, vars := startSim(t, tenantsim.Options{Seed: 3, Connectors: 10, MaxLocales: 3})
	dir := t.TempDir()
	a := filepath.Join(dir, "a.tar.gz")
	common := []string{"--rate", "0", "--locales", "detail"}
	for _, sn := range unlistedScriptNames(sim) {
		common = append(common, "--script-name", sn)
	}
	r := runCLI(t, vars, append([]string{"export", "--out", a, "--json"}, common...)...)
	if r.code != exitOK {
		t.Fatalf("export: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	var sum exportSummary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("export --json output: %v\n%s", err, r.stdout)
	}
	if sum.Connectors != customCount(sim) || !sum.Complete || !strings.HasPrefix(sum.ContentDigest, "sha256:") {
		t.Errorf("summary = %+v, want %d connectors, complete, a digest", sum, customCount(sim))
	}
	fi, err := os.Stat(a)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("bundle file: %v, mode %v; want 0600", err, fi.Mode())
	}

	if r := runCLI(t, nil, "verify", a); r.code != exitOK || !strings.Contains(r.stdout, "ok") {
		t.Errorf("verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "inspect", a)
	if r.code != exitOK {
		t.Fatalf("inspect: exit %d: %s", r.code, r.stderr)
	}
	for _, c := range sim.Dump().Connectors {
		if !c.BuiltIn && !strings.Contains(r.stdout, c.ScriptName) {
			t.Errorf("inspect does not list %s", c.ScriptName)
		}
	}

	// The same tenant gives no difference; a changed one names the part.
	b := filepath.Join(dir, "b")
	if r := runCLI(t, vars, append([]string{"export", "--out", b + "/"}, common...)...); r.code != exitOK {
		t.Fatalf("export to a directory: exit %d: %s", r.code, r.stderr)
	}
	if r := runCLI(t, nil, "diff", "--detailed-exitcode", a, b); r.code != exitOK {
		t.Errorf("diff of two exports of one tenant: exit %d\n%s", r.code, r.stdout)
	}
	d := sim.Dump()
	for i, c := range d.Connectors {
		if !c.BuiltIn && c.Status == "RELEASED" {
			d.Connectors[i].CorrelationConfigXml = strings.Replace(c.CorrelationConfigXml, "<CorrelationConfig", "<CorrelationConfig description=\"changed\"", 1)
			break
		}
	}
	if err := sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	c := filepath.Join(dir, "c.tgz")
	if r := runCLI(t, vars, append([]string{"export", "--out", c}, common...)...); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	r = runCLI(t, nil, "diff", "--content", "--detailed-exitcode", a, c)
	if r.code != exitChanges || !strings.Contains(r.stdout, "correlation-config") || !strings.Contains(r.stdout, `+<CorrelationConfig description="changed"`) {
		t.Errorf("diff after a change: exit %d, want 4 naming correlation-config with the changed line:\n%s", r.code, r.stdout)
	}
}

func TestVerifyRejectsTamperedBundle(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 4, Connectors: 3, MaxLocales: 2})
	dir := filepath.Join(t.TempDir(), "bundle")
	if r := runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--out", dir+"/"); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "connectors", "*", "source-config.xml"))
	if len(files) == 0 {
		t.Fatal("no source-config.xml exported")
	}
	data, _ := os.ReadFile(files[0])
	data[len(data)/2] ^= 1
	if err := os.WriteFile(files[0], data, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "verify", dir)
	rel, _ := filepath.Rel(dir, files[0])
	if r.code != exitError || !strings.Contains(r.stderr, filepath.ToSlash(rel)) {
		t.Errorf("verify of a flipped byte: exit %d, stderr %q; want 1 naming %s", r.code, r.stderr, rel)
	}
}

// An incomplete bundle (a named connector the tenant does not have) exits
// 3 from export, verify and verify --json alike: a script reading the JSON
// must not take it for a whole backup. Export names the failed connector
// once, as "failed: NAME: reason".
func TestVerifyIncompleteExits3(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 5, Connectors: 2, MaxLocales: 1})
	b := filepath.Join(t.TempDir(), "b.tar.gz")
	r := runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--script-name", "no-such-connector", "--out", b)
	if r.code != exitPartial || !strings.Contains(r.stderr, "failed: no-such-connector: ") {
		t.Fatalf("export naming a missing connector: exit %d, want 3 and \"failed: no-such-connector: …\":\n%s", r.code, r.stderr)
	}
	if r = runCLI(t, nil, "verify", b); r.code != exitPartial || !strings.Contains(r.stdout, "incomplete: 1 connector failed at export") {
		t.Errorf("verify: exit %d, want 3:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "verify", b, "--json")
	if doc, _ := oneJSON(t, "verify --json", r).(map[string]any); r.code != exitPartial || doc["complete"] != false {
		t.Errorf("verify --json: exit %d, want 3 with complete false:\n%s%s", r.code, r.stdout, r.stderr)
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
	repo := filepath.Join(t.TempDir(), "repo")
	if r := runCLI(t, vars, "backup", "--repo", repo, "--tenant", "one", "--rate", "0", "--locales", "detail"); r.code != exitOK {
		t.Fatalf("backup: exit %d: %s", r.code, r.stderr)
	}
	if r := runCLI(t, nil, "snapshots", "--repo", repo); !strings.HasSuffix(r.stdout, "\n1 snapshot\n") {
		t.Errorf("snapshots of a repository holding one:\n%s", r.stdout)
	}
}
