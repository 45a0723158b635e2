package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// hiddenAndReleased starts a simulated tenant and returns it with its
// variables, one hidden (DEVELOPMENT or DEMO) connector and the name of a
// released custom one, which an --include can single out.
func hiddenAndReleased(t *testing.T) (*tenantsim.Sim, map[string]string, tenantsim.DumpConnector, string) {
	t.Helper()
	sim, vars := startSim(t, tenantsim.Options{Seed: 7, Connectors: 12, MaxLocales: 1})
	var hidden []tenantsim.DumpConnector
	for _, dc := range sim.Dump().Connectors {
		if !dc.BuiltIn && dc.Status != "RELEASED" {
			hidden = append(hidden, dc)
		}
	}
	rel := released(sim)
	if len(hidden) == 0 || len(rel) == 0 {
		t.Fatalf("the simulated tenant has %d hidden and %d released connectors, want some of each", len(hidden), len(rel))
	}
	return sim, vars, hidden[0], rel[0].Name
}

// TestFilteredRunKeepsCarriedHidden: a hidden connector named once stays on
// the carry-forward list through a run whose --include leaves it out, in a
// repository (backup) and for an export to an existing bundle and
// --script-names-from: the run after it backs the connector up again.
func TestFilteredRunKeepsCarriedHidden(t *testing.T) {
	_, vars, h, only := hiddenAndReleased(t)
	base := []string{"--rate", "0", "--locales", "detail", "--sources=false"}

	t.Run("backup", func(t *testing.T) {
		repo := filepath.Join(t.TempDir(), "repo")
		backup := func(extra ...string) backupRow {
			t.Helper()
			args := append(append([]string{"backup", "--repo", repo, "--tenant", "sbx", "--json"}, base...), extra...)
			r := runCLI(t, vars, args...)
			if r.code != exitOK {
				t.Fatalf("backup %v: exit %d\n%s%s", extra, r.code, r.stdout, r.stderr)
			}
			return backupRows(t, r)["sbx"]
		}
		named := backup("--script-name", h.ScriptName)
		if again := backup(); again.Result != "unchanged" || again.Connectors != named.Connectors {
			t.Fatalf("carried forward: %s with %d connectors, want unchanged with %d", again.Result, again.Connectors, named.Connectors)
		}
		if filtered := backup("--include", only); filtered.Connectors != 1 {
			t.Fatalf("--include %q: %d connectors, want 1", only, filtered.Connectors)
		}
		if after := backup(); after.Result != "stored" || after.Connectors != named.Connectors {
			t.Errorf("after a filtered run: %s with %d connectors, want %d: hidden %s dropped from the carry-forward list", after.Result, after.Connectors, named.Connectors, h.ScriptName)
		}
	})

	t.Run("export", func(t *testing.T) {
		dir := t.TempDir()
		out := filepath.Join(dir, "cf.tar.gz")
		export := func(args ...string) cliRun {
			t.Helper()
			r := runCLI(t, vars, append(append([]string{"export"}, base...), args...)...)
			if r.code != exitOK {
				t.Fatalf("export %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
			}
			return r
		}
		export("--out", out, "--script-name", h.ScriptName)
		r := export("--out", out, "--include", only)
		if !strings.Contains(r.stderr+r.stdout, "still carried forward") {
			t.Errorf("a filtered run does not say the hidden connector stays carried forward:\n%s%s", r.stdout, r.stderr)
		}
		if got := scriptNamesIn(t, out); slices.Contains(got, h.ScriptName) {
			t.Fatalf("--include %q exported %s", only, h.ScriptName)
		}
		// The filtered bundle still names it, for another bundle and for the
		// next export to the same path.
		other := filepath.Join(dir, "other.tar.gz")
		export("--out", other, "--script-names-from", out)
		export("--out", out)
		for _, p := range []string{other, out} {
			if got := scriptNamesIn(t, p); !slices.Contains(got, h.ScriptName) {
				t.Errorf("%s: hidden %s dropped after a filtered run (has %v)", filepath.Base(p), h.ScriptName, got)
			}
		}
	})
}

// scriptNamesIn returns the scriptNames of the connectors in the bundle at
// path, which must verify.
func scriptNamesIn(t *testing.T, path string) []string {
	t.Helper()
	m, err := bundle.Verify(t.Context(), path, bundle.ReadOptions{})
	if err != nil {
		t.Fatalf("verify %s: %v", path, err)
	}
	var out []string
	for _, e := range m.Connectors {
		out = append(out, e.ScriptName)
	}
	return out
}

// replaceConnector changes the simulated tenant: the connector scriptName
// is deleted, or with newScriptName recreated under it (same name and
// content), as a restore into another tenant recreates a connector.
func replaceConnector(t *testing.T, sim *tenantsim.Sim, scriptName, newScriptName string) {
	t.Helper()
	d := sim.Dump()
	var kept []tenantsim.DumpConnector
	for _, c := range d.Connectors {
		if c.ScriptName == scriptName {
			if newScriptName == "" {
				continue
			}
			c.ScriptName = newScriptName
		}
		kept = append(kept, c)
	}
	d.Connectors = kept
	d.Sources = slices.DeleteFunc(d.Sources, func(s tenantsim.DumpSource) bool { return s.Connector == scriptName && newScriptName == "" })
	for i := range d.Sources {
		if d.Sources[i].Connector == scriptName {
			d.Sources[i].Connector = newScriptName
		}
	}
	if err := sim.Restore(d); err != nil {
		t.Fatal(err)
	}
}

// TestGoneHiddenConnectorsKeepBeingReported: a hidden connector carried
// forward that the tenant no longer has makes every backup say so
// (warning, --json gone, metrics, exit 3), not only the first, and not
// "unchanged" without a word; --forget drops it, and a connector of the same
// name under a new scriptName (as a restore creates it) replaces it.
func TestGoneHiddenConnectorsKeepBeingReported(t *testing.T) {
	sim, vars, h, _ := hiddenAndReleased(t)
	repo := filepath.Join(t.TempDir(), "repo")
	metrics := filepath.Join(t.TempDir(), "connvault.prom")
	backup := func(wantCode int, extra ...string) (backupRow, cliRun) {
		t.Helper()
		args := append([]string{"backup", "--repo", repo, "--tenant", "sbx", "--rate", "0", "--locales", "detail", "--sources=false", "--metrics-file", metrics}, extra...)
		r := runCLI(t, vars, args...)
		if r.code != wantCode {
			t.Fatalf("backup %v: exit %d, want %d\n%s%s", extra, r.code, wantCode, r.stdout, r.stderr)
		}
		jr := runCLI(t, vars, append(args, "--json")...)
		return backupRows(t, jr)["sbx"], r
	}
	backup(exitOK, "--script-name", h.ScriptName)
	replaceConnector(t, sim, h.ScriptName, "")
	for i := range 2 { // the first run finds it gone, the next still says so
		row, r := backup(exitPartial)
		if !slices.Equal(row.Gone, []string{h.ScriptName}) || !strings.Contains(r.stdout, "WARNING: tenant sbx: 1 hidden connectors") ||
			!strings.Contains(r.stdout, h.ScriptName+" ("+h.Name+")") || !strings.Contains(r.stdout, "--forget") {
			t.Errorf("run %d after the deletion: gone %v, want %s said prominently:\n%s%s", i+1, row.Gone, h.ScriptName, r.stdout, r.stderr)
		}
		prom, err := os.ReadFile(metrics)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`connvault_backup_gone_connectors{tenant="sbx"} 1`, `connvault_backup_success{tenant="sbx"} 0`} {
			if !strings.Contains(string(prom), want) {
				t.Errorf("run %d: metrics lack %s:\n%s", i+1, want, prom)
			}
		}
	}
	if row, r := backup(exitOK, "--forget", h.ScriptName); len(row.Gone) != 0 || strings.Contains(r.stdout, "WARNING") {
		t.Errorf("--forget %s: still reported gone %v\n%s", h.ScriptName, row.Gone, r.stdout)
	}
	if row, r := backup(exitOK); row.Result != "unchanged" || len(row.Gone) != 0 || strings.Contains(r.stdout, "WARNING") {
		t.Errorf("after --forget: %s, gone %v\n%s", row.Result, row.Gone, r.stdout)
	}

	// Recreated under a new scriptName (same name): naming it once replaces
	// the gone one, which is then no longer reported.
	other := unlistedScriptNames(sim)[0]
	backup(exitOK, "--script-name", other)
	replaceConnector(t, sim, other, other+"-restored")
	backup(exitPartial)
	row, r := backup(exitOK, "--script-name", other+"-restored")
	if len(row.Gone) != 0 || !strings.Contains(r.stdout, "hidden connector "+other+" is now exported as "+other+"-restored") {
		t.Errorf("recreated as %s-restored and named: gone %v\n%s", other, row.Gone, r.stdout)
	}
	if row, _ := backup(exitOK); row.Result != "unchanged" || len(row.Gone) != 0 {
		t.Errorf("the run after: %s, gone %v", row.Result, row.Gone)
	}
}

