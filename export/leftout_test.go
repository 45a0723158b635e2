package export_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// SailPoint-owned connectors are told from custom ones by every signal the
// API gives, and in doubt exported: a custom connector created with a type of
// its own is exported, SailPoint's catalog is left out with the rule that
// decided, and --builtin exports everything.
func TestSailPointOwnedRule(t *testing.T) {
	sim, url := newSim(t, tenantsim.Options{Seed: 5, Connectors: 2})
	c := newClient(t, url)
	typed, err := c.CreateConnector(t.Context(), tenant.NewConnector{Name: "Acme Typed Feed", Type: "Acme Web Services", ClassName: "sailpoint.connector.OpenConnectorAdapter", Status: tenant.StatusReleased})
	if err != nil {
		t.Fatal(err)
	}
	// Two more with a type of their own: one without s3Location (no
	// evidence), one with files uploaded to it.
	d := sim.Dump()
	d.Connectors = append(d.Connectors,
		tenantsim.DumpConnector{ScriptName: "nos3-x1", Name: "No S3", Type: "Feed", ClassName: "x.Y", Status: "RELEASED"},
		tenantsim.DumpConnector{ScriptName: "uploaded-x1", Name: "Uploaded", Type: "Feed", ClassName: "x.Y", Status: "RELEASED",
			S3Location: "connector/uploaded-x1", UploadedFiles: []string{"connector/uploaded-x1/feed.jar"}})
	if err := sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	d = sim.Dump()
	res := mustExport(t, c, filepath.Join(t.TempDir(), "a.tar.gz"), export.Options{Locales: []string{"detail"}})
	exported := entryNames(res.Manifest)
	for _, sn := range []string{typed.ScriptName, "nos3-x1", "uploaded-x1"} {
		if !slices.Contains(exported, sn) {
			t.Errorf("custom connector %s left out; exported %q", sn, exported)
		}
	}
	var owned []string
	for _, lo := range res.Coverage.LeftOut {
		if lo.Reason != bundle.LeftOutSailPointOwned {
			t.Errorf("left out %s for %q, want only SailPoint-owned ones", lo.ScriptName, lo.Reason)
			continue
		}
		if !strings.Contains(lo.Rule, "does not start with \"custom\"") || !strings.Contains(lo.Rule, "s3Location") {
			t.Errorf("%s: rule %q does not say which signals decided", lo.ScriptName, lo.Rule)
		}
		owned = append(owned, lo.ScriptName)
	}
	if want := scriptNames(d, func(c tenantsim.DumpConnector) bool { return c.BuiltIn }); !slices.Equal(owned, want) {
		t.Errorf("left out as SailPoint-owned %q, want the catalog %q", owned, want)
	}
	if res.Manifest.Coverage == nil || len(res.Manifest.Coverage.LeftOut) != len(owned) {
		t.Errorf("the manifest's coverage %+v does not list the %d left out", res.Manifest.Coverage, len(owned))
	}

	all := mustExport(t, c, filepath.Join(t.TempDir(), "b.tar.gz"), export.Options{BuiltIn: true, Locales: []string{"detail"}})
	if want := scriptNames(d, func(c tenantsim.DumpConnector) bool { return c.Status == "RELEASED" }); !slices.Equal(entryNames(all.Manifest), want) || len(all.Coverage.LeftOut) != 0 {
		t.Errorf("--builtin exported %q, left out %+v; want every listed connector", entryNames(all.Manifest), all.Coverage.LeftOut)
	}
}

// Two scriptNames that differ only in letter case cannot both have a folder
// on a case-insensitive file system: one is recorded as failed, the backup
// of the rest goes on.
func TestCaseCollidingScriptNamesDoNotAbortTheBackup(t *testing.T) {
	sim, url := newSim(t, tenantsim.Options{Seed: 6, Connectors: 4})
	d := sim.Dump()
	var twin tenantsim.DumpConnector
	for _, c := range d.Connectors {
		if !c.BuiltIn && c.Status == "RELEASED" {
			twin = c
			break
		}
	}
	twin.ScriptName = strings.ToUpper(twin.ScriptName)
	twin.Name += " (twin)"
	d.Connectors = append(d.Connectors, twin)
	if err := sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, url)
	res := mustExport(t, c, filepath.Join(t.TempDir(), "a.tar.gz"), export.Options{Locales: []string{"detail"}})
	custom := 0
	for _, dc := range sim.Dump().Connectors {
		if !dc.BuiltIn && dc.Status == "RELEASED" {
			custom++
		}
	}
	if res.Connectors != custom-1 || len(res.Failed) != 1 || !strings.Contains(res.Failed[0].Error, "collides") {
		t.Errorf("exported %d of %d, failed %+v; want all but one, the one failed for a key collision", res.Connectors, custom, res.Failed)
	}
}
