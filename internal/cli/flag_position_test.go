package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// flagCase runs one command twice: once with every flag before the
// arguments (and the global --log-level before the command), once with the
// flags after the arguments (and --log-level after the command). check
// proves each flag took effect.
type flagCase struct {
	name          string
	before, after []string
	vars          map[string]string
	ctx           func(t *testing.T) context.Context // nil: t.Context()
	check         func(t *testing.T, r cliRun)
}

// Every command accepts flags in any position and the global flags after
// the command, as kubectl, terraform and the sail CLI do.
func TestFlagsBeforeAndAfterArguments(t *testing.T) {
	src, srcVars := startSim(t, tenantsim.Options{Seed: 81, Connectors: 4, MaxLocales: 2, TenantName: "sb", ClientID: "sb-client", ClientSecret: "sb-secret"})
	_, dstVars := startSim(t, tenantsim.Options{Seed: 82, Connectors: 0, TenantName: "prod", ClientID: "prod-client", ClientSecret: "prod-secret"})
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.tar.gz"), filepath.Join(dir, "b.tar.gz")
	for _, out := range []string{a, b} {
		if r := runCLI(t, srcVars, "export", "--rate", "0", "--locales", "detail", "--out", out); r.code != exitOK {
			t.Fatalf("export: exit %d: %s", r.code, r.stderr)
		}
	}
	excluded := released(src)[0].Name
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rules, fmt.Appendf(nil, "version: 2\nexclude: [%q]\n", excluded), 0o600)
	config := filepath.Join(dir, "connvault.yaml")
	writeProfiles(t, config, srcVars, dstVars)
	secrets := profileSecrets(srcVars, dstVars)
	state := filepath.Join(dir, "state")
	spIn, _ := filepath.Abs("../../spconfig/testdata/restore.in.json")
	spMap := filepath.Join(dir, "mapping.json")
	os.WriteFile(spMap, []byte(`{"zurich-hr-feed-af9c4a": "zurich-hr-feed-2-af9c4a"}`), 0o600)
	cancelled := func(t *testing.T) context.Context {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		return ctx
	}

	isJSON := func(t *testing.T, r cliRun) {
		t.Helper()
		var v any
		if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &v) != nil {
			t.Errorf("exit %d, want 0 with JSON on stdout (--json):\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	debugLogged := func(t *testing.T, r cliRun) {
		t.Helper()
		if !strings.Contains(r.stderr, "level=DEBUG") {
			t.Errorf("no debug line on stderr (--log-level debug):\n%s", r.stderr)
		}
	}
	n := 0
	out := func(ext string) string { n++; return filepath.Join(dir, fmt.Sprintf("out%d%s", n, ext)) }

	cases := []flagCase{
		{
			name:   "export",
			before: []string{"--log-level", "debug", "export", "--json", "--rate", "0", "--locales", "detail", "--out", out(".tar.gz")},
			after:  []string{"export", "--out", out(".tar.gz"), "--locales", "detail", "--rate", "0", "--json", "--log-level", "debug"},
			vars:   srcVars,
			check:  func(t *testing.T, r cliRun) { isJSON(t, r); debugLogged(t, r) },
		},
		{name: "verify", before: []string{"verify", "--json", a}, after: []string{"verify", a, "--json"}, check: isJSON},
		{
			name: "inspect", before: []string{"inspect", "--files", a}, after: []string{"inspect", a, "--files"},
			check: func(t *testing.T, r cliRun) {
				if r.code != exitOK || !strings.Contains(r.stdout, "source-config.xml") {
					t.Errorf("exit %d, want 0 listing every file (--files):\n%s%s", r.code, r.stdout, r.stderr)
				}
			},
		},
		{name: "diff", before: []string{"diff", "--json", a, b}, after: []string{"diff", a, b, "--json"}, check: isJSON},
		{
			name:   "spconfig-remap",
			before: []string{"spconfig-remap", "--json", "--map", spMap, spIn, out(".json")},
			after:  []string{"spconfig-remap", spIn, out(".json"), "--map", spMap, "--json"},
			check:  isJSON,
		},
		{
			name:   "transform",
			before: []string{"transform", "--rules", rules, a, out(".tar.gz")},
			after:  []string{"transform", a, out(".tar.gz"), "--rules", rules},
			check: func(t *testing.T, r cliRun) {
				if r.code != exitOK || !strings.Contains(r.stdout, fmt.Sprintf("%d of %d connectors", customCount(src)-1, customCount(src))) {
					t.Errorf("exit %d, want 0 leaving out the excluded connector (--rules):\n%s%s", r.code, r.stdout, r.stderr)
				}
			},
		},
		{
			name:   "plan",
			before: []string{"--log-level", "debug", "plan", "--json", "--rate", "0", a},
			after:  []string{"plan", a, "--rate", "0", "--json", "--log-level", "debug"},
			vars:   dstVars,
			check:  func(t *testing.T, r cliRun) { isJSON(t, r); debugLogged(t, r) },
		},
		{
			name:   "import",
			before: []string{"import", "--dry-run", "--rate", "0", "--state-dir", state, a},
			after:  []string{"import", a, "--rate", "0", "--state-dir", state, "--dry-run"},
			vars:   dstVars,
			check: func(t *testing.T, r cliRun) {
				if r.code != exitOK || !strings.Contains(r.stdout, "Dry run: nothing was written") {
					t.Errorf("exit %d, want a dry run (--dry-run):\n%s%s", r.code, r.stdout, r.stderr)
				}
			},
		},
		{
			name:   "migrate",
			before: []string{"--log-level", "debug", "migrate", "--dry-run", "--config", config, "--from", "sb", "--to", "prod", "--rate", "0", "--state-dir", state},
			after:  []string{"migrate", "--config", config, "--from", "sb", "--to", "prod", "--rate", "0", "--state-dir", state, "--dry-run", "--log-level", "debug"},
			vars:   secrets,
			check: func(t *testing.T, r cliRun) {
				if r.code != exitOK || !strings.Contains(r.stdout, "Dry run") {
					t.Errorf("exit %d, want a dry run (--dry-run):\n%s%s", r.code, r.stdout, r.stderr)
				}
				debugLogged(t, r)
			},
		},
		{
			name:   "sim",
			before: []string{"--log-level", "info", "sim", "--client-id", "flag-client", "--connectors", "1"},
			after:  []string{"sim", "--connectors", "1", "--client-id", "flag-client", "--log-level", "info"},
			ctx:    cancelled, // prints its settings, then stops at once
			check: func(t *testing.T, r cliRun) {
				if r.code != exitOK || !strings.Contains(r.stdout, "SAIL_CLIENT_ID=flag-client") || !strings.Contains(r.stderr, "simulated tenant serving") {
					t.Errorf("exit %d, want the client id of --client-id and an info line (--log-level info):\n%s%s", r.code, r.stdout, r.stderr)
				}
			},
		},
		{
			// demo takes minutes of nobody's time to run twice here (TestDemo
			// runs it); a bad global flag after the command shows it is parsed.
			name:   "demo",
			before: []string{"--log-level", "loud", "demo", "--dir", out("")},
			after:  []string{"demo", "--dir", out(""), "--log-level", "loud"},
			check: func(t *testing.T, r cliRun) {
				if r.code != exitUsage || !strings.Contains(r.stderr, "--log-level") {
					t.Errorf("exit %d, want 2 naming --log-level:\n%s%s", r.code, r.stdout, r.stderr)
				}
			},
		},
		{
			name: "help", before: []string{"help", "--log-level", "debug", "import"}, after: []string{"help", "import", "--log-level", "debug"},
			check: func(t *testing.T, r cliRun) {
				if r.code != exitOK || !strings.Contains(r.stdout, "--dry-run") {
					t.Errorf("exit %d, want import's help:\n%s%s", r.code, r.stdout, r.stderr)
				}
			},
		},
	}
	// rollback needs an undo bundle: one real import, flags after the bundle
	// (the form `connvault import backup.tar.gz --yes` that v2 refused).
	r := runCLI(t, dstVars, "import", a, "--yes", "--rate", "0", "--state-dir", state)
	if r.code != exitOK {
		t.Fatalf("import BUNDLE --yes: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	undos, _ := filepath.Glob(filepath.Join(state, "undo-*.tar.gz"))
	if len(undos) != 1 {
		t.Fatalf("undo bundles after one import: %v", undos)
	}
	cases = append(cases, flagCase{
		name:   "rollback",
		before: []string{"rollback", "--yes", "--json", "--rate", "0", "--state-dir", state, undos[0]},
		after:  []string{"rollback", undos[0], "--rate", "0", "--state-dir", state, "--json", "--yes"},
		vars:   dstVars,
		check: func(t *testing.T, r cliRun) {
			var v any
			if (r.code != exitOK && r.code != exitPartial) || json.Unmarshal([]byte(r.stdout), &v) != nil {
				t.Errorf("exit %d, want a rollback (--yes) reported as JSON (--json):\n%s%s", r.code, r.stdout, r.stderr)
			}
		},
	})

	repo := filepath.Join(dir, "repo")
	cases = append(cases,
		flagCase{
			name:   "backup",
			before: []string{"backup", "--json", "--repo", repo, "--tenant", "sb", "--rate", "0", "--locales", "detail"},
			after:  []string{"backup", "--repo", repo, "--tenant", "sb", "--rate", "0", "--locales", "detail", "--json"},
			vars:   srcVars,
			check:  isJSON,
		},
		flagCase{name: "snapshots", before: []string{"snapshots", "--json", "--repo", repo}, after: []string{"snapshots", "--repo", repo, "--json"}, check: isJSON},
		flagCase{name: "prune", before: []string{"prune", "--json", "--dry-run", "--keep-last", "1", "--repo", repo}, after: []string{"prune", "--repo", repo, "--keep-last", "1", "--dry-run", "--json"}, check: isJSON},
		flagCase{
			name:   "restore",
			before: []string{"restore", "--dry-run", "--rate", "0", "--state-dir", state, "--repo", repo, "latest"},
			after:  []string{"restore", "latest", "--repo", repo, "--rate", "0", "--state-dir", state, "--dry-run"},
			vars:   dstVars,
			check: func(t *testing.T, r cliRun) {
				if r.code != exitOK || !strings.Contains(r.stdout, "Dry run: nothing was written") {
					t.Errorf("exit %d, want a dry run (--dry-run):\n%s%s", r.code, r.stdout, r.stderr)
				}
			},
		},
	)

	var covered []string
	for _, tc := range cases {
		covered = append(covered, tc.name)
		for _, form := range []struct {
			name string
			args []string
		}{{"flags before", tc.before}, {"flags after", tc.after}} {
			t.Run(tc.name+"/"+form.name, func(t *testing.T) {
				ctx := t.Context()
				if tc.ctx != nil {
					ctx = tc.ctx(t)
				}
				tc.check(t, runCLIContext(ctx, t, tc.vars, form.args...))
			})
		}
	}
	for _, cmd := range newApp(&env{}).Commands {
		if !slices.Contains(covered, cmd.Name) {
			t.Errorf("command %q has no case in TestFlagsBeforeAndAfterArguments; add one", cmd.Name)
		}
	}
}