// TestRestoreNamesHiddenConnectors is disaster recovery into a new tenant:
// the restore creates the hidden (DEVELOPMENT, DEMO) connectors under new
// scriptNames and says so, with the --script-name flags backups need (also
// in --json); nightly backups of the new tenant without them report the old
// ones gone (exit 3) on every run, and once named they replace them.
func TestRestoreNamesHiddenConnectors(t *testing.T) {
	src, srcVars := startSim(t, tenantsim.Options{Seed: 7, Connectors: 12, MaxLocales: 1, TenantName: "prod"})
	hidden := unlistedScriptNames(src)
	if len(hidden) < 2 {
		t.Fatalf("the simulated tenant has %d hidden connectors, want 2 or more", len(hidden))
	}
	repo := filepath.Join(t.TempDir(), "repo")
	args := []string{"backup", "--repo", repo, "--tenant", "sandbox", "--rate", "0", "--locales", "detail", "--sources=false"}
	named := slices.Clone(args)
	for _, sn := range hidden {
		named = append(named, "--script-name", sn)
	}
	if r := runCLI(t, srcVars, named...); r.code != exitOK {
		t.Fatalf("backup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	_, dstVars := startSim(t, tenantsim.Options{Seed: 8, Connectors: 0, TenantName: "dr"})
	state := t.TempDir()
	r := runCLI(t, dstVars, "restore", "--repo", repo, "--tenant", "sandbox", "latest", "--yes", "--rate", "0", "--state-dir", state)
	if r.code != exitOK {
		t.Fatalf("restore: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	flags := regexp.MustCompile(`--script-name (\S+)`).FindAllStringSubmatch(r.stdout, -1)
	var created []string
	for _, f := range flags {
		created = append(created, f[1])
	}
	if len(created) != len(hidden) || !strings.Contains(r.stdout, "not RELEASED") {
		t.Fatalf("restore names %v as hidden, want %d new scriptNames with their --script-name flags:\n%s", created, len(hidden), r.stdout)
	}
	for _, sn := range created {
		if slices.Contains(hidden, sn) {
			t.Fatalf("the new tenant gave %s back; the test wants new scriptNames", sn)
		}
	}

	// The same in --json: a rerun matches them (unchanged) and still names them.
	r = runCLI(t, dstVars, "restore", "--repo", repo, "--tenant", "sandbox", "latest", "--yes", "--rate", "0", "--state-dir", state, "--json")
	var res struct {
		Hidden []struct{ ScriptName, Name, Status string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Hidden) != len(hidden) {
		t.Fatalf("restore --json: %v, hidden %v, want %d\n%s%s", err, res.Hidden, len(hidden), r.stdout, r.stderr)
	}

	// Nightly backups of the new tenant into the same repository: the
	// first says the tenant moved (refused without it, as another URL).
	if r := runCLI(t, dstVars, args...); r.code != exitUsage || !strings.Contains(r.stdout+r.stderr, "--tenant-moved") {
		t.Errorf("backup of the new tenant URL without --tenant-moved: exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
	}
	for i := range 2 {
		r := runCLI(t, dstVars, append(slices.Clone(args), map[bool]string{true: "--tenant-moved", false: "--json=false"}[i == 0])...)
		if r.code != exitPartial || !strings.Contains(r.stdout, fmt.Sprintf("WARNING: tenant sandbox: %d hidden connectors", len(hidden))) {
			t.Errorf("backup %d after the restore: exit %d, want 3 and the gone hidden connectors said:\n%s%s", i+1, r.code, r.stdout, r.stderr)
		}
	}
	withFlags := slices.Clone(args)
	for _, sn := range created {
		withFlags = append(withFlags, "--script-name", sn)
	}
	if r := runCLI(t, dstVars, withFlags...); r.code != exitOK || strings.Contains(r.stdout, "WARNING") || strings.Count(r.stdout, "is now exported as") != len(hidden) {
		t.Errorf("backup with the flags the restore printed: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, dstVars, append(args, "--json")...); r.code != exitOK || backupRows(t, r)["sandbox"].Result != "unchanged" {
		t.Errorf("the next nightly backup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestForgetUnknownScriptNameWarns: a --forget scriptName that the
// tenant's latest snapshot neither carries forward nor reports gone (a
// typo, or forgotten already) is warned of on stderr, naming it; the run
// still succeeds, so that a forget left in a cron line does not fail the
// nights after. A scriptName it carries is forgotten without a warning.
func TestForgetUnknownScriptNameWarns(t *testing.T) {
	_, vars, h, _ := hiddenAndReleased(t)
	repo := filepath.Join(t.TempDir(), "repo")
	backup := func(extra ...string) (backupRow, cliRun) {
		t.Helper()
		r := runCLI(t, vars, append([]string{"backup", "--repo", repo, "--tenant", "sbx", "--rate", "0", "--locales", "detail", "--sources=false", "--json"}, extra...)...)
		if r.code != exitOK {
			t.Fatalf("backup %v: exit %d\n%s%s", extra, r.code, r.stdout, r.stderr)
		}
		return backupRows(t, r)["sbx"], r
	}
	backup("--script-name", h.ScriptName)
	for _, step := range []struct {
		forget string
		warn   bool
	}{
		{"no-such-script", true}, // a typo
		{h.ScriptName, false},    // carried forward: forgotten
		{h.ScriptName, true},     // forgotten already
	} {
		row, r := backup("--forget", step.forget)
		warned := strings.Contains(r.stderr, "warning: --forget "+step.forget+":")
		if warned != step.warn || slices.Contains(row.Forgotten, step.forget) == step.warn {
			t.Errorf("--forget %s: warned %t, forgotten %v; want a warning %t\n%s", step.forget, warned, row.Forgotten, step.warn, r.stderr)
		}
	}
}
