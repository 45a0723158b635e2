package export_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// TestNonUTF8PartsKeepTheirBytes: parts whose bytes are not UTF-8 (an XML
// document declared ISO-8859-1, a translation in ISO-8859-1), which the
// detail's JSON shows as U+FFFD, are exported byte for byte in every read
// mode and with either detail-bytes variant, on a sampled connector and on
// one the sample does not reach; the sample (of auto and detail) does not
// count them as the detail disagreeing.
func TestNonUTF8PartsKeepTheirBytes(t *testing.T) {
	t.Parallel()
	for _, detailBytes := range []string{"same", "normalised"} {
		for _, parts := range []string{export.PartsAuto, export.PartsDetail, export.PartsEndpoints} {
			t.Run("detail-bytes="+detailBytes+"/parts="+parts, func(t *testing.T) {
				t.Parallel()
				sim, url := newSim(t, tenantsim.Options{Seed: 13, Connectors: 12, MaxLocales: 3,
					Variants: tenantsim.Variants{DetailBytes: detailBytes}})
				d := sim.Dump()
				listed := scriptNames(d, listedCustom)
				first, last := listed[0], listed[len(listed)-1]
				for i, c := range d.Connectors {
					if c.ScriptName != first && c.ScriptName != last {
						continue
					}
					d.Connectors[i].SourceConfigXml = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" +
						"<Form name=\"Gr\xfcn\" type=\"SourceConfig\">\n  <Field name=\"\xe4\" type=\"string\"/>\n</Form>\n"
					d.Connectors[i].ApplicationXml = "<?xml version='1.0' encoding='ISO-8859-1'?>\n<Application name=\"Gr\xfcn\"/>\n"
					d.Connectors[i].Translations = map[string]string{"en": "title=Green\n", "de": "title=Gr\xfcn\n"}
				}
				if err := sim.Restore(d); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(t.TempDir(), "x.tar.gz")
				res := mustExport(t, newClient(t, url), path, export.Options{Parts: parts})
				checkMatchesTenant(t, path, sim.Dump(), listed)
				checkLatin1(t, path, sim.Dump(), first, last)
				r := res.Manifest.Reads
				if parts == export.PartsEndpoints {
					return
				}
				if !slices.Contains(r.Sample, first) || slices.Contains(r.Sample, last) {
					t.Fatalf("sample %q: want %s in it and %s not", r.Sample, first, last)
				}
				if wantXML := map[string]string{"same": "detail", "normalised": "endpoints"}[detailBytes]; r.XML != wantXML || r.Translations != "detail" {
					t.Errorf("XML read from %s, translations from %s (%q); want %s and detail", r.XML, r.Translations, r.Switched, wantXML)
				}
			})
		}
	}
}

// checkLatin1 checks that the bundle at path holds the source-config,
// source-template and translations/de of the named connectors as the tenant
// d holds them.
func checkLatin1(t *testing.T, path string, d tenantsim.Dump, scriptNames ...string) {
	t.Helper()
	b, err := bundle.Open(t.Context(), path, bundle.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, s := range scriptNames {
		tc := d.Connectors[slices.IndexFunc(d.Connectors, func(c tenantsim.DumpConnector) bool { return c.ScriptName == s })]
		got, err := b.Load(bundle.KeyFor(s))
		if err != nil {
			t.Fatal(err)
		}
		if string(got.SourceConfig) != tc.SourceConfigXml || string(got.SourceTemplate) != tc.ApplicationXml || string(got.Translations["de"]) != tc.Translations["de"] {
			t.Errorf("%s: bundle holds %q, %q, %q; want %q, %q, %q", s, got.SourceConfig, got.SourceTemplate, got.Translations["de"],
				tc.SourceConfigXml, tc.ApplicationXml, tc.Translations["de"])
		}
	}
}
