package export_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// A custom connector created with a type of its own looks built-in to the
// export; it must be reported, not silently dropped, and named exports it.
func TestCustomTypedConnectorIsReported(t *testing.T) {
	_, url := newSim(t, tenantsim.Options{Seed: 5, Connectors: 2})
	c := newClient(t, url)
	created, err := c.CreateConnector(t.Context(), tenant.NewConnector{Name: "Acme Typed Feed", Type: "Acme Web Services", ClassName: "sailpoint.connector.OpenConnectorAdapter", Status: tenant.StatusReleased})
	if err != nil {
		t.Fatal(err)
	}
	res := mustExport(t, c, filepath.Join(t.TempDir(), "a.tar.gz"), export.Options{Include: []string{"Acme*"}, Locales: []string{"detail"}})
	if res.Connectors != 0 || !slices.Equal(res.LeftOutAsBuiltIn, []string{"Acme Typed Feed"}) {
		t.Errorf("exported %d, left out %v; want 0 exported and the typed connector reported", res.Connectors, res.LeftOutAsBuiltIn)
	}
	res = mustExport(t, c, filepath.Join(t.TempDir(), "b.tar.gz"), export.Options{Include: []string{"Acme*"}, ScriptNames: []string{created.ScriptName}, Locales: []string{"detail"}})
	if res.Connectors != 1 || len(res.LeftOutAsBuiltIn) != 0 {
		t.Errorf("named: exported %d, left out %v; want it exported", res.Connectors, res.LeftOutAsBuiltIn)
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
