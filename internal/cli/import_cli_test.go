package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/tenant/tenantsim"
	"github.com/connvault/connvault/transform"
)

// sharedReleasedName returns the name of a RELEASED custom connector that
// both tenants have, and its scriptName in b.
func sharedReleasedName(t *testing.T, a, b *tenantsim.Sim) (string, string) {
	t.Helper()
	names := map[string]bool{}
	for _, c := range a.Dump().Connectors {
		if !c.BuiltIn && c.Status == "RELEASED" {
			names[c.Name] = true
		}
	}
	for _, c := range b.Dump().Connectors {
		if !c.BuiltIn && c.Status == "RELEASED" && names[c.Name] {
			return c.Name, c.ScriptName
		}
	}
	t.Fatal("the two seeded tenants share no RELEASED connector name")
	return "", ""
}

func TestPlanImportRollbackCLI(t *testing.T) {
	src, srcVars := startSim(t, tenantsim.Options{Seed: 41, Connectors: 8, MaxLocales: 3, TenantName: "sandbox"})
	dir := t.TempDir()
	bundlePath := filepath.Join(dir, "sandbox.tar.gz")
	args := []string{"export", "--rate", "0", "--locales", "detail", "--out", bundlePath}
	for _, sn := range unlistedScriptNames(src) {
		args = append(args, "--script-name", sn)
	}
	if r := runCLI(t, srcVars, args...); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	prod, vars := startSim(t, tenantsim.Options{Seed: 42, Connectors: 6, MaxLocales: 2, TenantName: "production", ClientID: "prod", ClientSecret: "prod-secret"})
	state := filepath.Join(dir, "state")
	before := prod.Dump()
	// Production has unlisted connectors with sandbox names; as an
	// administrator would, name them in a mapping file.
	mapFile := filepath.Join(dir, "known.json")
	var known importer.Mapping
	known.FormatVersion = 1
	for from, to := range unlistedNameMatches(src.Dump(), prod.Dump()) {
		known.Entries = append(known.Entries, importer.MappingEntry{SourceScriptName: from, TargetScriptName: to})
	}
	if err := importer.WriteMapping(mapFile, known); err != nil {
		t.Fatal(err)
	}
	writes := func() int { return prod.Stats().Writes }

	// Plan, dry run and an unconfirmed import write nothing.
	planPath := filepath.Join(dir, "plan.json")
	r := runCLI(t, vars, "plan", "--rate", "0", "--state-dir", state, "--map", mapFile, "--out", planPath, "--detailed-exitcode", bundlePath)
	if r.code != exitChanges || !strings.Contains(r.stdout, "+ create") || !strings.Contains(r.stdout, "Plan: ") {
		t.Fatalf("plan: exit %d, want 4 with creates:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, vars, "import", "--rate", "0", "--state-dir", state, "--map", mapFile, "--dry-run", bundlePath); r.code != exitOK || !strings.Contains(r.stdout, "Dry run") {
		t.Errorf("import --dry-run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, vars, "import", "--rate", "0", "--state-dir", state, "--map", mapFile, bundlePath); r.code != exitUsage || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("import without a terminal or --yes: exit %d, stderr %q; want 2 naming --yes", r.code, r.stderr)
	}
	if n := writes(); n != 0 {
		t.Fatalf("plan, --dry-run and an unconfirmed import wrote %d times", n)
	}

	// The target drifts after the plan: applying the saved plan is refused,
	// naming the connector.
	name, sn := sharedReleasedName(t, src, prod)
	drifted := prod.Dump()
	for i, c := range drifted.Connectors {
		if c.ScriptName == sn {
			drifted.Connectors[i].SourceConfigXml = strings.Replace(c.SourceConfigXml, "<Form", "<Form description=\"edited by hand\"", 1)
		}
	}
	if err := prod.Restore(drifted); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, vars, "import", "--rate", "0", "--state-dir", state, planPath)
	if r.code != exitError || !strings.Contains(r.stderr, name) {
		t.Errorf("import of a stale plan: exit %d, stderr %q; want 1 naming %q", r.code, r.stderr, name)
	}
	if err := prod.Restore(before); err != nil {
		t.Fatal(err)
	}
	prod.ResetStats()

	// Undrifted, the saved plan applies.
	r = runCLI(t, vars, "import", "--rate", "0", "--state-dir", state, "--json", planPath)
	if r.code != exitOK {
		t.Fatalf("import plan.json: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	paths := importPaths(t, r)
	undo, mappingPath := paths.undo, paths.mapping

	// Every bundle connector is in production by name, with its parts
	// byte-equal after the scriptName remap the mapping file records.
	mapping, err := importer.LoadMapping(mappingPath)
	if err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Open(t.Context(), bundlePath, bundle.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := b.LoadAll()
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]tenantsim.DumpConnector{}
	for _, c := range prod.Dump().Connectors {
		byName[c.Name] = c
	}
	for _, c := range cs {
		got, ok := byName[c.Name]
		if !ok {
			t.Errorf("%q is not in production after the import", c.Name)
			continue
		}
		if mapping[c.ScriptName] != got.ScriptName {
			t.Errorf("mapping of %s = %q, production has %q", c.ScriptName, mapping[c.ScriptName], got.ScriptName)
		}
		want := transform.RemapScriptNames(c, mapping)
		if got.SourceConfigXml != string(want.SourceConfig) || got.ApplicationXml != string(want.SourceTemplate) || got.CorrelationConfigXml != string(want.CorrelationConfig) {
			t.Errorf("%q: XML parts differ from the bundle", c.Name)
		}
		for l, text := range want.Translations {
			if got.Translations[l] != string(text) {
				t.Errorf("%q: translations/%s differ from the bundle", c.Name, l)
			}
		}
	}

	// A second import writes nothing.
	prod.ResetStats()
	if r := runCLI(t, vars, "import", "--rate", "0", "--state-dir", state, "--map", mapFile, "--yes", bundlePath); r.code != exitOK || !strings.Contains(r.stdout, "No changes") {
		t.Errorf("second import: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := writes(); n != 0 {
		t.Errorf("a second import of the same bundle wrote %d times", n)
	}

	// Rollback restores the pre-import state, except what the API cannot
	// undo, which it names.
	r = runCLI(t, vars, "rollback", "--rate", "0", "--state-dir", state, "--yes", undo)
	after := prod.Dump()
	if r.code == exitOK {
		if dumpString(t, after) != dumpString(t, before) {
			t.Error("rollback succeeded but production differs from before the import")
		}
	} else if r.code != exitPartial || !strings.Contains(r.stdout, "locale") || strings.Contains(r.stderr, "0 connectors failed") {
		t.Errorf("rollback: exit %d, want 0, or 3 naming the locales it cannot remove:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if len(after.Connectors) != len(before.Connectors) {
		t.Errorf("after rollback production has %d connectors, before the import %d", len(after.Connectors), len(before.Connectors))
	}
}

func dumpString(t *testing.T, d tenantsim.Dump) string {
	t.Helper()
	sim := tenantsim.New(tenantsim.Options{})
	if err := sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	return dumpJSON(t, sim)
}

func TestImportRefusesBadInputBeforeWriting(t *testing.T) {
	src, srcVars := startSim(t, tenantsim.Options{Seed: 51, Connectors: 4, MaxLocales: 2})
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if r := runCLI(t, srcVars, "export", "--rate", "0", "--locales", "detail", "--out", good+"/"); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	tampered := filepath.Join(dir, "tampered")
	if err := os.CopyFS(tampered, os.DirFS(good)); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(tampered, "connectors", "*", "correlation-config.xml"))
	if len(files) == 0 {
		t.Fatal("no correlation-config.xml in the bundle")
	}
	if err := os.WriteFile(files[0], []byte("<CorrelationConfig name=\"evil\"/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badVersion := write("v3.yaml", "version: 3\n")
	placeholder := write("ph.yaml", "version: 2\nplaceholders: true\nreplace:\n  - from: \"<\"\n    to: \"${MISSING_VALUE}<\"\n    kinds: [correlation-config]\n")
	badMap := write("map.json", `{"formatVersion":1,"entries":[{"sourceScriptName":"x","targetScriptName":"no-such-connector"}]}`)
	var names []string
	for _, c := range src.Dump().Connectors {
		if !c.BuiltIn && c.Status == "RELEASED" {
			names = append(names, c.Name)
		}
	}
	if len(names) < 2 {
		t.Fatal("need two exported connectors")
	}
	collide := write("collide.yaml", fmt.Sprintf("version: 2\nrename:\n  %q: Same\n  %q: Same\n", names[0], names[1]))

	prod, vars := startSim(t, tenantsim.Options{Seed: 52, Connectors: 3})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"tampered bundle", []string{tampered}, "correlation-config.xml"},
		{"unknown rules version", []string{"--rules", badVersion, good}, "version 3"},
		{"unresolved placeholder", []string{"--rules", placeholder, good}, "MISSING_VALUE"},
		{"mapping names a missing connector", []string{"--map", badMap, good}, "no-such-connector"},
		{"conflicting names", []string{"--rules", collide, good}, "Same"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, vars, append([]string{"import", "--rate", "0", "--yes", "--state-dir", filepath.Join(dir, "state")}, tt.args...)...)
			if r.code == exitOK || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want a failure naming %q", r.code, r.stderr, tt.want)
			}
			if n := prod.Stats().Writes; n != 0 {
				t.Errorf("%d writes reached the tenant", n)
			}
		})
	}
}

func TestDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	var r cliRun
	for i := range 2 { // a second demo into the same directory starts afresh
		if r = runCLI(t, nil, "demo", "--dir", dir); r.code != exitOK {
			t.Fatalf("demo (run %d): exit %d:\n%s%s", i+1, r.code, r.stdout, r.stderr)
		}
	}
	for _, want := range []string{"+ create", "Plan: 0 to create, 0 to update, 0 to delete", "→", "connvault export --out"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	for _, f := range []string{"sandbox.tar.gz", "mapping.json", "undo-production.tar.gz"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("demo left no %s: %v", f, err)
		}
	}
	if _, err := bundle.Verify(t.Context(), filepath.Join(dir, "sandbox.tar.gz"), bundle.ReadOptions{}); err != nil {
		t.Errorf("the demo's bundle does not verify: %v", err)
	}
}
