package cli

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// Comparing a sandbox bundle with a production bundle of the same
// connectors: plain diff shows the tenant-specific fields it sees;
// --ignore-tenant-fields shows only real changes, named as plans name them.
func TestDiffAcrossTenants(t *testing.T) {
	_, sbVars := startSim(t, tenantsim.Options{Seed: 101, Connectors: 4, MaxLocales: 2, TenantName: "sb"})
	prod, prodVars := startSim(t, tenantsim.Options{Seed: 102, Connectors: 0, TenantName: "prod", ClientID: "prod-client", ClientSecret: "prod-secret"})
	dir := t.TempDir()
	sb, pr := filepath.Join(dir, "sb.tar.gz"), filepath.Join(dir, "prod.tar.gz")
	if r := runCLI(t, sbVars, "export", "--rate", "0", "--locales", "detail", "--out", sb); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	if r := runCLI(t, prodVars, "import", sb, "--rate", "0", "--state-dir", dir, "--yes"); r.code != exitOK {
		t.Fatalf("import: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	export := func() {
		t.Helper()
		if r := runCLI(t, prodVars, "export", "--rate", "0", "--locales", "detail", "--out", pr); r.code != exitOK {
			t.Fatalf("export prod: exit %d: %s", r.code, r.stderr)
		}
	}
	export()
	r := runCLI(t, nil, "diff", sb, pr, "--detailed-exitcode")
	if r.code != exitChanges || !strings.Contains(r.stdout, "detail.scriptName") {
		t.Errorf("plain diff of sandbox and production: exit %d, want 4 naming detail.scriptName:\n%s", r.code, r.stdout)
	}
	// Only what the import could not carry over remains (fields the tenant
	// sets on upload, such as fileUpload); nothing tenant-specific, no part
	// the import wrote.
	r = runCLI(t, nil, "diff", sb, pr, "--ignore-tenant-fields")
	for _, noise := range []string{"scriptName", "s3Location", "uploadedFiles", "source-config", "translations/", "metadata"} {
		if strings.Contains(r.stdout, noise) {
			t.Errorf("diff --ignore-tenant-fields of a promotion names %s:\n%s", noise, r.stdout)
		}
	}
	// A real change in production: its metadata.
	d := prod.Dump()
	var name string
	for i, c := range d.Connectors {
		if !c.BuiltIn {
			name = c.Name
			d.Connectors[i].ConnectorMetadata = map[string]any{"shortDesc": "changed in production"}
			break
		}
	}
	if err := prod.Restore(d); err != nil {
		t.Fatal(err)
	}
	export()
	r = runCLI(t, nil, "diff", sb, pr, "--ignore-tenant-fields", "--content", "--json")
	var got struct {
		Changed []struct {
			Name  string            `json:"name"`
			Parts []string          `json:"parts"`
			Text  map[string]string `json:"text"`
		} `json:"changed"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("diff --json after a metadata change: %v\n%s", err, r.stdout)
	}
	found := false
	for _, ch := range got.Changed {
		hasMeta := slices.Contains(ch.Parts, "metadata")
		found = found || hasMeta
		if hasMeta != (ch.Name == name) {
			t.Errorf("%q: parts %q; want metadata only for %q", ch.Name, ch.Parts, name)
		}
		// connector.json's changed fields share one diff of the file (so
		// that patch(1) applies it), under the first of them.
		all := strings.Join(slices.Collect(maps.Values(ch.Text)), "")
		if hasMeta && (!strings.Contains(all, `"shortDesc": "changed in production"`) || !strings.Contains(all, "connector.json\n")) {
			t.Errorf("the connector.json diff lacks the metadata change:\n%s", all)
		}
	}
	if !found {
		t.Errorf("the metadata change of %q is not reported:\n%s", name, r.stdout)
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
