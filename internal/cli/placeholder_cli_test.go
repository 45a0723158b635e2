package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// shellTemplate is a source template holding shell text and a header that
// names connvault's own secret: none of it is a placeholder of the user's.
const shellTemplate = `<Application name="x"><Attributes><Map>
<entry key="script" value="cd ${HOME} &amp;&amp; run --as ${LOGIN}"/>
<entry key="header" value="Authorization: ${SAIL_CLIENT_SECRET}"/>
</Map></Attributes></Application>`

// Issue 7, item 4: a plain import (no rules, no values) and a transform
// whose rules only rename write the bundle's bytes unchanged: ${HOME},
// ${LOGIN} and ${SAIL_CLIENT_SECRET} are not filled from the environment,
// and a restore is not refused when they are unset.
func TestPlainImportWritesPlaceholdersUnchanged(t *testing.T) {
	t.Parallel()
	sim, vars := startSim(t, tenantsim.Options{Seed: 95, Connectors: 3, MaxLocales: 1, TenantName: "corp"})
	dir := t.TempDir()
	name := releasedNames(sim.Dump())[0]
	c, _ := byNameDump(sim.Dump(), name)
	admin := adminClient(t, vars)
	put := func(text string) {
		t.Helper()
		if _, err := admin.PutPart(context.Background(), c.ScriptName, tenant.Part{Kind: tenant.SourceTemplate}, []byte(text)); err != nil {
			t.Fatal(err)
		}
	}
	put(shellTemplate)
	b := exportTo(t, vars, filepath.Join(dir, "backup.tar.gz"))
	put("<Application name=\"x\"/>") // an administrator's change, to be restored

	withShell := map[string]string{"HOME": "/home/ops", "LOGIN": "ops"}
	for k, v := range vars {
		withShell[k] = v
	}
	for _, env := range []struct {
		name string
		vars map[string]string
	}{{"shell variables set", withShell}, {"shell variables unset", vars}} {
		r := runCLI(t, env.vars, "import", "--rate", "0", "--state-dir", filepath.Join(dir, "state-"+env.name), "--yes", b)
		if r.code != exitOK {
			t.Errorf("%s: plain restore: exit %d:\n%s%s", env.name, r.code, r.stdout, r.stderr)
			continue
		}
		got, _ := byNameDump(sim.Dump(), name)
		if got.ApplicationXml != shellTemplate {
			t.Errorf("%s: plain restore wrote a source template other than the bundle's:\n%s", env.name, got.ApplicationXml)
		}
		if raw, _ := json.Marshal(sim.Dump()); strings.Contains(string(raw), vars["SAIL_CLIENT_SECRET"]) {
			t.Errorf("%s: the client secret is in the tenant", env.name)
		}
		put("<Application name=\"x\"/>")
	}

	rules := writeRules(t, dir, fmt.Sprintf("rename: {%q: %q}\n", name, name+" PROD"))
	out := filepath.Join(dir, "renamed.tar.gz")
	if r := runCLI(t, withShell, "transform", "--rules", rules, b, out); r.code != exitOK {
		t.Fatalf("transform (rename only): exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	tb, err := bundle.Open(t.Context(), out, bundle.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	cs, err := tb.LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cs {
		if tc.Name == name+" PROD" && string(tc.SourceTemplate) != shellTemplate {
			t.Errorf("transform with rename-only rules rewrote the source template:\n%s", tc.SourceTemplate)
		}
	}
}
