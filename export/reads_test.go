package export_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// TestPartsAutoUnderEveryVariant: whatever the tenant's detail carries, an
// export in the default --parts auto holds exactly what the tenant holds, and
// reads from the detail only what the sample proved it carries.
func TestPartsAutoUnderEveryVariant(t *testing.T) {
	t.Parallel()
	tests := []struct {
		variant           string
		xml, translations string // where the rest of the run reads them
	}{
		{"default", "detail", "detail"},
		{"detail-locales=requested", "detail", "endpoints"},
		{"detail-bytes=normalised", "endpoints", "detail"},
		{"missing-locale=empty", "detail", "detail"},
		{"missing-locale=en", "detail", "detail"},
		{"source-config-json=json", "detail", "detail"},
		{"source-config-json=null", "detail", "detail"},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			t.Parallel()
			v, err := tenantsim.ParseVariants(tt.variant)
			if err != nil {
				t.Fatal(err)
			}
			sim, url := newSim(t, tenantsim.Options{Seed: 11, Connectors: 40, MaxLocales: 4, Variants: v})
			d := sim.Dump()
			path := filepath.Join(t.TempDir(), "auto.tar.gz")
			res := mustExport(t, newClient(t, url), path, export.Options{})
			checkMatchesTenant(t, path, d, scriptNames(d, listedCustom))
			r := res.Manifest.Reads
			if r == nil || r.Mode != export.PartsAuto || len(r.Sample) == 0 {
				t.Fatalf("manifest reads %+v, want mode auto with a sample", r)
			}
			if r.XML != tt.xml || r.Translations != tt.translations {
				t.Errorf("XML read from %s, translations from %s (%q); want %s and %s", r.XML, r.Translations, r.Switched, tt.xml, tt.translations)
			}
			if switched := tt.xml == "endpoints" || tt.translations == "endpoints"; switched != (len(r.Switched) > 0) {
				t.Errorf("manifest gives switch reasons %q", r.Switched)
			}
		})
	}
}

// TestPartsDetailIsOneRequestPerConnector: on a tenant whose detail carries
// every part, --parts detail reads nothing else, and gives the same bundle.
func TestPartsDetailIsOneRequestPerConnector(t *testing.T) {
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
	if got := sim.Stats().Total; got != 1+builtins+len(want) {
		t.Errorf("--parts detail sent %d requests for %d connectors, want the list and one GET each (%d)", got, len(want), 1+builtins+len(want))
	}
	if r := res.Manifest.Reads; r == nil || r.Mode != export.PartsDetail || r.XML != "detail" || r.Translations != "detail" {
		t.Errorf("manifest reads %+v", r)
	}
}

func TestPartsRefusesUnknownMode(t *testing.T) {
	_, url := newSim(t, tenantsim.Options{Seed: 12, Connectors: 2})
	_, err := runExport(t, t.Context(), newClient(t, url), filepath.Join(t.TempDir(), "x.tar.gz"), export.Options{Parts: "some"})
	if err == nil || !strings.Contains(err.Error(), `parts "some"`) {
		t.Fatalf("export --parts some: %v, want an error naming the mode", err)
	}
}
