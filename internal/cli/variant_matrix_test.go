package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/tenant/tenantsim"
	"github.com/connvault/connvault/transform"
)

// matrixPageCap is the page-cap cell's N: below the client's limit of 250
// and below the number of connectors listed, so the list has several pages.
const matrixPageCap = 4

// undecidable is a cell beyond one key at a time: a tenant whose detail
// shows only the locale asked for and that answers a missing locale with the
// en text. An absent locale cannot be told from one whose text equals en's
// there, so the export must report those locales and store none of them.
const undecidable = "detail-locales=requested,missing-locale=en"

// variantCells are the matrix's cells: the default, then every other value
// of every variant key, one key at a time (not the product of all keys),
// then the undecidable combination.
func variantCells() []string {
	cells := []string{"default", undecidable}
	for _, k := range tenantsim.VariantKeys() {
		for _, v := range k.Values[1:] {
			if v == "N" {
				v = fmt.Sprint(matrixPageCap)
			}
			cells = append(cells, k.Key+"="+v)
		}
	}
	return cells
}

// TestVariantMatrix runs the same end-to-end journey against tenants of
// every variant: export → verify → import into an empty tenant and into a
// drifted one → plan shows no change → re-export → compare → rollback.
// What connvault cannot tell under a variant must be reported, never stored
// as if known (README, "Assumptions about ISC").
func TestVariantMatrix(t *testing.T) {
	for _, cell := range variantCells() {
		t.Run(cell, func(t *testing.T) {
			t.Parallel()
			v, err := tenantsim.ParseVariants(cell)
			if err != nil {
				t.Fatal(err)
			}
			runVariantCell(t, v)
		})
	}
}

