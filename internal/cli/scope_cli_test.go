package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
	"github.com/connvault/connvault/transform"
)

// The sequences of issue 7, item 1: deletes must stay inside what the bundle
// stands for. Each runs the commands a user would, against simulated
// tenants, and checks which connectors are gone.

// deletedNames returns the names of connectors in before and not in after.
func deletedNames(before, after tenantsim.Dump) []string {
	now := map[string]bool{}
	for _, c := range after.Connectors {
		now[c.ScriptName] = true
	}
	var out []string
	for _, c := range before.Connectors {
		if !now[c.ScriptName] {
			out = append(out, c.Name)
		}
	}
	slices.Sort(out)
	return out
}

// releasedNames returns the names of the listed custom connectors.
func releasedNames(d tenantsim.Dump) []string {
	var out []string
	for _, c := range d.Connectors {
		if !c.BuiltIn && c.Status == "RELEASED" {
			out = append(out, c.Name)
		}
	}
	slices.Sort(out)
	return out
}

// addReleased creates a RELEASED custom connector through the API, as an
// administrator would.
func addReleased(t *testing.T, vars map[string]string, name string) {
	t.Helper()
	cl, err := tenant.New(tenant.Options{BaseURL: vars["SAIL_BASE_URL"], ClientID: vars["SAIL_CLIENT_ID"], ClientSecret: vars["SAIL_CLIENT_SECRET"],
		Rate: tenant.Unlimited(), BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.CreateConnector(t.Context(), tenant.NewConnector{Name: name, ClassName: "sailpoint.connector.OpenConnectorAdapter", Status: tenant.StatusReleased}); err != nil {
		t.Fatalf("fixture: create %q: %v", name, err)
	}
}

// exportTo exports the tenant of vars to path with the extra flags.
func exportTo(t *testing.T, vars map[string]string, path string, flags ...string) string {
	t.Helper()
	args := append([]string{"export", "--rate", "0", "--locales", "detail", "--out", path}, flags...)
	if r := runCLI(t, vars, args...); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	return path
}

func writeRules(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(p, fmt.Appendf(nil, "version: %d\n%s", transform.Version, body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// export --include 'W *' then import --allow-delete of that bundle into the
// same tenant deletes only what is inside 'W *' and not in the bundle.
func TestScopeExportIncludeThenImportAllowDelete(t *testing.T) {
	t.Parallel()
	sim, vars := startSim(t, tenantsim.Options{Seed: 71, Connectors: 20, MaxLocales: 1, TenantName: "corp"})
	dir := t.TempDir()
	word := strings.Fields(releasedNames(sim.Dump())[0])[0]
	glob := word + " *"
	b := exportTo(t, vars, filepath.Join(dir, "part.tar.gz"), "--include", glob)
	addReleased(t, vars, word+" Added Later")
	addReleased(t, vars, "Outside Added Later")
	before := sim.Dump()
	r := runCLI(t, vars, "import", "--rate", "0", "--state-dir", filepath.Join(dir, "state"), "--allow-delete", "--yes", b)
	if r.code != exitOK {
		t.Fatalf("import: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, want := deletedNames(before, sim.Dump()), []string{word + " Added Later"}; !slices.Equal(got, want) {
		t.Errorf("import --allow-delete of a bundle exported with --include %q deleted %q, want only %q\n%s", glob, got, want, r.stdout)
	}
	if !strings.Contains(r.stdout, "1 of ") || !strings.Contains(r.stdout, "target connectors in scope would be deleted") {
		t.Errorf("the plan does not say how many in scope would be deleted:\n%s", r.stdout)
	}
}

// plan and import --rules whose include keeps two connectors delete nothing
// outside those two names.
func TestScopeRulesIncludeThenImportAllowDelete(t *testing.T) {
	t.Parallel()
	sim, vars := startSim(t, tenantsim.Options{Seed: 72, Connectors: 20, MaxLocales: 1, TenantName: "corp"})
	dir := t.TempDir()
	b := exportTo(t, vars, filepath.Join(dir, "all.tar.gz"))
	names := releasedNames(sim.Dump())
	rules := writeRules(t, dir, fmt.Sprintf("include: [%q, %q]\n", names[0], names[1]))
	addReleased(t, vars, "Added Later")
	before := sim.Dump()
	state := filepath.Join(dir, "state")
	r := runCLI(t, vars, "plan", "--rate", "0", "--state-dir", state, "--rules", rules, "--allow-delete", b)
	if r.code != exitOK || !strings.Contains(r.stdout, "0 to delete") || !strings.Contains(r.stdout, "0 of 2 target connectors in scope would be deleted") {
		t.Errorf("plan --rules (include keeps 2) --allow-delete: exit %d, want 0 deletions of 2 in scope:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, vars, "import", "--rate", "0", "--state-dir", state, "--rules", rules, "--allow-delete", "--yes", b)
	if r.code != exitOK {
		t.Fatalf("import: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := deletedNames(before, sim.Dump()); len(got) > 0 {
		t.Errorf("import --rules (include keeps 2) --allow-delete deleted %q", got)
	}
}

// An include with a typo matches nothing: transform, plan and import refuse
// it (exit 2) naming the glob, before anything is written. Rules whose
// include and exclude together keep nothing give a bundle with no connector,
// and importing that with --allow-delete deletes nothing.
func TestScopeIncludeTypoDeletesNothing(t *testing.T) {
	t.Parallel()
	sim, vars := startSim(t, tenantsim.Options{Seed: 73, Connectors: 20, MaxLocales: 1, TenantName: "corp"})
	dir := t.TempDir()
	b := exportTo(t, vars, filepath.Join(dir, "all.tar.gz"))
	rules := writeRules(t, dir, "include: [\"Zurich HR*\"]\n") // the tenant spells it Zürich
	out := filepath.Join(dir, "none.tar.gz")
	if r := runCLI(t, vars, "transform", "--rules", rules, b, out); r.code != exitUsage || !strings.Contains(r.stderr, `include "Zurich HR*" matches no connector`) {
		t.Fatalf("transform with an include matching nothing: exit %d, want 2 naming the glob:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("transform refused the rules but wrote its output")
	}
	before := sim.Dump()
	state := filepath.Join(dir, "state")
	r := runCLI(t, vars, "import", "--rate", "0", "--state-dir", state, "--rules", rules, "--allow-delete", "--yes", b)
	if r.code != exitUsage || !strings.Contains(r.stderr, "Zurich HR*") {
		t.Errorf("import --rules (include matching nothing): exit %d, want 2 naming the glob:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := deletedNames(before, sim.Dump()); len(got) > 0 {
		t.Errorf("import --rules (matching nothing) --allow-delete deleted %d connectors: %q\n%s", len(got), got, r.stdout)
	}
	name := releasedNames(before)[0]
	rules = writeRules(t, dir, fmt.Sprintf("include: [%q]\nexclude: [%q]\n", name, name))
	if r := runCLI(t, vars, "transform", "--rules", rules, b, out); r.code != exitOK || !strings.Contains(r.stdout, "0 of ") || !strings.Contains(r.stderr, "kept none") {
		t.Fatalf("transform (include and exclude keep nothing): exit %d, want 0 with a warning that the rules kept nothing:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, vars, "import", "--rate", "0", "--state-dir", state, "--allow-delete", "--yes", out)
	if got := deletedNames(before, sim.Dump()); len(got) > 0 {
		t.Errorf("import --allow-delete of a bundle the rules emptied deleted %d connectors: %q\n%s", len(got), got, r.stdout)
	}
}

// migrate --include 'W*' --allow-delete deletes no target connector outside
// 'W*'.
func TestScopeMigrateInclude(t *testing.T) {
	t.Parallel()
	src, srcVars := startSim(t, tenantsim.Options{Seed: 74, Connectors: 10, MaxLocales: 1, TenantName: "sb", ClientID: "sb-client", ClientSecret: "sb-secret"})
	dst, dstVars := startSim(t, tenantsim.Options{Seed: 75, Connectors: 10, MaxLocales: 1, TenantName: "prod", ClientID: "prod-client", ClientSecret: "prod-secret"})
	dir := t.TempDir()
	config := filepath.Join(dir, "connvault.yaml")
	if err := os.WriteFile(config, fmt.Appendf(nil, `version: 1
tenants:
  sandbox: {baseURL: %s, clientID: sb-client, clientSecretEnv: SB_SECRET, rate: "0"}
  production: {baseURL: %s, clientID: prod-client, clientSecretEnv: PROD_SECRET, rate: "0"}
`, srcVars["SAIL_BASE_URL"], dstVars["SAIL_BASE_URL"]), 0o600); err != nil {
		t.Fatal(err)
	}
	word := strings.Fields(releasedNames(src.Dump())[0])[0]
	addReleased(t, dstVars, word+" Only In Production")
	before := dst.Dump()
	r := runCLI(t, map[string]string{"SB_SECRET": "sb-secret", "PROD_SECRET": "prod-secret"}, "migrate", "--config", config,
		"--from", "sandbox", "--to", "production", "--include", word+"*", "--allow-delete", "--yes", "--state-dir", filepath.Join(dir, "state"))
	if r.code != exitOK {
		t.Fatalf("migrate: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, want := deletedNames(before, dst.Dump()), []string{word + " Only In Production"}; !slices.Equal(got, want) {
		t.Errorf("migrate --include %q --allow-delete deleted %q, want only %q\n%s", word+"*", got, want, r.stdout)
	}
}

// import --allow-delete --yes refuses more deletions than --max-deletes
// (default 5), naming every connector, and writes nothing.
func TestScopeMaxDeletes(t *testing.T) {
	t.Parallel()
	sim, vars := startSim(t, tenantsim.Options{Seed: 76, Connectors: 4, MaxLocales: 1, TenantName: "corp"})
	dir := t.TempDir()
	b := exportTo(t, vars, filepath.Join(dir, "all.tar.gz"))
	var added []string
	for i := range 7 {
		added = append(added, fmt.Sprintf("Added %d", i))
		addReleased(t, vars, added[i])
	}
	state := filepath.Join(dir, "state")
	writes := sim.Stats().Writes
	r := runCLI(t, vars, "import", "--rate", "0", "--state-dir", state, "--allow-delete", "--yes", b)
	if r.code == exitOK || sim.Stats().Writes != writes {
		t.Fatalf("import --allow-delete --yes of a plan deleting 7: exit %d, %d writes; want a refusal:\n%s%s", r.code, sim.Stats().Writes-writes, r.stdout, r.stderr)
	}
	for _, n := range added {
		if !strings.Contains(r.stderr, n) {
			t.Errorf("the refusal does not name %q: %s", n, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "--max-deletes") {
		t.Errorf("the refusal does not name --max-deletes: %s", r.stderr)
	}
	r = runCLI(t, vars, "import", "--rate", "0", "--state-dir", state, "--allow-delete", "--max-deletes", "7", "--yes", b)
	if r.code != exitOK {
		t.Fatalf("import --max-deletes 7: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, n := range added {
		if slices.Contains(releasedNames(sim.Dump()), n) {
			t.Errorf("%q not deleted with --max-deletes 7", n)
		}
	}
}

// A filtered export cannot apply its filter to hidden connectors, so it
// records a hidden one whose name the filter matches as left out. An import
// --allow-delete of that bundle must not delete the target's connector of
// that name: the source tenant has it, the bundle just does not carry it.
func TestScopeNeverDeletesWhatTheExportLeftOut(t *testing.T) {
	src, srcVars := startSim(t, tenantsim.Options{Seed: 74, Connectors: 20, MaxLocales: 1, TenantName: "sandbox"})
	var hidden string
	for _, c := range src.Dump().Connectors {
		if !c.BuiltIn && c.Status != "RELEASED" {
			hidden = c.Name
			break
		}
	}
	if hidden == "" {
		t.Fatal("fixture: the source tenant has no hidden connector")
	}
	listed := releasedNames(src.Dump())[0]
	dir := t.TempDir()
	filter := fmt.Sprintf("name sw %q or name sw %q", listed, hidden)
	b := exportTo(t, srcVars, filepath.Join(dir, "filtered.tar.gz"), "--filter", filter, "--json")

	dst, dstVars := startSim(t, tenantsim.Options{Seed: 75, Connectors: 6, MaxLocales: 1, TenantName: "prod"})
	if !slices.Contains(releasedNames(dst.Dump()), hidden) {
		addReleased(t, dstVars, hidden)
	}
	before := dst.Dump()
	if !slices.Contains(releasedNames(before), hidden) {
		t.Fatalf("fixture: the target does not list %q", hidden)
	}
	r := runCLI(t, dstVars, "import", "--rate", "0", "--state-dir", filepath.Join(dir, "state"), "--allow-delete", "--yes", b)
	if r.code != exitOK {
		t.Fatalf("import: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := deletedNames(before, dst.Dump()); slices.Contains(got, hidden) {
		t.Errorf("import --allow-delete deleted %q, which the export of %q recorded as left out of the bundle\n%s", hidden, filter, r.stdout)
	}
	if !strings.Contains(r.stdout, "the export left it out") {
		t.Errorf("the plan does not say why %q is kept:\n%s", hidden, r.stdout)
	}
}

// hintedAndDeleted returns the names a plan without --allow-delete says
// --allow-delete would delete, and those the plan with it deletes.
func hintedAndDeleted(t *testing.T, vars map[string]string, args ...string) (hinted, deleted []string) {
	t.Helper()
	for _, allow := range []bool{false, true} {
		a := append([]string{"plan", "--rate", "0", "--state-dir", t.TempDir()}, args...)
		if allow {
			a = append(a, "--allow-delete")
		}
		r := runCLI(t, vars, a...)
		if r.code != exitOK {
			t.Fatalf("%s: exit %d:\n%s%s", strings.Join(a, " "), r.code, r.stdout, r.stderr)
		}
		for _, line := range strings.Split(r.stdout, "\n") {
			name, _, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, "-"), " ")), " [")
			switch {
			case !allow && strings.HasSuffix(line, "(--allow-delete deletes it)"):
				hinted = append(hinted, strings.TrimSpace(strings.TrimPrefix(name, "keep")))
			case allow && strings.HasPrefix(line, "- delete"):
				deleted = append(deleted, strings.TrimSpace(strings.TrimPrefix(name, "delete")))
			}
		}
	}
	slices.Sort(hinted)
	slices.Sort(deleted)
	return hinted, deleted
}

// A plan says "(--allow-delete deletes it)" exactly where --allow-delete
// would delete: never on a connector outside the bundle's scope (it said
// so on every target-only line of a plan --include 'Praha*').
func TestPlanHintsOnlyRealDeletes(t *testing.T) {
	t.Parallel()
	sb, _, prodVars, _ := sandboxAndProd(t)
	addReleased(t, prodVars, "Zürich Added Later")
	hinted, deleted := hintedAndDeleted(t, prodVars, "--include", "Zürich*", sb)
	if !slices.Equal(hinted, deleted) || !slices.Contains(deleted, "Zürich Added Later") ||
		slices.ContainsFunc(hinted, func(n string) bool { return !strings.HasPrefix(n, "Zürich") }) {
		t.Errorf("plan --include 'Zürich*': hinted %q, --allow-delete deletes %q; want the same, \"Zürich Added Later\" among them, nothing outside 'Zürich*'", hinted, deleted)
	}
	hinted, deleted = hintedAndDeleted(t, prodVars, sb)
	if len(deleted) < 2 || !slices.Equal(hinted, deleted) {
		t.Errorf("plan of the whole bundle: hinted %q, --allow-delete deletes %q; want the same (two or more)", hinted, deleted)
	}
}
