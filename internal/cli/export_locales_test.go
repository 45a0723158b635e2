package cli

import (
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// TestExportStoresNoPhantomLocales: a tenant that answers a locale a
// connector lacks with the en text (or empty), and whose detail lists only
// the locale asked for, must not make the bundle hold that locale, in any
// read mode; the ambiguity is recorded in the manifest. A
// real translation (not the en text) is kept, and so is an empty one the
// detail announces.
func TestExportStoresNoPhantomLocales(t *testing.T) {
	for _, tc := range []struct {
		variants  string
		parts     string
		ambiguous bool
	}{
		{"missing-locale=en,detail-locales=requested", "auto", true},
		{"missing-locale=en,detail-locales=requested", "endpoints", true},
		{"missing-locale=en,detail-locales=requested", "detail", true},
		{"missing-locale=empty,detail-locales=requested", "auto", true},
		{"missing-locale=empty,detail-locales=requested", "endpoints", true},
		{"missing-locale=en", "endpoints", false},
		{"missing-locale=empty", "endpoints", false},
		{"missing-locale=en", "auto", false},
	} {
		t.Run(tc.variants+"/"+tc.parts, func(t *testing.T) {
			v, err := tenantsim.ParseVariants(tc.variants)
			if err != nil {
				t.Fatal(err)
			}
			sim, vars := startSim(t, tenantsim.Options{Seed: 83, Connectors: 8, MaxLocales: 4, Variants: v})
			if tc.variants == "missing-locale=empty" {
				// an empty translation the detail announces is a locale
				d := sim.Dump()
				for i, c := range d.Connectors {
					if !c.BuiltIn && c.Status == "RELEASED" {
						d.Connectors[i].Translations["fi"] = ""
						break
					}
				}
				if err := sim.Restore(d); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(t.TempDir(), "m2.tar.gz")
			r := runCLI(t, vars, "export", "--rate", "0", "--parts", tc.parts, "--out", out)
			if r.code != exitOK {
				t.Fatalf("export: exit %d: %s", r.code, r.stderr)
			}
			b, err := bundle.Open(t.Context(), out, bundle.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			got, err := b.LoadAll()
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]tenantsim.DumpConnector{}
			for _, c := range released(sim) {
				want[c.ScriptName] = c
			}
			for _, c := range got {
				w, ok := want[c.ScriptName]
				if !ok {
					continue
				}
				gotLocales := slices.Sorted(maps.Keys(c.Translations))
				wantLocales := slices.Sorted(maps.Keys(w.Translations))
				if !slices.Equal(gotLocales, wantLocales) {
					t.Errorf("%s: bundle has locales %v, the tenant %v", c.ScriptName, gotLocales, wantLocales)
				}
				for l, text := range c.Translations {
					if string(text) != w.Translations[l] {
						t.Errorf("%s: translations/%s differs from the tenant's", c.ScriptName, l)
					}
				}
			}
			if amb := len(b.Manifest.Ambiguous) > 0; amb != tc.ambiguous {
				t.Errorf("ambiguity recorded %v, want %v; stderr %q", amb, tc.ambiguous, r.stderr)
			}
		})
	}
}
