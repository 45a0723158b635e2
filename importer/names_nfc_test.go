package importer

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// nfd is name in Unicode normalization form D ("Zu\u0308rich"), as macOS and
// some tools give it; the fixtures' names are in NFC ("Zürich").
func nfd(name string) string { return norm.NFD.String(name) }

// renameInTenant renames a simulated tenant's connector, storing the new
// name as given (the simulator never normalizes), as an administrator typing
// it on a Mac might have.
func renameInTenant(t testing.TB, f tenantFixture, from, to string) {
	t.Helper()
	d := f.sim.Dump()
	n := 0
	for i, c := range d.Connectors {
		if c.Name == from {
			d.Connectors[i].Name = to
			n++
		}
	}
	if n != 1 {
		t.Fatalf("fixture: %d connectors named %q, want 1", n, from)
	}
	if err := f.sim.Restore(d); err != nil {
		t.Fatal(err)
	}
}

// A connector name in NFC in the bundle and in NFD in the target (or the
// other way round) is one name, as it is to every glob and rules file: the
// plan matches it and the import updates it. It was planned as a create, and
// the import made a second connector of the same name. A tenant whose
// detail shows only the en locale has the matched connector's other locales
// read too (they were asked for under the bundle's name only, so a second
// plan wanted to write them again).
func TestNamesMatchInEveryNormalizationForm(t *testing.T) {
	const name = "Zürich HR Feed" // listed in sandbox and production
	tests := []struct {
		name     string
		inBundle string
		inTarget string
		variants tenantsim.Variants
	}{
		{"bundle NFC, target NFD", name, nfd(name), tenantsim.Variants{}},
		{"bundle NFD, target NFC", nfd(name), name, tenantsim.Variants{}},
		{"bundle NFC, target NFD, detail-locales=requested", name, nfd(name), tenantsim.Variants{DetailLocales: "requested"}},
		{"bundle NFC, target in upper case, detail-locales=requested", name, strings.ToUpper(name), tenantsim.Variants{DetailLocales: "requested"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sandbox := newTenant(t, sandboxOpts())
			var cs []bundle.Connector
			for _, c := range bundleFromDump(t, sandbox.sim.Dump()) {
				if c.Name == name {
					c = withName(t, c, tt.inBundle)
				}
				cs = append(cs, c)
			}
			src := writeSource(t, sandbox.url, cs, nil)
			po := productionOpts()
			po.Variants = tt.variants
			prod := newTenant(t, po)
			setStatus(t, prod, "RELEASED", "Münchner Personalsystem")
			renameInTenant(t, prod, name, tt.inTarget)
			want, _ := byName(prod.sim.Dump(), name)
			opts := testOptions(t)
			p, err := MakePlan(t.Context(), prod.client(t), src, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				if glob.SameName(it.Name, name) && (it.Action == ActionCreate || it.TargetScriptName != want.ScriptName) {
					t.Errorf("plan: %q is %s %q, want an update of the target's %q (%s)", it.Name, it.Action, it.TargetScriptName, tt.inTarget, want.ScriptName)
				}
			}
			res, err := Apply(t.Context(), prod.client(t), src, p, opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Failed() != 0 {
				t.Fatalf("failed: %+v", failures(res))
			}
			checkNoDuplicates(t, prod.sim.Dump())
			again, err := MakePlan(t.Context(), prod.client(t), src, testOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range again.Items {
				if it.Action != ActionUnchanged && it.Action != ActionKeep {
					t.Errorf("plan after the import: %q is %s %v, want unchanged", it.Name, it.Action, it.Parts)
				}
			}
		})
	}
}

// Two bundle connectors whose names differ only in normalization form are
// one name in a tenant: the bundle is refused before anything is read.
func TestBundleNamesDifferingInNormalizationConflict(t *testing.T) {
	sandbox := newTenant(t, sandboxOpts())
	cs := bundleFromDump(t, sandbox.sim.Dump())
	var a, b int = -1, -1
	for i, c := range cs {
		switch c.Name {
		case "Zürich HR Feed":
			a = i
		case "Bogotá Nómina":
			b = i
		}
	}
	if a < 0 || b < 0 {
		t.Fatal("fixture: connectors missing")
	}
	cs[b] = withName(t, cs[b], strings.ToUpper(nfd("Zürich HR Feed")))
	src := writeSource(t, sandbox.url, cs, nil)
	prod := newTenant(t, productionOpts())
	_, err := MakePlan(t.Context(), prod.client(t), src, testOptions(t))
	if !errors.Is(err, ErrConflictingNames) {
		t.Fatalf("plan of a bundle holding %q and %q: %v, want ErrConflictingNames", cs[a].Name, cs[b].Name, err)
	}
}

// normalizingTarget stores every created connector's name (and default type)
// in NFC, as a tenant that normalizes names might, and loses the answer of
// the first create: the lookup after the lost answer must find the
// connector although its name is not the bytes sent.
type normalizingTarget struct {
	*tenant.Client
	lost bool
}

func (n *normalizingTarget) CreateConnector(ctx context.Context, nc tenant.NewConnector) (tenant.Connector, error) {
	if nc.Type == "" {
		nc.Type = "custom " + nc.Name
	}
	nc.Name, nc.Type = norm.NFC.String(nc.Name), norm.NFC.String(nc.Type)
	c, err := n.Client.CreateConnector(ctx, nc)
	if err != nil || n.lost {
		return c, err
	}
	n.lost = true
	return tenant.Connector{}, tenant.ErrAmbiguous
}

func TestLostCreateIsFoundInAnotherNormalizationForm(t *testing.T) {
	sandbox := newTenant(t, sandboxOpts())
	var one bundle.Connector
	for _, c := range bundleFromDump(t, sandbox.sim.Dump()) {
		if c.Name == "Bogotá Nómina" {
			one = withName(t, c, nfd(c.Name))
		}
	}
	src := writeSource(t, sandbox.url, []bundle.Connector{one}, nil)
	prod := newTenant(t, productionOpts())
	nt := &normalizingTarget{Client: prod.client(t)}
	opts := testOptions(t)
	res, err := importOnce(t.Context(), t, nt, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !nt.lost {
		t.Fatal("fixture: no create answer was lost")
	}
	checkNoDuplicates(t, prod.sim.Dump())
	if res.Failed() != 0 {
		t.Fatalf("failed: %+v", failures(res))
	}
	got, ok := byName(prod.sim.Dump(), "Bogotá Nómina")
	if !ok || res.Items[0].TargetScriptName != got.ScriptName {
		t.Fatalf("the import's target is %q, the tenant's connector %+v", res.Items[0].TargetScriptName, got)
	}
	// Found as sent, but for the normalization the tenant applied: the
	// import's own create, which a rollback deletes.
	rb, err := Rollback(t.Context(), prod.client(t), res.UndoPath, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, left := byName(prod.sim.Dump(), "Bogotá Nómina"); left {
		t.Errorf("the connector the import created is left after the rollback: %+v", rb.Items)
	}
}
