package importer

import (
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// A bundle connector that names another one's scriptName where remapping
// does not reach (a translation: not tied to a key naming a scriptName) is
// warned about by the plan, with connector, file and line, when that other
// connector gets another scriptName in the target (created anew); the
// reference that remapping rewrites is not.
func TestPlanWarnsOfReferencesLeftUnmapped(t *testing.T) {
	t.Parallel()
	sandbox := newTenant(t, sandboxOpts())
	cs := bundleFromDump(t, sandbox.sim.Dump())
	if len(cs) < 2 {
		t.Fatal("fixture: fewer than two connectors")
	}
	from, to := &cs[0], cs[1]
	from.Translations = map[string][]byte{"en": []byte("a=b\nhelp=see " + to.ScriptName + " for the feed\n")}
	src := writeSource(t, sandbox.url, cs, nil)
	empty := newTenant(t, tenantsim.Options{Seed: 9, TenantName: "empty"})
	p, err := MakePlan(t.Context(), empty.client(t), src, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	want := `"` + from.Name + `": connectors/` + from.ScriptName + `/translations/en.properties line 2 names the source scriptName "` + to.ScriptName + `"`
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.HasPrefix(w, want) }) {
		t.Errorf("the plan does not warn of the reference left in %s:\nwant a warning starting %s\ngot %q", from.Name, want, p.Warnings)
	}
}

// Newcomer N25: a reference under a key naming a scriptName
// (connectorScriptName) to a connector the same import creates is remapped
// once the create has its scriptName; the plan must not warn that it is
// "not remapped", as it did, while it still warns of the free-text mention.
func TestPlanDoesNotWarnOfReferencesToCreates(t *testing.T) {
	t.Parallel()
	sandbox := newTenant(t, sandboxOpts())
	cs := bundleFromDump(t, sandbox.sim.Dump())
	from, to := &cs[0], cs[1]
	entry := `<entry key="connectorScriptName" value="` + to.ScriptName + `"/>`
	from.SourceTemplate = []byte(strings.Replace(string(from.SourceTemplate), "<Attributes>", "<Attributes>\n"+entry, 1))
	if !strings.Contains(string(from.SourceTemplate), entry) {
		t.Fatalf("fixture: no <Attributes> in %s's source template:\n%s", from.Name, from.SourceTemplate)
	}
	from.Translations = map[string][]byte{"en": []byte("a=b\nhelp=see " + to.ScriptName + " for the feed\n")}
	src := writeSource(t, sandbox.url, cs, nil)
	empty := newTenant(t, tenantsim.Options{Seed: 9, TenantName: "empty"})
	opts := testOptions(t)
	p, err := MakePlan(t.Context(), empty.client(t), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "translations/en.properties line 2") {
		t.Errorf("warnings %q; want only the one of the translation", p.Warnings)
	}
	res, err := Apply(t.Context(), empty.client(t), src, p, opts)
	if err != nil || res.Failed() > 0 {
		t.Fatalf("import: %v %+v", err, failures(res))
	}
	checkMigrated(t, src, empty.sim.Dump(), res.MappingPath)
}
