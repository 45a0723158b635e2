package importer

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/connvault/connvault/tenant"
)

// A detail read back from the spool is the detail as read: the same plan
// hashes (drift checks compare them) and the same undo pre-image (a rollback
// restores it), for every connector of a simulated tenant and for details
// with what the tenant may send besides: empty and null members, unknown
// members, an empty translation, an empty connectorMetadata.
func TestDetailStoreReadsBackWhatWasRead(t *testing.T) {
	f := newTenant(t, productionOpts())
	cl := f.client(t)
	var ds []tenant.ConnectorDetail
	for _, dc := range f.sim.Dump().Connectors {
		d, err := cl.GetConnector(t.Context(), dc.ScriptName)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	for i, body := range []string{
		`{"name":"Odd","scriptName":"odd-1","type":"custom Odd","connectorMetadata":{},"translationProperties":{"en":"","de":"a=b"},"sourceConfig":"","uploadedFiles":null,"s3Location":"","x-new":{"k":[1,2.5,null]},"status":"RELEASED"}`,
		`{"name":"Bare","scriptName":"bare-1","translationProperties":null,"connectorMetadata":null,"sourceConfigXml":"","applicationXml":"<a/>"}`,
		`{"name":"Empty maps","scriptName":"empty-1","translationProperties":{},"directConnect":true,"fileUpload":false}`,
	} {
		var d tenant.ConnectorDetail
		if err := json.Unmarshal([]byte(body), &d); err != nil {
			t.Fatalf("body %d: %v", i, err)
		}
		ds = append(ds, d)
	}
	ds = append(ds, tenant.ConnectorDetail{Name: "Built in code", ScriptName: "code-1", SourceConfigXML: "<Form/>",
		TranslationProperties: map[string]string{"fr": "x=y"}, ConnectorMetadata: map[string]any{"a": "b"}})
	// Parts JSON cannot carry, as detailBytes sets them from sub-resources:
	// not UTF-8 (ISO-8859-1 bytes).
	var latin1 tenant.ConnectorDetail
	if err := json.Unmarshal([]byte(`{"name":"Latin-1","scriptName":"latin1-1","type":"custom Latin-1","status":"RELEASED"}`), &latin1); err != nil {
		t.Fatal(err)
	}
	latin1.SourceConfigXML = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Form name=\"Z\xfcrich\"/>"
	latin1.TranslationProperties = map[string]string{"de": "k=Gr\xfc\xdfe"}
	ds = append(ds, latin1)
	s := newDetailStore()
	defer s.close()
	for _, d := range ds {
		if err := s.put(d); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range ds {
		got, ok, err := s.get(want.ScriptName)
		if err != nil || !ok {
			t.Fatalf("%s: get: %v %v", want.ScriptName, ok, err)
		}
		if !reflect.DeepEqual(detailContent(got), detailContent(want)) {
			t.Errorf("%s: parts changed by the spool", want.ScriptName)
		}
		if detailHash(got) != detailHash(want) {
			t.Errorf("%s: detail hash changed by the spool", want.ScriptName)
		}
		if !reflect.DeepEqual(partHashes(got), partHashes(want)) {
			t.Errorf("%s: part hashes changed by the spool: %v, was %v", want.ScriptName, partHashes(got), partHashes(want))
		}
		wb, werr := toBundle(want)
		gb, gerr := toBundle(got)
		if werr != nil || gerr != nil || !reflect.DeepEqual(gb, wb) {
			t.Errorf("%s: undo pre-image changed by the spool:\n got %+v (%v)\nwant %+v (%v)", want.ScriptName, gb, gerr, wb, werr)
		}
		if name, _ := s.name(want.ScriptName); name != want.Name {
			t.Errorf("%s: name %q, want %q", want.ScriptName, name, want.Name)
		}
	}
	if _, ok, _ := s.get("not-there"); ok {
		t.Error("the store returns a detail it was never given")
	}
}
