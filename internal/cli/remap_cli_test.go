package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// Issue 7, item 5: a scriptName reference written in IdentityIQ's nested
// form, <entry key="…ScriptName"><value><String>…</String></value></entry>
// (and in a <List>), is remapped like the attribute form; a reference the
// import cannot tie to a scriptName key is named in a warning with its file
// and line.
func TestImportRemapsNestedScriptNameReferences(t *testing.T) {
	t.Parallel()
	src, srcVars := startSim(t, tenantsim.Options{Seed: 97, Connectors: 3, MaxLocales: 1, TenantName: "sb"})
	dst, dstVars := startSim(t, tenantsim.Options{Seed: 98, Connectors: 0, TenantName: "prod", ClientID: "prod", ClientSecret: "prod-secret"})
	dir := t.TempDir()
	names := releasedNames(src.Dump())
	a, _ := byNameDump(src.Dump(), names[0])
	b, _ := byNameDump(src.Dump(), names[1])
	template := fmt.Sprintf(`<Application name="x"><Attributes><Map>
<entry key="connectorScriptName">
  <value>
    <String>%[1]s</String>
  </value>
</entry>
<entry key="proxyScriptNames"><value><List><String>%[1]s</String></List></value></entry>
<entry key="description" value="feeds %[1]s"/>
</Map></Attributes></Application>`, a.ScriptName)
	if _, err := adminClient(t, srcVars).PutPart(context.Background(), b.ScriptName, tenant.Part{Kind: tenant.SourceTemplate}, []byte(template)); err != nil {
		t.Fatal(err)
	}
	bundlePath := exportTo(t, srcVars, filepath.Join(dir, "sb.tar.gz"))
	r := runCLI(t, dstVars, "import", "--rate", "0", "--state-dir", filepath.Join(dir, "state"), "--yes", bundlePath)
	if r.code != exitOK {
		t.Fatalf("import: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	newA, ok := byNameDump(dst.Dump(), a.Name)
	if !ok || newA.ScriptName == a.ScriptName {
		t.Fatalf("fixture: %q not created under a new scriptName", a.Name)
	}
	got, _ := byNameDump(dst.Dump(), b.Name)
	want := strings.Replace(strings.Replace(template, "<String>"+a.ScriptName, "<String>"+newA.ScriptName, 2), "    <String>"+a.ScriptName, "    <String>"+newA.ScriptName, 1)
	if got.ApplicationXml != want {
		t.Errorf("%q's source template in the target:\n%s\nwant the nested references remapped:\n%s", b.Name, got.ApplicationXml, want)
	}
	if !strings.Contains(r.stdout, "warning:") || !strings.Contains(r.stdout, "source-template.xml line 8") || !strings.Contains(r.stdout, a.ScriptName) {
		t.Errorf("the import does not warn about the reference it cannot remap (source-template.xml line 8):\n%s", r.stdout)
	}
}
