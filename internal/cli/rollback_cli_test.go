package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// adminClient is a client of the tenant of vars, for the edits an
// administrator makes between commands.
func adminClient(t *testing.T, vars map[string]string) *tenant.Client {
	t.Helper()
	cl, err := tenant.New(tenant.Options{BaseURL: vars["SAIL_BASE_URL"], ClientID: vars["SAIL_CLIENT_ID"], ClientSecret: vars["SAIL_CLIENT_SECRET"],
		Rate: tenant.Unlimited(), BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// Issue 7, item 3: an import changes only connector A's metadata and creates
// B. Afterwards an administrator edits A's source-config and adds a
// translation to B. Rollback restores A's metadata only, leaves A's
// source-config (the import never wrote it) and B (changed since) alone,
// names B, and exits 3; its closing lines do not invite a rollback of the
// rollback.
func TestRollbackTouchesOnlyWhatTheImportWroteAndIsUnchanged(t *testing.T) {
	t.Parallel()
	sim, vars := startSim(t, tenantsim.Options{Seed: 91, Connectors: 6, MaxLocales: 1, TenantName: "corp"})
	dir := t.TempDir()
	b := exportTo(t, vars, filepath.Join(dir, "all.tar.gz"))
	names := releasedNames(sim.Dump())
	nameA, nameB := names[0], names[1]
	a, _ := byNameDump(sim.Dump(), nameA)
	bc, _ := byNameDump(sim.Dump(), nameB)
	admin := adminClient(t, vars)
	if err := admin.DeleteConnector(t.Context(), bc.ScriptName); err != nil {
		t.Fatal(err)
	}
	rules := writeRules(t, dir, fmt.Sprintf("metadata:\n  - match: %q\n    set: {shortDesc: \"changed by the import\"}\n", nameA))
	state := filepath.Join(dir, "state")
	r := runCLI(t, vars, "import", "--rate", "0", "--state-dir", state, "--rules", rules, "--yes", b)
	if r.code != exitOK {
		t.Fatalf("import: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	m := undoLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no undo bundle named:\n%s", r.stdout)
	}
	undo := m[1]
	newB, ok := byNameDump(sim.Dump(), nameB)
	if !ok {
		t.Fatalf("fixture: the import did not create %q", nameB)
	}
	edited := strings.Replace(a.SourceConfigXml, "<BaseConfig>", "<BaseConfig><!-- edited by an administrator -->", 1)
	if edited == a.SourceConfigXml {
		edited = a.SourceConfigXml + "<!-- edited by an administrator -->"
	}
	if _, err := admin.PutPart(t.Context(), a.ScriptName, tenant.Part{Kind: tenant.SourceConfig}, []byte(edited)); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutPart(t.Context(), newB.ScriptName, tenant.Part{Kind: tenant.Translations, Locale: "fr"}, []byte("greeting=Bonjour\n")); err != nil {
		t.Fatal(err)
	}

	writes := sim.Stats().Writes
	r = runCLI(t, vars, "rollback", "--rate", "0", "--state-dir", state, "--dry-run", "--json", undo)
	var plan importer.RollbackPlan
	// N9: the dry run exits 3 as the rollback will, since B is skipped.
	if err := json.Unmarshal([]byte(r.stdout), &plan); r.code != exitPartial || err != nil || len(plan.Items) == 0 {
		t.Errorf("rollback --dry-run --json: exit %d, want 3 (B will be skipped), %v:\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if sim.Stats().Writes != writes {
		t.Errorf("rollback --dry-run wrote")
	}

	r = runCLI(t, vars, "rollback", "--rate", "0", "--state-dir", state, "--yes", undo)
	if r.code != exitPartial || strings.Contains(r.stderr, "0 connectors failed") {
		t.Errorf("rollback: exit %d, want 3 (something changed since the import), without counting 0 failures:\n%s%s", r.code, r.stdout, r.stderr)
	}
	after := sim.Dump()
	gotA, _ := byNameDump(after, nameA)
	if gotA.SourceConfigXml != edited {
		t.Errorf("rollback reverted %q's source-config, which the import never wrote", nameA)
	}
	if fmt.Sprint(gotA.ConnectorMetadata) != fmt.Sprint(a.ConnectorMetadata) {
		t.Errorf("rollback left %q's metadata %v, want %v (as before the import)", nameA, gotA.ConnectorMetadata, a.ConnectorMetadata)
	}
	gotB, ok := byNameDump(after, nameB)
	if !ok || gotB.Translations["fr"] == "" {
		t.Errorf("rollback deleted %q, created by the import but changed since", nameB)
	}
	if !strings.Contains(r.stdout, nameB) || !strings.Contains(r.stdout, "changed since the import") {
		t.Errorf("rollback does not name %q as changed since the import:\n%s", nameB, r.stdout)
	}
	if !regexp.MustCompile(`! skip +skipped +`+regexp.QuoteMeta(nameB)).MatchString(r.stdout) || !strings.Contains(r.stderr, "1 connector was skipped, changed since the import") {
		t.Errorf("rollback does not report %q as skipped, as its plan did:\n%s%s", nameB, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "connvault rollback") {
		t.Errorf("rollback's closing lines invite another rollback:\n%s", r.stdout)
	}
}

// importedUndo imports with --yes and the given arguments, and returns the
// undo bundle the import names.
func importedUndo(t *testing.T, vars map[string]string, args ...string) string {
	t.Helper()
	r := runCLI(t, vars, append([]string{"import", "--rate", "0", "--yes"}, args...)...)
	m := undoLine.FindStringSubmatch(r.stdout)
	if r.code != exitOK || m == nil {
		t.Fatalf("fixture import: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	return m[1]
}

// Newcomer N13: rollback from another directory finds no journal of the
// run (the default --state-dir is relative to the working directory). It
// must not judge "created by the import" by content alone: it deletes and
// restores nothing, says which journal it missed, and exits 3.
func TestRollbackWithoutJournalTouchesNothing(t *testing.T) {
	t.Parallel()
	_, srcVars := startSim(t, tenantsim.Options{Seed: 93, Connectors: 4, MaxLocales: 1, TenantName: "src"})
	sim, vars := startSim(t, tenantsim.Options{Seed: 94, Connectors: 2, MaxLocales: 1, TenantName: "dst"})
	dir := t.TempDir()
	b := exportTo(t, srcVars, filepath.Join(dir, "all.tar.gz"))
	undo := importedUndo(t, vars, "--state-dir", filepath.Join(dir, "state"), b)
	imported := sim.Dump()
	elsewhere := filepath.Join(dir, "elsewhere")
	r := runCLI(t, vars, "rollback", "--rate", "0", "--state-dir", elsewhere, "--yes", undo)
	if r.code != exitPartial || !strings.Contains(r.stdout, "Journal: no journal of run") || !strings.Contains(r.stdout, elsewhere) {
		t.Errorf("rollback without the journal: exit %d, want 3 and a note naming the state directory searched:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if fmt.Sprint(sim.Dump()) != fmt.Sprint(imported) {
		t.Error("rollback without the run's journal changed the tenant")
	}
}
