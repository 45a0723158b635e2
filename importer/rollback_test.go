package importer

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// checkRolledBack asserts that after equals original except exactly what the
// rollback reported it could not undo: added locales, and deleted connectors
// that came back under a new scriptName (those must match by content).
func checkRolledBack(t testing.TB, original, after tenantsim.Dump, res Result) {
	t.Helper()
	after = cloneDump(after)
	idx := map[string]int{}
	for i, c := range after.Connectors {
		idx[c.ScriptName] = i
	}
	recreated := map[string]string{} // old scriptName → new
	var unproven []string            // names of connectors left behind as unprovable creates
	for _, it := range res.Items {
		for _, n := range it.Notes {
			var loc string
			if _, err := fmt.Sscanf(n, "locale %s was added by the import", &loc); err == nil {
				i, ok := idx[it.TargetScriptName]
				if !ok {
					t.Errorf("rollback reports locale %s of %s, which does not exist", loc, it.TargetScriptName)
					continue
				}
				delete(after.Connectors[i].Translations, loc)
				if len(after.Connectors[i].Translations) == 0 {
					after.Connectors[i].Translations = nil
				}
			}
		}
		if it.Status == StatusPartial && slices.ContainsFunc(it.Notes, func(n string) bool {
			return strings.Contains(n, "cannot prove it")
		}) {
			// A create whose answer was lost is not provably the import's:
			// rollback leaves the connector (an empty shell) and says so.
			if _, before := byName(original, it.Name); !before {
				unproven = append(unproven, it.Name)
			}
		}
		if it.Action == ActionCreate && it.Status == StatusPartial {
			for _, c := range original.Connectors {
				if c.Name == it.Name {
					recreated[c.ScriptName] = it.TargetScriptName
				}
			}
		}
	}
	for old, nu := range recreated {
		o, n := original.Connectors[slices.IndexFunc(original.Connectors, func(c tenantsim.DumpConnector) bool { return c.ScriptName == old })],
			after.Connectors[idx[nu]]
		if o.Name != n.Name || o.Type != n.Type || o.ClassName != n.ClassName || o.Status != n.Status || o.DirectConnect != n.DirectConnect ||
			o.SourceConfigXml != n.SourceConfigXml || o.ApplicationXml != n.ApplicationXml || o.CorrelationConfigXml != n.CorrelationConfigXml ||
			!reflect.DeepEqual(o.Translations, n.Translations) || !reflect.DeepEqual(o.ConnectorMetadata, n.ConnectorMetadata) {
			t.Errorf("recreated %q (%s → %s) differs from its pre-image", o.Name, old, nu)
		}
	}
	after.Connectors = slices.DeleteFunc(after.Connectors, func(c tenantsim.DumpConnector) bool {
		return slices.ContainsFunc(unproven, func(n string) bool { return strings.EqualFold(c.Name, n) })
	})
	idx = map[string]int{}
	for i, c := range after.Connectors {
		idx[c.ScriptName] = i
	}
	keep := func(d tenantsim.Dump, drop func(string) bool) tenantsim.Dump {
		var out tenantsim.Dump
		for _, c := range d.Connectors {
			if !drop(c.ScriptName) {
				out.Connectors = append(out.Connectors, c)
			}
		}
		return out
	}
	olds := slices.Collect(maps.Keys(recreated))
	news := slices.Collect(maps.Values(recreated))
	if d := diffDumps(keep(original, func(s string) bool { return slices.Contains(olds, s) }),
		keep(after, func(s string) bool { return slices.Contains(news, s) })); len(d) > 0 {
		t.Errorf("rollback did not restore the tenant: %v", d)
	}
}

func cloneDump(d tenantsim.Dump) tenantsim.Dump {
	out := tenantsim.Dump{Connectors: slices.Clone(d.Connectors)}
	for i := range out.Connectors {
		out.Connectors[i].Translations = maps.Clone(out.Connectors[i].Translations)
	}
	return out
}