func runVariantCell(t *testing.T, v tenantsim.Variants) {
	if v.ListOrder == "unstable" {
		// An order that changes between calls shows only across pages:
		// every list of this cell (export, plan, import, rollback) needs
		// several, and no single pass sees every connector.
		v.PageCap = matrixPageCap
	}
	dir := t.TempDir()
	src, srcVars := startSim(t, tenantsim.Options{Seed: 61, Connectors: 9, MaxLocales: 3, TenantName: "sandbox", Variants: v})
	listed := prepareSource(t, src)

	// Export: every listed custom connector, each part as the tenant holds
	// it, exactly the locales it has.
	srcBundle := filepath.Join(dir, "sandbox.tar.gz")
	r := runCLI(t, srcVars, "export", "--rate", "0", "--out", srcBundle)
	if r.code != exitOK {
		t.Fatalf("export: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	exported, manifest := loadBundleManifest(t, srcBundle)
	checkExport(t, listed, exported, manifest, r)
	if wantAmbiguity := v.DetailLocales == "requested" && v.MissingLocale == "en"; wantAmbiguity != (len(manifest.Ambiguous) > 0) {
		t.Errorf("export: manifest records %d ambiguities; want some exactly when the tenant's answers cannot tell (%t)", len(manifest.Ambiguous), wantAmbiguity)
	}
	if r := runCLI(t, nil, "verify", srcBundle); r.code != exitOK {
		t.Fatalf("verify: exit %d: %s", r.code, r.stderr)
	}
	cheapest(t, srcVars, listed, dir)

	// Import into an empty tenant: everything is created; a plan afterwards
	// shows no change.
	empty, emptyVars := startSim(t, tenantsim.Options{Seed: 62, TenantName: "empty", ClientID: "e", ClientSecret: "e-secret", Variants: v})
	emptyState := filepath.Join(dir, "empty-state")
	r = runCLI(t, emptyVars, "import", "--rate", "0", "--state-dir", emptyState, "--yes", "--json", srcBundle)
	if r.code != exitOK {
		t.Fatalf("import into an empty tenant: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkImported(t, empty.Dump(), exported, importPaths(t, r).mapping)
	noChanges(t, "plan against the filled empty tenant", emptyVars, emptyState, srcBundle, nil)

	// Import into a drifted tenant: updates, creates, a target-only
	// connector kept, and a bundle connector's name held by an unlisted
	// connector, which is reported as taken until a mapping names it.
	prod, prodVars := startSim(t, tenantsim.Options{TenantName: "production", ClientID: "p", ClientSecret: "p-secret", Variants: v})
	hidden := drift(t, prod, src.Dump(), exported)
	before := prod.Dump()
	prodState := filepath.Join(dir, "prod-state")
	r = runCLI(t, prodVars, "import", "--rate", "0", "--state-dir", prodState, "--yes", "--json", srcBundle)
	if r.code != exitPartial || !strings.Contains(r.stdout, hidden.Name) || !strings.Contains(r.stdout+r.stderr, "already exists") {
		t.Fatalf("import with a name held by an unlisted connector: exit %d, want 3 naming %q as taken:\n%s%s", r.code, hidden.Name, r.stdout, r.stderr)
	}
	if n := countNamed(prod.Dump(), hidden.Name); n != 1 {
		t.Fatalf("%d connectors named %q after a refused create, want the one that was there", n, hidden.Name)
	}
	mapFile := filepath.Join(dir, "known.json")
	if err := importer.WriteMapping(mapFile, importer.Mapping{FormatVersion: 1, Entries: []importer.MappingEntry{{SourceScriptName: hidden.source, TargetScriptName: hidden.ScriptName}}}); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, prodVars, "import", "--rate", "0", "--state-dir", prodState, "--map", mapFile, "--yes", "--json", srcBundle)
	if r.code != exitOK {
		t.Fatalf("import into the drifted tenant with the mapping: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	paths := importPaths(t, r)
	after := prod.Dump()
	checkImported(t, after, exported, paths.mapping)
	checkKept(t, before, after, exported)
	noChanges(t, "plan against the imported drifted tenant", prodVars, prodState, srcBundle, []string{"--map", mapFile})

	// Re-export the target and compare with the source bundle.
	again := filepath.Join(dir, "production.tar.gz")
	args := []string{"export", "--rate", "0", "--out", again}
	for _, c := range after.Connectors {
		if !c.BuiltIn && c.Status != "RELEASED" {
			args = append(args, "--script-name", c.ScriptName)
		}
	}
	if r := runCLI(t, prodVars, args...); r.code != exitOK {
		t.Fatalf("re-export: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	reexported := map[string]bundle.Connector{}
	cs, _ := loadBundleManifest(t, again)
	for _, c := range cs {
		reexported[c.Name] = c
	}
	mapping := loadMapping(t, paths.mapping)
	for _, c := range exported {
		got, ok := reexported[c.Name]
		if !ok {
			t.Errorf("re-export: %q is missing", c.Name)
			continue
		}
		want := transform.RemapScriptNames(c, mapping)
		for _, d := range partDiffs(partsOf(want), partsOf(got), false) {
			t.Errorf("re-export: %q: %s", c.Name, d)
		}
	}

	// Rollback restores every pre-image; what the API cannot undo (a locale
	// the import added) is named.
	r = runCLI(t, prodVars, "rollback", "--rate", "0", "--state-dir", prodState, "--yes", paths.undo)
	if r.code != exitOK && (r.code != exitPartial || !strings.Contains(r.stdout, "locale")) {
		t.Fatalf("rollback: exit %d, want 0, or 3 naming the locales it cannot remove:\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkRolledBack(t, before, prod.Dump())
}

// cheapest: export and backup with --parts detail, the cheapest mode, hold
// every part of every listed custom connector too (what the detail does not
// carry is read per part, and said on stderr), or say they are incomplete.
func cheapest(t *testing.T, vars map[string]string, listed []tenantsim.DumpConnector, dir string) {
	t.Helper()
	out := filepath.Join(dir, "detail.tar.gz")
	r := runCLI(t, vars, "export", "--rate", "0", "--parts", "detail", "--out", out)
	if r.code != exitOK {
		t.Fatalf("export --parts detail: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	exported, manifest := loadBundleManifest(t, out)
	checkExport(t, listed, exported, manifest, r)
	if sw := manifest.Reads.Switched; len(sw) > 0 && !strings.Contains(r.stderr, sw[0]) {
		t.Errorf("export --parts detail read %q per part without saying so:\n%s", sw, r.stderr)
	}

	repo := filepath.Join(dir, "repo")
	r = runCLI(t, vars, "backup", "--repo", repo, "--tenant", "sandbox", "--rate", "0", "--parts", "detail", "--json")
	row := backupRows(t, r)["sandbox"]
	if r.code != exitOK || row.Result != "stored" {
		t.Fatalf("backup --parts detail: exit %d, %+v:\n%s%s", r.code, row, r.stdout, r.stderr)
	}
	snap, manifest := loadBundleManifest(t, filepath.Join(repo, "tenants", "sandbox", "snapshots", row.Snapshot+".tar.gz"))
	checkExport(t, listed, snap, manifest, r)
}

// prepareSource gives one listed custom connector of src an empty
// connectorMetadata (so that an import has to empty a target's) and returns
// the listed custom connectors.
func prepareSource(t *testing.T, src *tenantsim.Sim) []tenantsim.DumpConnector {
	t.Helper()
	d := src.Dump()
	var listed []tenantsim.DumpConnector
	for i, c := range d.Connectors {
		if c.BuiltIn || c.Status != "RELEASED" {
			continue
		}
		if len(listed) == 1 {
			d.Connectors[i].ConnectorMetadata = nil
			c = d.Connectors[i]
		}
		listed = append(listed, c)
	}
	if len(listed) < 7 {
		t.Fatalf("the source lists %d custom connectors, the journey needs 7", len(listed))
	}
	if err := src.Restore(d); err != nil {
		t.Fatal(err)
	}
	return listed
}

// checkExport: every listed custom connector is in the bundle, with each
// part canonically equal to the tenant's and exactly its locales, but for
// locales the manifest records as ambiguous, which must also be named in the
// output. A connector left out must be named in the output.
func checkExport(t *testing.T, listed []tenantsim.DumpConnector, got []bundle.Connector, m bundle.Manifest, r cliRun) {
	t.Helper()
	byScript := map[string]bundle.Connector{}
	for _, c := range got {
		byScript[c.ScriptName] = c
	}
	ambiguous := map[string]bool{}
	for _, a := range m.Ambiguous {
		for _, l := range a.Locales {
			ambiguous[a.ScriptName+"/translations/"+l] = true
		}
		if !strings.Contains(r.stderr, "ambiguous: "+a.Name) {
			t.Errorf("export: the ambiguity of %q is not in the output", a.Name)
		}
	}
	for _, want := range listed {
		c, ok := byScript[want.ScriptName]
		if !ok {
			if !strings.Contains(r.stdout+r.stderr, want.Name) && !strings.Contains(r.stdout+r.stderr, want.ScriptName) {
				t.Errorf("export: listed custom connector %q is neither in the bundle nor named in the output", want.Name)
			}
			continue
		}
		wantParts := dumpParts(want)
		for name := range wantParts {
			if ambiguous[want.ScriptName+"/"+name] {
				delete(wantParts, name)
			}
		}
		for _, diff := range partDiffs(wantParts, partsOf(c), true) {
			t.Errorf("export: %q: %s", want.Name, diff)
		}
	}
}

// parts is a connector's content by part name ("translations/de" for a locale).
type parts map[string][]byte

func partsOf(c bundle.Connector) parts {
	p := parts{
		bundle.KindSourceConfig:      c.SourceConfig,
		bundle.KindSourceTemplate:    c.SourceTemplate,
		bundle.KindCorrelationConfig: c.CorrelationConfig,
	}
	for l, b := range c.Translations {
		p["translations/"+l] = b
	}
	return p
}

func dumpParts(c tenantsim.DumpConnector) parts {
	p := parts{
		bundle.KindSourceConfig:      []byte(c.SourceConfigXml),
		bundle.KindSourceTemplate:    []byte(c.ApplicationXml),
		bundle.KindCorrelationConfig: []byte(c.CorrelationConfigXml),
	}
	for l, s := range c.Translations {
		p["translations/"+l] = []byte(s)
	}
	return p
}

// partDiffs lists how got differs from want, comparing canonical forms.
// With exact, got must have no part want lacks (no false locale); else a
// locale got has beyond want is fine (ISC cannot delete one).
func partDiffs(want, got parts, exact bool) []string {
	var out []string
	for _, name := range sortedKeys(want) {
		g, ok := got[name]
		switch {
		case !ok:
			out = append(out, name+" is missing")
		case !bundle.CanonicalEqual(kindOf(name), want[name], g):
			out = append(out, fmt.Sprintf("%s differs: want %.60q…, got %.60q…", name, want[name], g))
		}
	}
	if exact {
		for _, name := range sortedKeys(got) {
			if _, ok := want[name]; !ok {
				out = append(out, name+" is stored but the tenant has no such part (a false locale)")
			}
		}
	}
	return out
}

func kindOf(part string) string {
	if strings.HasPrefix(part, "translations/") {
		return bundle.KindTranslations
	}
	return part
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func loadBundleManifest(t *testing.T, path string) ([]bundle.Connector, bundle.Manifest) {
	t.Helper()
	b, err := bundle.Open(t.Context(), path, bundle.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cs, err := b.LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	return cs, b.Manifest
}

func loadMapping(t *testing.T, path string) map[string]string {
	t.Helper()
	m, err := importer.LoadMapping(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type importOutput struct{ undo, mapping string }

// importPaths reads the undo bundle and mapping file paths of import --json.
func importPaths(t *testing.T, r cliRun) importOutput {
	t.Helper()
	var out importOutput
	for _, line := range strings.Split(r.stdout, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), `"undoPath": "`); ok {
			out.undo = strings.TrimSuffix(strings.TrimSuffix(v, ","), `"`)
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), `"mappingPath": "`); ok {
			out.mapping = strings.TrimSuffix(strings.TrimSuffix(v, ","), `"`)
		}
	}
	if out.undo == "" || out.mapping == "" {
		t.Fatalf("import --json names no undo bundle or mapping file:\n%s", r.stdout)
	}
	return out
}

// checkImported: every bundle connector is in the tenant by name with its
// parts (remapped) and connectorMetadata.
func checkImported(t *testing.T, d tenantsim.Dump, exported []bundle.Connector, mappingPath string) {
	t.Helper()
	mapping := loadMapping(t, mappingPath)
	byName := map[string]tenantsim.DumpConnector{}
	for _, c := range d.Connectors {
		byName[c.Name] = c
	}
	for _, c := range exported {
		got, ok := byName[c.Name]
		if !ok {
			t.Errorf("import: %q is not in the tenant", c.Name)
			continue
		}
		want := transform.RemapScriptNames(c, mapping)
		for _, diff := range partDiffs(partsOf(want), dumpParts(got), false) {
			t.Errorf("import: %q: %s", c.Name, diff)
		}
		var detail struct {
			Meta map[string]any `json:"connectorMetadata"`
		}
		if err := json.Unmarshal(want.Detail, &detail); err != nil {
			t.Fatal(err)
		}
		if len(detail.Meta) != 0 || len(got.ConnectorMetadata) != 0 {
			if !reflect.DeepEqual(detail.Meta, got.ConnectorMetadata) {
				t.Errorf("import: %q: connectorMetadata %v, want %v", c.Name, got.ConnectorMetadata, detail.Meta)
			}
		}
	}
}

// noChanges: a plan of the bundle against the tenant finds nothing to do.
func noChanges(t *testing.T, what string, vars map[string]string, state, bundlePath string, extra []string) {
	t.Helper()
	args := append([]string{"plan", "--rate", "0", "--state-dir", state, "--detailed-exitcode"}, extra...)
	if r := runCLI(t, vars, append(args, bundlePath)...); r.code != exitOK {
		t.Errorf("%s: exit %d, want 0 (no changes):\n%s%s", what, r.code, r.stdout, r.stderr)
	}
}

// hiddenMatch is a target connector that holds a bundle connector's name
// but is not listed.
type hiddenMatch struct {
	tenantsim.DumpConnector
	source string // the bundle connector's scriptName
}

// drift fills prod from the source's state, with differences: an edited
// source config, a changed and an extra locale, extra metadata where the
// bundle has none, a bundle connector missing (created by the import), one
// held by an unlisted connector, and a target-only connector.
func drift(t *testing.T, prod *tenantsim.Sim, srcDump tenantsim.Dump, exported []bundle.Connector) hiddenMatch {
	t.Helper()
	inBundle := map[string]bool{}
	for _, c := range exported {
		inBundle[c.ScriptName] = true
	}
	var out tenantsim.Dump
	var hidden hiddenMatch
	n := 0
	for _, c := range srcDump.Connectors {
		if c.BuiltIn || !inBundle[c.ScriptName] {
			continue
		}
		source := c.ScriptName
		c.ScriptName += "-prod"
		c.Status = "RELEASED" // listed, so matched by name (the bundle may hold hidden ones)
		c.S3Location = "custom-connector/" + c.ScriptName
		switch n {
		case 0: // edited by hand
			c.SourceConfigXml = strings.Replace(c.SourceConfigXml, "<Form", `<Form description="edited in production"`, 1)
		case 1: // the bundle has no metadata
			c.ConnectorMetadata = map[string]any{"platform": "prod-only"}
		case 2: // a changed locale and one only production has
			for l := range c.Translations {
				c.Translations[l] += "\nproduction.note=changed\n"
				break
			}
			c.Translations["nl"] = "only.in=production\n"
		case 3: // missing: the import creates it
			n++
			continue
		case 4: // held by an unlisted connector
			c.Status = "DEVELOPMENT"
			hidden = hiddenMatch{DumpConnector: c, source: source}
		case 5: // target-only
			c.Name = "Production Only " + c.Name
		}
		n++
		out.Connectors = append(out.Connectors, c)
	}
	if hidden.Name == "" {
		t.Fatal("the bundle is too small to drift")
	}
	if err := prod.Restore(out); err != nil {
		t.Fatal(err)
	}
	return hidden
}

func countNamed(d tenantsim.Dump, name string) int {
	n := 0
	for _, c := range d.Connectors {
		if strings.EqualFold(c.Name, name) {
			n++
		}
	}
	return n
}

// checkKept: connectors outside the bundle are untouched by the import.
func checkKept(t *testing.T, before, after tenantsim.Dump, exported []bundle.Connector) {
	t.Helper()
	inBundle := map[string]bool{}
	for _, c := range exported {
		inBundle[c.Name] = true
	}
	now := map[string]tenantsim.DumpConnector{}
	for _, c := range after.Connectors {
		now[c.ScriptName] = c
	}
	for _, c := range before.Connectors {
		if inBundle[c.Name] {
			continue
		}
		if got, ok := now[c.ScriptName]; !ok || !reflect.DeepEqual(got, c) {
			t.Errorf("import changed or deleted %q, which is not in the bundle", c.Name)
		}
	}
}

// checkRolledBack: the tenant is as before the import, comparing content in
// canonical form (a tenant that normalises uploads stores the restored bytes
// its own way); a locale the import added may remain (and was named).
func checkRolledBack(t *testing.T, before, after tenantsim.Dump) {
	t.Helper()
	now := map[string]tenantsim.DumpConnector{}
	for _, c := range after.Connectors {
		now[c.ScriptName] = c
	}
	if len(after.Connectors) != len(before.Connectors) {
		t.Errorf("after rollback the tenant has %d connectors, before the import %d", len(after.Connectors), len(before.Connectors))
	}
	for _, c := range before.Connectors {
		got, ok := now[c.ScriptName]
		if !ok {
			t.Errorf("rollback: %q is gone", c.Name)
			continue
		}
		for _, d := range partDiffs(dumpParts(c), dumpParts(got), false) {
			t.Errorf("rollback: %q: %s", c.Name, d)
		}
		if len(c.ConnectorMetadata) != 0 || len(got.ConnectorMetadata) != 0 {
			if !reflect.DeepEqual(c.ConnectorMetadata, got.ConnectorMetadata) {
				t.Errorf("rollback: %q: connectorMetadata %v, want %v", c.Name, got.ConnectorMetadata, c.ConnectorMetadata)
			}
		}
	}
}
