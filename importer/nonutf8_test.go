package importer

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// latin1Form is a source config declared ISO-8859-1 holding the byte b
// (ü is \xfc, ä is \xe4): not UTF-8, so the detail's JSON cannot carry it.
func latin1Form(name string, b byte) []byte {
	return []byte(`<?xml version="1.0" encoding="ISO-8859-1"?>` + "\n" +
		`<Form xmlns="http://www.sailpoint.com/xsd/sailpoint_form_2_0.xsd" connectorName="` + name +
		`" directConnect="true" fileUpload="true" name="` + name + `" status="released" type="SourceConfig">` + "\n" +
		`  <Field name="Gr` + string([]byte{b}) + `n" type="string"/>` + "\n</Form>\n")
}

// A part whose bytes are not UTF-8 is compared by its bytes, in plans,
// read-backs, rollback and drift, whatever the detail's JSON shows of it
// (U+FFFD, or a normalised copy): an import writes it exactly and reads it
// back as OK, a later plan calls it unchanged, one that differs only in such
// a byte is an update, and rollback restores the bytes it overwrote.
func TestNonUTF8PartsRoundTrip(t *testing.T) {
	for _, detailBytes := range []string{"same", "normalised"} {
		t.Run("detail-bytes="+detailBytes, func(t *testing.T) {
			target := newTenant(t, tenantsim.Options{Seed: 9, Variants: tenantsim.Variants{DetailBytes: detailBytes}})
			// RELEASED connectors whose names the target lacks: listed once
			// created, so that later plans match them.
			cs := slices.DeleteFunc(bundleFromDump(t, newTenant(t, sandboxOpts()).sim.Dump()), func(c bundle.Connector) bool {
				_, taken := byName(target.sim.Dump(), c.Name)
				return c.Status != "RELEASED" || taken
			})
			i := 0
			name := cs[i].Name
			withByte := func(b byte) Source {
				cs := slices.Clone(cs)
				cs[i].SourceConfig = latin1Form(name, b)
				return writeSource(t, "https://sandbox.example", cs, nil)
			}
			srcU, srcA := withByte(0xfc), withByte(0xe4)
			sourceConfig := func() []byte {
				t.Helper()
				dc, ok := byName(target.sim.Dump(), name)
				if !ok {
					t.Fatalf("%s is not in the target", name)
				}
				return []byte(dc.SourceConfigXml)
			}
			planOf := func(src Source) Item {
				t.Helper()
				p, err := MakePlan(t.Context(), target.target(t), src, testOptions(t))
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range p.Items {
					if it.Name != name && it.Action != ActionUnchanged {
						t.Errorf("%s planned %s %v, want unchanged", it.Name, it.Action, it.Parts)
					}
				}
				return p.Items[slices.IndexFunc(p.Items, func(it Item) bool { return it.Name == name })]
			}

			mustImport(t, target.target(t), srcU, testOptions(t)) // creates it: read-back OK
			if got := sourceConfig(); !bytes.Equal(got, latin1Form(name, 0xfc)) {
				t.Fatalf("source-config after the import:\n%q\nwant\n%q", got, latin1Form(name, 0xfc))
			}
			if it := planOf(srcU); it.Action != ActionUnchanged {
				t.Fatalf("plan after the import: %s %v, want unchanged", it.Action, it.Parts)
			}

			if it := planOf(srcA); it.Action != ActionUpdate || !slices.Equal(it.Parts, []string{"source-config"}) {
				t.Fatalf("plan of a bundle differing in one ISO-8859-1 byte: %s %v, want update [source-config]", it.Action, it.Parts)
			}
			opts := testOptions(t)
			res := mustImport(t, target.target(t), srcA, opts) // updates it: read-back OK
			if got := sourceConfig(); !bytes.Equal(got, latin1Form(name, 0xe4)) {
				t.Fatalf("source-config after the update:\n%q\nwant\n%q", got, latin1Form(name, 0xe4))
			}
			if it := planOf(srcA); it.Action != ActionUnchanged {
				t.Fatalf("plan after the update: %s %v, want unchanged", it.Action, it.Parts)
			}

			rb, err := Rollback(t.Context(), target.target(t), res.UndoPath, opts)
			if err != nil {
				t.Fatal(err)
			}
			if f := failures(rb); len(f) > 0 {
				t.Fatalf("rollback: %+v", f)
			}
			if got := sourceConfig(); !bytes.Equal(got, latin1Form(name, 0xfc)) {
				t.Fatalf("source-config after the rollback:\n%q\nwant the pre-image\n%q", got, latin1Form(name, 0xfc))
			}
			if it := planOf(srcU); it.Action != ActionUnchanged {
				t.Fatalf("plan after the rollback: %s %v, want unchanged", it.Action, it.Parts)
			}

			// A change in such a byte after a saved plan is drift.
			fresh, err := MakePlan(t.Context(), target.target(t), srcA, opts)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "plan.json")
			if err := SavePlan(path, fresh); err != nil {
				t.Fatal(err)
			}
			p, err := LoadPlan(path)
			if err != nil {
				t.Fatal(err)
			}
			dc, _ := byName(target.sim.Dump(), name)
			if _, err := target.client(t).PutPart(t.Context(), dc.ScriptName, tenant.Part{Kind: tenant.SourceConfig}, latin1Form(name, 0xf6)); err != nil {
				t.Fatal(err)
			}
			if err := CheckDrift(t.Context(), target.target(t), p); !errors.Is(err, ErrDrift) || !strings.Contains(err.Error(), "source-config") {
				t.Errorf("CheckDrift after an ISO-8859-1 byte changed: %v, want drift naming source-config", err)
			}
			if _, err := Apply(t.Context(), target.target(t), srcA, p, opts); !errors.Is(err, ErrDrift) {
				t.Errorf("Apply after an ISO-8859-1 byte changed: %v, want drift", err)
			}
			if got := sourceConfig(); !bytes.Equal(got, latin1Form(name, 0xf6)) {
				t.Errorf("source-config after a refused apply:\n%q\nwant what was put\n%q", got, latin1Form(name, 0xf6))
			}
		})
	}
}

// A translation the tenant holds in bytes that are not UTF-8 is compared by
// those bytes: a bundle of the tenant's own content plans as unchanged.
func TestNonUTF8TranslationPlansUnchanged(t *testing.T) {
	f := newTenant(t, sandboxOpts())
	d := f.sim.Dump()
	i := slices.IndexFunc(d.Connectors, func(c tenantsim.DumpConnector) bool { return !c.BuiltIn && c.Status == "RELEASED" })
	d.Connectors[i].Translations = map[string]string{"en": "title=Green\n", "de": "title=Gr\xfcn\n"}
	if err := f.sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	p, err := MakePlan(t.Context(), f.target(t), exportSource(t, f), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range p.Items {
		if it.Action != ActionUnchanged {
			t.Errorf("%s planned %s %v against the tenant it came from, want unchanged", it.Name, it.Action, it.Parts)
		}
	}
}