// addedLocales returns "scriptName/locale" of every locale an import added to
// a connector that existed before it.
func addedLocales(before, after tenantsim.Dump) []string {
	var out []string
	for _, b := range before.Connectors {
		for _, a := range after.Connectors {
			if a.ScriptName != b.ScriptName {
				continue
			}
			for loc := range a.Translations {
				if _, ok := b.Translations[loc]; !ok {
					out = append(out, a.ScriptName+"/"+loc)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func reportedLocales(res Result) []string {
	var out []string
	for _, it := range res.Items {
		for _, n := range it.Notes {
			var loc string
			if _, err := fmt.Sscanf(n, "locale %s was added by the import", &loc); err == nil {
				out = append(out, it.TargetScriptName+"/"+loc)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestRollback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		maxLocales  int
		allowDelete bool
		exact       bool // no locale added, nothing deleted: the tenant must be equal
	}{
		{"exact: no locale added, nothing deleted", 1, false, true},
		{"added locales and deletions are reported", 2, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			so, po := sandboxOpts(), productionOpts()
			so.MaxLocales, po.MaxLocales = tt.maxLocales, tt.maxLocales
			sandbox, prod := newTenant(t, so), newTenant(t, po)
			src := exportSource(t, sandbox)
			original := prod.sim.Dump()
			opts := testOptions(t)
			opts.Mapping = unlistedSameName(src, original)
			opts.AllowDelete = tt.allowDelete
			res := mustImport(t, prod.client(t), src, opts)
			imported := prod.sim.Dump()
			if len(diffDumps(original, imported)) == 0 {
				t.Fatal("the import changed nothing")
			}
			added := addedLocales(original, imported)
			if tt.exact != (len(added) == 0) {
				t.Fatalf("fixture: added locales %v", added)
			}

			rb, err := Rollback(t.Context(), prod.client(t), res.UndoPath, opts)
			if err != nil {
				t.Fatal(err)
			}
			after := prod.sim.Dump()
			if tt.exact {
				if rb.Failed() != 0 {
					t.Errorf("rollback: %d items not done: %+v", rb.Failed(), failures(rb))
				}
				if d := diffDumps(original, after); len(d) > 0 || !reflect.DeepEqual(original, after) {
					t.Errorf("tenant not back to its exact pre-import state: %v", d)
				}
				// The rolled-back run is neither continued nor probed again.
				p, err := MakePlan(t.Context(), prod.client(t), src, opts)
				if err != nil {
					t.Fatal(err)
				}
				matched := 0
				for _, it := range p.Items {
					if it.SourceScriptName != "" && it.TargetScriptName != "" {
						matched++
					}
				}
				if p.Reads != int64(1+matched) {
					t.Errorf("plan after rollback: %d reads, want %d (no probes of rolled-back creates)", p.Reads, 1+matched)
				}
				again, err := Apply(t.Context(), prod.client(t), src, p, opts)
				if err != nil || again.Resumed || again.UndoPath == res.UndoPath {
					t.Errorf("import after rollback: err %v, resumed %t, undo %s", err, again.Resumed, again.UndoPath)
				}
				return
			}
			if got := reportedLocales(rb); !slices.Equal(got, added) {
				t.Errorf("rollback reports added locales %v, want exactly %v", got, added)
			}
			deleted := 0
			for _, it := range rb.Items {
				if it.Action == ActionCreate {
					deleted++
					if it.Status != StatusPartial || !strings.Contains(strings.Join(it.Notes, " "), "recreated") {
						t.Errorf("recreated %q not reported: %+v", it.Name, it)
					}
				}
				if it.Status == StatusFailed {
					t.Errorf("rollback item failed: %+v", it)
				}
			}
			if deleted == 0 {
				t.Error("fixture: the import deleted nothing")
			}
			checkRolledBack(t, original, after, rb)

			// Rollback can be rerun: nothing left to write, the same report.
			prod.sim.ResetStats()
			rb2, err := Rollback(t.Context(), prod.client(t), res.UndoPath, opts)
			if err != nil {
				t.Fatal(err)
			}
			if w := prod.sim.Stats().Writes; w != 0 {
				t.Errorf("second rollback wrote %d times", w)
			}
			if d := diffDumps(after, prod.sim.Dump()); len(d) > 0 {
				t.Errorf("second rollback changed the tenant: %v", d)
			}
			if got := reportedLocales(rb2); !slices.Equal(got, added) {
				t.Errorf("second rollback reports %v, want %v", got, added)
			}
		})
	}
}

func TestRollbackRefusesOtherTenant(t *testing.T) {
	t.Parallel()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, tenantsim.Options{TenantName: "p"})
	opts := testOptions(t)
	res := mustImport(t, prod.client(t), exportSource(t, sandbox), opts)
	other := newTenant(t, tenantsim.Options{TenantName: "other"})
	_, err := Rollback(t.Context(), other.client(t), res.UndoPath, opts)
	if err == nil || !strings.Contains(err.Error(), "belongs to") {
		t.Fatalf("err = %v, want a refusal naming the undo bundle's tenant", err)
	}
	if w := other.sim.Stats().Writes; w != 0 {
		t.Errorf("%d writes", w)
	}
}
