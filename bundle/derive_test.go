package bundle

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// recomputedFields are the manifest fields a bundle written from another
// one does not take from it: they describe the new bundle itself.
var recomputedFields = []string{"format", "formatVersion", "toolVersion", "createdAt", "options", "connectors", "complete", "contentDigest"}

// Every field of Manifest is either carried by WriteDerived (DerivedFields)
// or the new bundle's own (recomputedFields): a field added to the manifest
// fails this test until it is put in one list or the other, and, if
// carried, until WriteDerived writes it (the round trip below, whose input
// sets every carried field).
func TestWriteDerivedCarriesEveryField(t *testing.T) {
	mt := reflect.TypeFor[Manifest]()
	for i := range mt.NumField() {
		name, _, _ := strings.Cut(mt.Field(i).Tag.Get("json"), ",")
		if slices.Contains(DerivedFields(), name) == slices.Contains(recomputedFields, name) {
			t.Errorf("manifest field %s (%q) must be either carried (DerivedFields) or recomputed, not both or neither", mt.Field(i).Name, name)
		}
	}
	from := Manifest{
		Source: Source{URL: "https://sandbox.api.identitynow.com", API: "v2025"},
		Scope:  &Scope{Filter: `name sw "Z"`, Include: []string{"Z*"}, Narrowed: []NameFilter{{Exclude: []string{"Zz*"}}}},
		Errors: []ItemError{{ScriptName: "gone-1", Name: "Gone", Part: "source-config", Error: "500"}},
		Coverage: &Coverage{Listed: 3, ListTotal: 3, Hidden: []string{"acme-ldap"}, CarriedFrom: []string{"old.tar.gz"},
			UsedBySources: []Included{{ScriptName: "acme-ldap", Name: "Acme LDAP", Reason: `used by source "HR"`}}, Sources: "read",
			LeftOut: []LeftOut{{ScriptName: "zh-1", Name: "Zürich HR Feed", Status: "DEVELOPMENT", Reason: LeftOutHidden, Rule: "not listed"}}},
		Reads:     &Reads{Mode: "auto", Sample: []string{"acme-ldap"}, XML: "detail", Translations: "endpoints", Switched: []string{"translations: differ"}},
		Ambiguous: []Ambiguity{{ScriptName: "acme-ldap", Name: "Acme LDAP", Locales: []string{"fr"}, Reason: "en text"}},
	}
	in, err := json.Marshal(from)
	if err != nil {
		t.Fatal(err)
	}
	var inFields map[string]json.RawMessage
	if err := json.Unmarshal(in, &inFields); err != nil {
		t.Fatal(err)
	}
	for _, f := range DerivedFields() {
		if v := reflect.ValueOf(from).FieldByNameFunc(func(n string) bool { return strings.EqualFold(n, f) }); !v.IsValid() || v.IsZero() {
			t.Fatalf("fixture: carried field %q is not set in the input manifest", f)
		}
	}
	p := filepath.Join(t.TempDir(), "derived.tar.gz")
	if _, err := WriteDerived(t.Context(), p, testWriterOptions(), from, sampleConnectors()); err != nil {
		t.Fatal(err)
	}
	got, err := Verify(t.Context(), p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(got)
	var outFields map[string]json.RawMessage
	if err := json.Unmarshal(out, &outFields); err != nil {
		t.Fatal(err)
	}
	for _, f := range DerivedFields() {
		if string(inFields[f]) != string(outFields[f]) {
			t.Errorf("WriteDerived lost %q:\n in:  %s\n out: %s", f, inFields[f], outFields[f])
		}
	}
	if got.Complete {
		t.Error("a bundle written from an incomplete one says complete")
	}
}
