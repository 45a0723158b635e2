package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// A connector whose source config is an ISO-8859-1 document (not UTF-8, so
// the detail's JSON cannot carry it) goes through export, import, plan and
// rollback byte for byte, into a tenant whose detail normalises XML
// (detail-bytes=normalised): the import exits 0 with its read-back OK, a
// plan afterwards says unchanged, and the rollback deletes what it created.
func TestISO88591SourceConfigRoundTrips(t *testing.T) {
	t.Parallel()
	src, srcVars := startSim(t, tenantsim.Options{Seed: 41, Connectors: 4, MaxLocales: 1, TenantName: "sandbox"})
	name := releasedNames(src.Dump())[0]
	dc, _ := byNameDump(src.Dump(), name)
	latin1 := []byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<Form name=\"Gr\xfcn\" type=\"SourceConfig\">\n  <Field name=\"Stra\xdfe\" type=\"string\"/>\n</Form>\n")
	if _, err := adminClient(t, srcVars).PutPart(t.Context(), dc.ScriptName, tenant.Part{Kind: tenant.SourceConfig}, latin1); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b := exportTo(t, srcVars, filepath.Join(dir, "sandbox.tar.gz"), "--parts", "auto")

	v, err := tenantsim.ParseVariants("detail-bytes=normalised")
	if err != nil {
		t.Fatal(err)
	}
	dst, vars := startSim(t, tenantsim.Options{Seed: 42, Connectors: 2, MaxLocales: 1, TenantName: "prod", Variants: v})
	state := filepath.Join(dir, "state")
	r := runCLI(t, vars, "import", "--rate", "0", "--state-dir", state, "--yes", b)
	if r.code != exitOK {
		t.Fatalf("import: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	importOut, undo := r.stdout, undoLine.FindStringSubmatch(r.stdout)
	got, ok := byNameDump(dst.Dump(), name)
	if !ok || got.SourceConfigXml != string(latin1) {
		t.Fatalf("source-config in the target: %q, want %q", got.SourceConfigXml, latin1)
	}

	r = runCLI(t, vars, "plan", b, "--rate", "0", "--state-dir", state, "--json")
	var p importer.Plan
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &p) != nil {
		t.Fatalf("plan: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, it := range p.Items {
		if it.Action != importer.ActionUnchanged && it.Action != importer.ActionKeep {
			t.Errorf("plan after the import: %s %s %v, want unchanged", it.Name, it.Action, it.Parts)
		}
	}

	if undo == nil {
		t.Fatalf("the import named no undo bundle:\n%s", importOut)
	}
	r = runCLI(t, vars, "rollback", "--rate", "0", "--state-dir", state, "--yes", undo[1])
	if r.code != exitOK {
		t.Fatalf("rollback: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, ok := byNameDump(dst.Dump(), name); ok {
		t.Errorf("%q is still in the target after the rollback", name)
	}
}
