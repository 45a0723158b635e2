package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// bundleNames returns the sorted connector names of the bundle at path.
func bundleNames(t *testing.T, path string) []string {
	t.Helper()
	b, err := bundle.Open(t.Context(), path, bundle.ReadOptions{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer b.Close()
	var out []string
	for _, en := range b.Manifest.Connectors {
		out = append(out, en.Name)
	}
	slices.Sort(out)
	return out
}

// One glob rule chooses connectors everywhere: export --include, a rules
// file's include, transform/plan/migrate --include. It matches the whole
// name ignoring letter case, never the scriptName.
func TestOneGlobRuleEverywhere(t *testing.T) {
	src, srcVars := startSim(t, tenantsim.Options{Seed: 91, Connectors: 8, MaxLocales: 2, TenantName: "sb", ClientID: "sb-client", ClientSecret: "sb-secret"})
	_, dstVars := startSim(t, tenantsim.Options{Seed: 92, Connectors: 0, TenantName: "prod", ClientID: "prod-client", ClientSecret: "prod-secret"})
	dir := t.TempDir()
	// The pattern: the first letter of a released custom connector's name,
	// in the other letter case, then '*'.
	var all []string
	for _, c := range released(src) {
		all = append(all, c.Name)
	}
	slices.Sort(all)
	first, _ := utf8.DecodeRuneInString(all[0])
	pattern := string(unicode.ToLower(first)) + "*"
	if unicode.IsLower(first) {
		pattern = string(unicode.ToUpper(first)) + "*"
	}
	var want []string
	for _, n := range all {
		if r, _ := utf8.DecodeRuneInString(n); unicode.ToLower(r) == unicode.ToLower(first) {
			want = append(want, n)
		}
	}
	if len(want) == 0 || len(want) == len(all) {
		t.Fatalf("pattern %q chooses %d of %d connectors; the test needs some, not all", pattern, len(want), len(all))
	}

	full := filepath.Join(dir, "full.tar.gz")
	if r := runCLI(t, srcVars, "export", "--rate", "0", "--locales", "detail", "--out", full); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	got := map[string][]string{}
	exported := filepath.Join(dir, "exported.tar.gz")
	if r := runCLI(t, srcVars, "export", "--rate", "0", "--locales", "detail", "--out", exported, "--include", pattern); r.code != exitOK {
		t.Fatalf("export --include: exit %d: %s", r.code, r.stderr)
	}
	got["export --include"] = bundleNames(t, exported)

	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rules, fmt.Appendf(nil, "version: 2\ninclude: [%q]\n", pattern), 0o600)
	for what, args := range map[string][]string{
		"rules include":       {"--rules", rules},
		"transform --include": {"--include", pattern},
	} {
		out := filepath.Join(dir, strings.ReplaceAll(what, " ", "_")+".tar.gz")
		if r := runCLI(t, nil, append([]string{"transform", full, out}, args...)...); r.code != exitOK {
			t.Fatalf("transform %v: exit %d: %s", args, r.code, r.stderr)
		}
		got[what] = bundleNames(t, out)
	}

	r := runCLI(t, dstVars, "plan", full, "--rate", "0", "--json", "--include", pattern)
	var p importer.Plan
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &p) != nil {
		t.Fatalf("plan --include: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, it := range p.Items {
		if it.Action == importer.ActionCreate {
			got["plan --include"] = append(got["plan --include"], it.Name)
		}
	}
	slices.Sort(got["plan --include"])

	config := filepath.Join(dir, "connvault.yaml")
	writeProfiles(t, config, srcVars, dstVars)
	state := filepath.Join(dir, "state")
	r = runCLI(t, profileSecrets(srcVars, dstVars),
		"migrate", "--config", config, "--from", "sb", "--to", "prod", "--rate", "0", "--state-dir", state, "--dry-run",
		"--include", pattern, "--locales", "detail", "--filter", `name co " "`, "--fail-fast")
	if r.code != exitOK {
		t.Fatalf("migrate --include --locales --filter --fail-fast: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	migrated, _ := filepath.Glob(filepath.Join(state, "migrate-sb-*.tar.gz"))
	if len(migrated) != 1 {
		t.Fatalf("migrate bundles: %v", migrated)
	}
	got["migrate --include"] = bundleNames(t, migrated[0])
	b, err := bundle.Open(t.Context(), migrated[0], bundle.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var recorded struct {
		Filter  string   `json:"filter"`
		Locales []string `json:"locales"`
	}
	json.Unmarshal(b.Manifest.Options, &recorded)
	b.Close()
	if recorded.Filter != `name co " "` || !slices.Equal(recorded.Locales, []string{"detail"}) {
		t.Errorf("migrate's export recorded options %s; want the --filter and --locales given", b.Manifest.Options)
	}

	for what, names := range got {
		if !slices.Equal(names, want) {
			t.Errorf("%s %q chose %q, want %q", what, pattern, names, want)
		}
	}

	// A pattern that matches only scriptNames chooses nothing, and an
	// include that chooses nothing is an error naming it.
	sn := released(src)[0].ScriptName
	none := filepath.Join(dir, "none.tar.gz")
	if r := runCLI(t, srcVars, "export", "--rate", "0", "--locales", "detail", "--out", none, "--include", sn); r.code != exitUsage || !strings.Contains(r.stderr, sn) {
		t.Errorf("export --include SCRIPTNAME: exit %d, want 2 naming it (globs match names only): %s", r.code, r.stderr)
	}
}

// plan --help lists only what plan uses; the import-only flags are import's.
func TestPlanHelpListsNoImportOnlyFlags(t *testing.T) {
	plan := runCLI(t, nil, "help", "plan")
	imp := runCLI(t, nil, "help", "import")
	for _, flag := range []string{"--skip-conflicts", "--dry-run", "--yes", "--undo", "--mapping-out"} {
		if strings.Contains(plan.stdout, flag) {
			t.Errorf("plan --help lists %s, which only import uses", flag)
		}
		if !strings.Contains(imp.stdout, flag) {
			t.Errorf("import --help lacks %s", flag)
		}
	}
	if strings.Contains(plan.stdout, "`") || strings.Contains(plan.stdout, "connvault import plan.json plan.json") {
		t.Errorf("plan --help renders a back-quoted placeholder:\n%s", plan.stdout)
	}
}

// A saved plan applies as made: flags that would change it are refused,
// before anything is read from the tenant.
func TestSavedPlanRefusesPlanShapingFlags(t *testing.T) {
	_, srcVars := startSim(t, tenantsim.Options{Seed: 93, Connectors: 3, MaxLocales: 2, TenantName: "sb"})
	prod, vars := startSim(t, tenantsim.Options{Seed: 94, Connectors: 0, TenantName: "prod"})
	dir := t.TempDir()
	b := filepath.Join(dir, "b.tar.gz")
	if r := runCLI(t, srcVars, "export", "--rate", "0", "--locales", "detail", "--out", b); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	plan := filepath.Join(dir, "plan.json")
	if r := runCLI(t, vars, "plan", b, "--rate", "0", "--state-dir", dir, "--out", plan); r.code != exitOK {
		t.Fatalf("plan --out: exit %d: %s", r.code, r.stderr)
	}
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rules, []byte("version: 2\nexclude: ['*']\n"), 0o600)
	prod.ResetStats()
	for _, extra := range [][]string{{"--rules", rules}, {"--allow-delete"}, {"--include", "x*"}, {"--values", rules}, {"--map", rules}} {
		r := runCLI(t, vars, append([]string{"import", plan, "--rate", "0", "--state-dir", dir, "--yes"}, extra...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, extra[0]) || !strings.Contains(r.stderr, "saved plan") {
			t.Errorf("import PLAN %s: exit %d, stderr %q; want 2 naming %s and the saved plan", extra[0], r.code, r.stderr, extra[0])
		}
	}
	if n := prod.Stats().Total; n != 0 {
		t.Errorf("the refused imports sent %d requests", n)
	}
}

// --include/--exclude narrow the bundle's deletion scope: the connectors
// they leave out are never deleted, even with --allow-delete.
func TestGlobsNarrowTheDeletionScope(t *testing.T) {
	sim, vars := startSim(t, tenantsim.Options{Seed: 95, Connectors: 4, MaxLocales: 2})
	dir := t.TempDir()
	b := filepath.Join(dir, "b.tar.gz")
	if r := runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--out", b); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	left := released(sim)[0].Name
	before := dumpJSON(t, sim)
	r := runCLI(t, vars, "plan", b, "--rate", "0", "--state-dir", dir, "--allow-delete", "--exclude", strings.ToUpper(left))
	if r.code != exitOK || strings.Contains(r.stdout, "delete ") && strings.Contains(r.stdout, left) && !strings.Contains(r.stdout, "0 to delete") {
		t.Errorf("plan --allow-delete --exclude: exit %d, want no deletion of %q:\n%s%s", r.code, left, r.stdout, r.stderr)
	}
	r = runCLI(t, vars, "import", b, "--rate", "0", "--state-dir", dir, "--yes", "--allow-delete", "--exclude", strings.ToUpper(left))
	if r.code != exitOK {
		t.Fatalf("import --allow-delete --exclude: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if dumpJSON(t, sim) != before {
		t.Errorf("import of the tenant's own bundle with --exclude %q --allow-delete changed the tenant:\n%s", left, r.stdout)
	}
}

// A --filter under which the tenant lists no connector is an error naming
// it (exit 2), as an --include matching nothing is, before sources or
// details are read and with no bundle written: a typo or a wrong operator
// in a nightly export must not give an empty bundle that verifies. The
// README's own --filter example exports connectors from the simulator.
func TestFilterMatchingNothingIsAnError(t *testing.T) {
	sim, vars := startSim(t, tenantsim.Options{Seed: 7, Connectors: 40, MaxLocales: 2})
	dir := t.TempDir()
	for _, cmd := range [][]string{
		{"export", "--rate", "0", "--out", filepath.Join(dir, "none.tar.gz")},
		{"backup", "--rate", "0", "--repo", filepath.Join(dir, "repo"), "--tenant", "t"},
	} {
		sim.ResetStats()
		r := runCLI(t, vars, append(cmd, "--filter", `name sw "Payroll"`)...)
		if r.code != exitUsage || !strings.Contains(r.stdout+r.stderr, `name sw \"Payroll\"`) {
			t.Errorf("%s --filter matching nothing: exit %d, stderr %q; want 2 naming the filter", cmd[0], r.code, r.stderr)
		}
		if st := sim.Stats(); st.Total > 3 {
			t.Errorf("%s --filter matching nothing: %d requests (%v); want only the token and the list", cmd[0], st.Total, st)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "none.tar.gz")); err == nil {
		t.Error("export --filter matching nothing wrote a bundle")
	}

	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var filter string
	for _, line := range strings.Split(string(readme), "\n") {
		if _, rest, ok := strings.Cut(line, "connvault export --out - --filter '"); ok {
			filter, _, _ = strings.Cut(rest, "'")
		}
	}
	if filter == "" {
		t.Fatal("README has no `connvault export --out - --filter '…'` example")
	}
	out := filepath.Join(dir, "example.tar.gz")
	exportTo(t, vars, out, "--filter", filter)
	if names := bundleNames(t, out); len(names) == 0 {
		t.Errorf("the README's example --filter %s exports nothing from the simulator", filter)
	}
}
