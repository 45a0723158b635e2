package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// Sandbox and production as the issue describes them: 40 and 12 connectors;
// production holds "Genève Annuaire" as DEVELOPMENT (hidden from the list),
// which a production source uses.
func sandbox21() tenantsim.Options { return tenantsim.Options{Seed: 21, Connectors: 40} }
func production22() tenantsim.Options {
	return tenantsim.Options{Seed: 22, Connectors: 12, ClientID: "prod", ClientSecret: "prod-secret"}
}

// checkAllMigrated fails unless every custom connector of the sandbox is in
// production exactly once by name.
func checkAllMigrated(t *testing.T, sb, prod *tenantsim.Sim) {
	t.Helper()
	count := map[string]int{}
	for _, c := range prod.Dump().Connectors {
		count[strings.ToLower(c.Name)]++
	}
	for _, c := range sb.Dump().Connectors {
		if c.BuiltIn {
			continue
		}
		if n := count[strings.ToLower(c.Name)]; n != 1 {
			t.Errorf("%q (%s in the sandbox) is %d times in production", c.Name, c.Status, n)
		}
	}
}

// TestSandboxToProductionWithoutMapping: export (which finds the sandbox's
// hidden connectors through its sources) and import (which finds
// production's hidden same-name connector through production's sources)
// converge in one run with no mapping file; a second plan has no changes.
// With --sources=false the same import stops asking for a mapping entry.
func TestSandboxToProductionWithoutMapping(t *testing.T) {
	sb, sbVars := startSim(t, sandbox21())
	bundlePath := filepath.Join(t.TempDir(), "sandbox.tar.gz")
	if r := runCLI(t, sbVars, "export", "--rate", "0", "--locales", "detail", "--out", bundlePath); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	for _, c := range sb.Dump().Connectors {
		if !c.BuiltIn && c.Status != "RELEASED" {
			if r := runCLI(t, nil, "inspect", bundlePath); !strings.Contains(r.stdout, c.ScriptName) {
				t.Errorf("hidden %q (%s) is not in the bundle", c.Name, c.ScriptName)
			}
		}
	}

	off, offVars := startSim(t, production22())
	if r := runCLI(t, offVars, "import", "--rate", "0", "--yes", "--sources=false", "--state-dir", t.TempDir(), bundlePath); r.code != exitPartial ||
		!strings.Contains(r.stdout+r.stderr, `"Genève Annuaire"`) || !strings.Contains(r.stdout+r.stderr, "mapping file") {
		t.Errorf("--sources=false: exit %d, want 3 asking for a mapping of Genève Annuaire:\n%s%s", r.code, r.stdout, r.stderr)
	}
	_ = off

	prod, prodVars := startSim(t, production22())
	state := t.TempDir()
	r := runCLI(t, prodVars, "import", "--rate", "0", "--yes", "--state-dir", state, bundlePath)
	if r.code != exitOK {
		t.Fatalf("import: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "Genève Annuaire") {
		t.Errorf("the result does not show Genève Annuaire:\n%s", r.stdout)
	}
	checkAllMigrated(t, sb, prod)
	if r := runCLI(t, prodVars, "plan", "--rate", "0", "--detailed-exitcode", "--state-dir", state, bundlePath); r.code != exitOK {
		t.Errorf("second plan: exit %d, want 0 (no changes):\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestSandboxToProductionAfterKills: the same migration, SIGKILLed at random
// writes (before or after the tenant applied them), converges on a plain
// rerun to what an uninterrupted import gives, without a mapping file.
func TestSandboxToProductionAfterKills(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	_, sbVars := startSim(t, sandbox21())
	bundlePath := filepath.Join(t.TempDir(), "sandbox.tar.gz")
	if r := runCLI(t, sbVars, "export", "--rate", "0", "--locales", "detail", "--out", bundlePath); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	ref := production22()
	refSim := tenantsim.New(ref)
	rec := &writeLog{next: refSim}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	refVars := map[string]string{"SAIL_BASE_URL": srv.URL, "SAIL_CLIENT_ID": ref.ClientID, "SAIL_CLIENT_SECRET": ref.ClientSecret}
	if r := runCLI(t, refVars, "import", "--rate", "0", "--yes", "--concurrency", "1", "--state-dir", t.TempDir(), bundlePath); r.code != exitOK {
		t.Fatalf("reference import: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	want := dumpJSON(t, refSim)
	rng := rand.New(rand.NewPCG(21, 22)) // random moments, the same on every run
	for i := range 6 {
		after := i%2 == 1
		k := 1 + rng.IntN(len(rec.writes))
		// A create of a connector that is not RELEASED, killed after the
		// tenant applied it, leaves a connector nothing can find (the list
		// hides it, no source uses it yet): the README's limitation. The
		// migration converges wherever hidden connectors are used by
		// sources, so such a moment moves to the next write.
		for after && rec.writes[k-1].hiddenCreate {
			k = k%len(rec.writes) + 1
		}
		t.Run(fmt.Sprintf("write%d-after%t", k, after), func(t *testing.T) {
			target := production22()
			sim := tenantsim.New(target)
			vars, state := importKilledAt(t, sim, target, k, after, "1", bundlePath) // concurrency 1: the reference's write order
			r := runCLI(t, vars, "import", "--rate", "0", "--yes", "--state-dir", state, bundlePath)
			if r.code != exitOK {
				t.Fatalf("rerun after a kill at write %d: exit %d:\n%s%s", k, r.code, r.stdout, r.stderr)
			}
			if got := dumpJSON(t, sim); got != want {
				t.Errorf("after a kill at write %d and a rerun, production differs from an uninterrupted import", k)
				logDumpDiff(t, want, got)
			}
		})
	}
}

// writeLog records, in order, whether each write request is a create of a
// connector that is not RELEASED.
type writeLog struct {
	next   http.Handler
	writes []loggedWrite
}

type loggedWrite struct{ hiddenCreate bool }

func (l *writeLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && !strings.HasPrefix(r.URL.Path, "/oauth/") && !strings.HasPrefix(r.URL.Path, "/_sim/") {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var c struct{ Status string }
		hidden := r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/connectors") &&
			json.Unmarshal(body, &c) == nil && c.Status != "RELEASED"
		l.writes = append(l.writes, loggedWrite{hiddenCreate: hidden})
	}
	l.next.ServeHTTP(w, r)
}

// TestSPConfigRemapCommand: the bridge rewrites an SP-Config export with an
// import's mapping file, reports each rewrite, writes OUT, and refuses a
// document it does not recognise without writing anything.
func TestSPConfigRemapCommand(t *testing.T) {
	dir := t.TempDir()
	mapping := filepath.Join(dir, "mapping.json")
	if err := importer.WriteMapping(mapping, importer.Mapping{FormatVersion: 1, Entries: []importer.MappingEntry{
		{SourceScriptName: "zurich-hr-feed-af9c4a", TargetScriptName: "zurich-hr-feed-2-af9c4a", Name: "Zürich HR Feed"},
		{SourceScriptName: "sao-paulo-payroll-af9c4a", TargetScriptName: "sao-paulo-payroll-1b3352", Name: "São Paulo Payroll"},
	}}); err != nil {
		t.Fatal(err)
	}
	in, _ := filepath.Abs("../../spconfig/testdata/restore.in.json")
	out := filepath.Join(dir, "out.json")
	r := runCLI(t, nil, "spconfig-remap", in, out, "--map", mapping)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile("../../spconfig/testdata/restore.out.json")
	if string(got) != string(want) {
		t.Error("OUT differs from spconfig/testdata/restore.out.json")
	}
	for _, line := range []string{
		`rewrote SOURCE "Zürich HR Feed Production" /objects/0/object/connectorScriptName: zurich-hr-feed-af9c4a → zurich-hr-feed-2-af9c4a`,
		`kept SOURCE "Active Directory" /objects/1/object/connectorScriptName: active-directory (not in the mapping)`,
		"4 rewrites, 1 references not in the mapping; wrote " + out,
	} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("stdout lacks %q:\n%s", line, r.stdout)
		}
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"connectors": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(dir, "out2.json")
	if r := runCLI(t, nil, "spconfig-remap", "--map", mapping, bad, out2); r.code != exitError || !strings.Contains(r.stderr, "not an SP-Config export document") {
		t.Errorf("unrecognised document: exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Error("OUT was written for a refused document")
	}
}
