package importer

import (
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// An empty translation is a locale the connector has: an import writes it
// (a restore must not lose the locale), and then plans it as unchanged.
func TestEmptyTranslationIsRestored(t *testing.T) {
	cs := bundleFromDump(t, newTenant(t, sandboxOpts()).sim.Dump())
	var name string
	for i, c := range cs {
		if c.Status == "RELEASED" {
			cs[i].Translations = map[string][]byte{"en": []byte("a=b\n"), "de": {}}
			name = c.Name
			break
		}
	}
	src := writeSource(t, "https://sandbox.example", cs, nil)
	target := newTenant(t, tenantsim.Options{Seed: 9})
	mustImport(t, target.target(t), src, testOptions(t))
	dc, ok := byName(target.sim.Dump(), name)
	if !ok {
		t.Fatalf("%s was not created", name)
	}
	if text, ok := dc.Translations["de"]; !ok || text != "" {
		t.Fatalf("translations after the import: %q; want an empty de", dc.Translations)
	}
	p, err := MakePlan(t.Context(), target.target(t), src, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range p.Items {
		if it.Name == name && it.Action != ActionUnchanged {
			t.Errorf("%s planned %s %v after the import, want unchanged", name, it.Action, it.Parts)
		}
	}
}
