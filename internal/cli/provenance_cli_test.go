package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// startFlakySim is startSim whose first create (POST …/connectors) after
// arm is called is answered 500 before the tenant sees it: to the client,
// an answer lost.
func startFlakySim(t *testing.T, opts tenantsim.Options) (*tenantsim.Sim, map[string]string, func()) {
	t.Helper()
	sim := tenantsim.New(opts)
	var failed atomic.Bool
	failed.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/connectors") && !failed.Swap(true) {
			http.Error(w, `{"detailCode":"500.0 Internal Fault","messages":[{"text":"boom"}]}`, http.StatusInternalServerError)
			return
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return sim, map[string]string{"SAIL_BASE_URL": srv.URL, "SAIL_CLIENT_ID": opts.ClientID, "SAIL_CLIENT_SECRET": opts.ClientSecret},
		func() { failed.Store(false) }
}

func createLike(t *testing.T, vars map[string]string, like tenantsim.DumpConnector, status tenant.Status) string {
	t.Helper()
	cl, err := tenant.New(tenant.Options{BaseURL: vars["SAIL_BASE_URL"], ClientID: vars["SAIL_CLIENT_ID"], ClientSecret: vars["SAIL_CLIENT_SECRET"],
		Rate: tenant.Unlimited(), BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cl.CreateConnector(t.Context(), tenant.NewConnector{Name: like.Name, Type: like.Type, ClassName: like.ClassName, Status: status})
	if err != nil {
		t.Fatalf("fixture: create %q: %v", like.Name, err)
	}
	return c.ScriptName
}

var undoLine = regexp.MustCompile(`Undo bundle: (\S+)`)

// Issue 7, item 2: the target already holds a DEMO connector N (the list
// hides it) and the bundle holds N too. The create gets 500, the tool asks
// for a mapping entry, the user adds it and reruns. N existed before the
// import, so rollback must not delete it: it restores it.
func TestRollbackKeepsPreexistingConnectorFoundThroughMapping(t *testing.T) {
	t.Parallel()
	src, srcVars := startSim(t, tenantsim.Options{Seed: 81, Connectors: 4, MaxLocales: 1, TenantName: "sb"})
	dst, dstVars, arm := startFlakySim(t, tenantsim.Options{Seed: 82, Connectors: 2, MaxLocales: 1, TenantName: "prod", ClientID: "prod", ClientSecret: "prod-secret"})
	dir := t.TempDir()
	name := releasedNames(src.Dump())[0]
	like, _ := byNameDump(src.Dump(), name)
	srcScript := like.ScriptName
	dstScript := createLike(t, dstVars, like, tenant.StatusDemo)
	original, _ := byNameDump(dst.Dump(), name)
	b := exportTo(t, srcVars, filepath.Join(dir, "b.tar.gz"), "--script-name", srcScript, "--exclude", "*") // only the named one
	state := filepath.Join(dir, "state")

	arm()
	r := runCLI(t, dstVars, "import", "--rate", "0", "--state-dir", state, "--yes", b)
	if r.code != exitPartial || !strings.Contains(r.stdout+r.stderr, "mapping file") {
		t.Fatalf("first import (create answered 500, name taken by a DEMO connector): exit %d, want 3 asking for a mapping entry:\n%s%s", r.code, r.stdout, r.stderr)
	}
	mapFile := filepath.Join(dir, "map.json")
	if err := importer.WriteMapping(mapFile, importer.Mapping{FormatVersion: importer.MappingFormatVersion,
		Entries: []importer.MappingEntry{{SourceScriptName: srcScript, TargetScriptName: dstScript}}}); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, dstVars, "import", "--rate", "0", "--state-dir", state, "--map", mapFile, "--yes", b)
	if r.code != exitOK {
		t.Fatalf("rerun with the mapping entry: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	m := undoLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no undo bundle named:\n%s", r.stdout)
	}
	r = runCLI(t, dstVars, "rollback", "--rate", "0", "--state-dir", state, "--yes", m[1])
	got, ok := byNameDump(dst.Dump(), name)
	if !ok {
		t.Fatalf("rollback deleted %q, which existed before the import (exit %d):\n%s%s", name, r.code, r.stdout, r.stderr)
	}
	// The import added translations, which the API cannot remove: the
	// rollback says so (and exits 3).
	if len(got.Translations) > len(original.Translations) && (r.code != exitPartial || !strings.Contains(r.stdout, "cannot be removed")) {
		t.Errorf("rollback: exit %d without reporting the locales it cannot remove:\n%s", r.code, r.stdout)
	}
	got.Translations = original.Translations
	if d := dumpDiff(got, original); got.ScriptName != dstScript || d != "" {
		t.Errorf("rollback left %q (%s, created as %s) differing from its state before the import:\n%s", name, got.ScriptName, dstScript, d)
	}
}

func byNameDump(d tenantsim.Dump, name string) (tenantsim.DumpConnector, bool) {
	for _, c := range d.Connectors {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return tenantsim.DumpConnector{}, false
}

// dumpDiff names the fields in which two dumped connectors differ.
func dumpDiff(a, b tenantsim.DumpConnector) string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var out []string
	for i := range va.NumField() {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			out = append(out, fmt.Sprintf("%s: %.200v ≠ %.200v", va.Type().Field(i).Name, va.Field(i).Interface(), vb.Field(i).Interface()))
		}
	}
	return strings.Join(out, "\n")
}
