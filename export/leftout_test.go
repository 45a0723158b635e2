package export_test

import (
	"path/filepath"
	"slices"
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
