package importer

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
)

// A connector whose connectorMetadata is an empty object must come back as
// exactly that: the undo pre-image keeps the detail as read.
func TestRollbackRestoresEmptyMetadata(t *testing.T) {
	prod := newTenant(t, productionOpts())
	cl := prod.client(t)
	created, err := cl.CreateConnector(t.Context(), tenant.NewConnector{Name: "Empty Meta Feed", ClassName: "sailpoint.connector.OpenConnectorAdapter", Status: tenant.StatusReleased})
	if err != nil {
		t.Fatal(err)
	}
	before := prod.sim.Dump()
	d, err := cl.GetConnector(t.Context(), created.ScriptName)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(d.Raw), `"connectorMetadata":{}`) {
		t.Fatalf("the simulator serves the new connector as %s; the test needs connectorMetadata {}", d.Raw)
	}
	var bc []bundle.Connector
	for _, x := range bundleFromDump(t, before) {
		if x.ScriptName == created.ScriptName {
			x.Detail = json.RawMessage(`{"name":"Empty Meta Feed","type":"custom Empty Meta Feed","className":"sailpoint.connector.OpenConnectorAdapter","scriptName":"` + created.ScriptName + `","status":"RELEASED","connectorMetadata":{"platform":"prod"}}`)
			x.SourceConfig = []byte(`<Form name="f" type="SourceConfig"/>`)
			bc = append(bc, x)
		}
	}
	if len(bc) != 1 {
		t.Fatal("the new connector is not in the dump")
	}
	src := writeSource(t, "https://sandbox.example.com", bc, nil)
	opts := testOptions(t)
	res := mustImport(t, cl, src, opts)
	rb, err := Rollback(t.Context(), cl, res.UndoPath, opts)
	if err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if n := rb.Failed(); n > 0 {
		t.Fatalf("rollback: %d items failed: %+v", n, failures(rb))
	}
	if d := diffDumps(before, prod.sim.Dump()); len(d) > 0 {
		t.Errorf("after rollback production differs: %v", d)
	}
}
