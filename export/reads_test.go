package export_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// variantCells are every value of every `sim --variant` key but the
// default, one key at a time, then the default and the combination no
// sample can decide (a detail of the requested locale only, and a missing
// locale answered with the en text).
func variantCells() []string {
	cells := []string{"default", "detail-locales=requested,missing-locale=en"}
	for _, k := range tenantsim.VariantKeys() {
		for _, v := range k.Values[1:] {
			if v == "N" {
				v = "7"
			}
			cells = append(cells, k.Key+"="+v)
		}
	}
	return cells
}

// TestPartsUnderEveryVariant: whatever the tenant's detail carries, an
// export in --parts auto (the default) or --parts detail holds exactly what
// the tenant holds and says complete only then; it reads from the detail
// only what the sample did not disprove (auto: what it proved), and the
// manifest's reads says where each kind came from and why.
func TestPartsUnderEveryVariant(t *testing.T) {
	t.Parallel()
	// Where the rest of the run reads each kind, by variant; every other
	// cell reads both from the detail.
	endpoints := map[string]struct{ xml, translations bool }{
		"detail-locales=requested":                   {translations: true},
		"detail-locales=requested,missing-locale=en": {translations: true},
		"detail-bytes=normalised":                    {xml: true},
	}
	for _, cell := range variantCells() {
		for _, mode := range []string{export.PartsAuto, export.PartsDetail} {
			t.Run(cell+"/"+mode, func(t *testing.T) {
				t.Parallel()
				v, err := tenantsim.ParseVariants(cell)
				if err != nil {
					t.Fatal(err)
				}
				sim, url := newSim(t, tenantsim.Options{Seed: 11, Connectors: 40, MaxLocales: 4, Variants: v})
				d := sim.Dump()
				path := filepath.Join(t.TempDir(), mode+".tar.gz")
				res := mustExport(t, newClient(t, url), path, export.Options{Parts: mode})
				checkMatchesTenant(t, path, d, scriptNames(d, listedCustom))
				if !res.Manifest.Complete || len(res.Failed) > 0 {
					t.Errorf("bundle complete %t, failed %v", res.Manifest.Complete, res.Failed)
				}
				r := res.Manifest.Reads
				if r == nil || r.Mode != mode || len(r.Sample) == 0 {
					t.Fatalf("manifest reads %+v, want mode %s with a sample", r, mode)
				}
				want := endpoints[cell]
				wantXML, wantTr := map[bool]string{false: "detail", true: "endpoints"}[want.xml], map[bool]string{false: "detail", true: "endpoints"}[want.translations]
				if r.XML != wantXML || r.Translations != wantTr {
					t.Errorf("XML read from %s, translations from %s (%q); want %s and %s", r.XML, r.Translations, r.Switched, wantXML, wantTr)
				}
				if switched := want.xml || want.translations; switched != (len(r.Switched) > 0) {
					t.Errorf("manifest gives switch reasons %q", r.Switched)
				}
				if len(r.Unproven) > 0 {
					t.Errorf("manifest calls %q unproven, but the sample decided every kind", r.Unproven)
				}
			})
		}
	}
}

// TestPartsDetailSaysWhatItCouldNotProve: on a tenant whose sampled
// connectors have no locale besides en, --parts detail takes translations
// from the detail (auto reads them per part) and the manifest says the
// sample could not prove the detail lists every locale.
func TestPartsDetailSaysWhatItCouldNotProve(t *testing.T) {
	t.Parallel()
	sim, url := newSim(t, tenantsim.Options{Seed: 14, Connectors: 6, MaxLocales: 1})
	d := sim.Dump()
	for i := range d.Connectors {
		d.Connectors[i].Translations = map[string]string{"en": "title=Only English\n"}
	}
	if err := sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ mode, translations string }{{export.PartsDetail, "detail"}, {export.PartsAuto, "endpoints"}} {
		path := filepath.Join(t.TempDir(), tt.mode+".tar.gz")
		res := mustExport(t, newClient(t, url), path, export.Options{Parts: tt.mode})
		checkMatchesTenant(t, path, d, scriptNames(d, listedCustom))
		r := res.Manifest.Reads
		if r.Translations != tt.translations {
			t.Errorf("--parts %s: translations read from %s, want %s", tt.mode, r.Translations, tt.translations)
		}
		if unproven := tt.mode == export.PartsDetail; unproven != (len(r.Unproven) == 1 && strings.Contains(r.Unproven[0], "locale besides en")) {
			t.Errorf("--parts %s: manifest's unproven %q", tt.mode, r.Unproven)
		}
	}
}

// TestPartsDetailIsAboutOneRequestPerConnector: on a tenant whose detail
// carries every part, --parts detail reads one GET per connector besides
// its sample (the first three connectors, and up to 20 more while none has
// shown a locale besides en, each read both ways: 3 XML parts and 19
// locales more), and gives the same bundle.
func TestPartsDetailIsAboutOneRequestPerConnector(t *testing.T) {
	t.Parallel()
	sim, url := newSim(t, tenantsim.Options{Seed: 12, Connectors: 30, MaxLocales: 3})
	d := sim.Dump()
	want := scriptNames(d, listedCustom)
	builtins := 0
	for _, c := range d.Connectors {
		if c.BuiltIn {
			builtins++
		}
	}
	path := filepath.Join(t.TempDir(), "detail.tar.gz")
	res := mustExport(t, newClient(t, url), path, export.Options{Parts: export.PartsDetail})
	checkMatchesTenant(t, path, d, want)
	r := res.Manifest.Reads
	if r == nil || r.Mode != export.PartsDetail || r.XML != "detail" || r.Translations != "detail" || len(r.Sample) < 3 || len(r.Sample) > 23 {
		t.Fatalf("manifest reads %+v", r)
	}
	sample := len(r.Sample) * (3 + len(tenant.Locales()))
	if got := sim.Stats().Total; got != 1+builtins+len(want)+sample {
		t.Errorf("--parts detail sent %d requests for %d connectors, want the list, one GET each and %d for the sample of %d (%d)", got, len(want), sample, len(r.Sample), 1+builtins+len(want)+sample)
	}
}

func TestPartsRefusesUnknownMode(t *testing.T) {
	_, url := newSim(t, tenantsim.Options{Seed: 12, Connectors: 2})
	_, err := runExport(t, t.Context(), newClient(t, url), filepath.Join(t.TempDir(), "x.tar.gz"), export.Options{Parts: "some"})
	if err == nil || !strings.Contains(err.Error(), `parts "some"`) {
		t.Fatalf("export --parts some: %v, want an error naming the mode", err)
	}
}
