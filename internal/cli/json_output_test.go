package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// oneJSON decodes r's stdout and fails unless it is exactly one JSON
// document (an object or an array) and nothing else; it returns it.
func oneJSON(t *testing.T, what string, r cliRun) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Errorf("%s: stdout is not a JSON document: %v\n%s", what, err, r.stdout)
		return nil
	}
	switch doc.(type) {
	case map[string]any, []any:
	default:
		t.Errorf("%s: stdout is a JSON %T, want an object or an array", what, doc)
	}
	var more any
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		t.Errorf("%s: stdout holds more than one JSON document (then %v, %v):\n%s", what, more, err, r.stdout)
	}
	return doc
}

// field returns the string at key of a decoded JSON object ("" if none).
func field(doc any, key string) string {
	m, _ := doc.(map[string]any)
	s, _ := m[key].(string)
	return s
}

// TestJSONIsOneDocument runs every command that has --json, on the paths a
// script takes (dry runs, writes, a saved plan, a rollback, a migration, the
// snapshot repository), and checks that stdout is exactly one JSON document:
// no second document, no table, no progress, no log line.
func TestJSONIsOneDocument(t *testing.T) {
	_, sbVars := startSim(t, tenantsim.Options{Seed: 51, Connectors: 5, MaxLocales: 2, TenantName: "sb", ClientID: "sb-client", ClientSecret: "sb-secret"})
	_, prodVars := startSim(t, tenantsim.Options{Seed: 52, Connectors: 3, MaxLocales: 2, TenantName: "prod", ClientID: "prod-client", ClientSecret: "prod-secret"})
	dir := t.TempDir()
	profiles := filepath.Join(dir, "profiles.yaml")
	writeProfiles(t, profiles, sbVars, prodVars)
	profileVars := profileSecrets(sbVars, prodVars)
	sbBundle, prodBundle := filepath.Join(dir, "sb.tar.gz"), filepath.Join(dir, "prod.tar.gz")
	state, repo, planFile := filepath.Join(dir, "state"), filepath.Join(dir, "repo"), filepath.Join(dir, "plan.json")
	tenantArgs := []string{"--rate", "0", "--state-dir", state}

	run := func(vars map[string]string, codes []int, args ...string) any {
		t.Helper()
		r := runCLI(t, vars, args...)
		what := strings.Join(args, " ")
		if !slices.Contains(codes, r.code) {
			t.Errorf("%s: exit %d, want one of %v\n%s%s", what, r.code, codes, r.stdout, r.stderr)
		}
		return oneJSON(t, what, r)
	}
	ok := []int{exitOK}
	run(sbVars, ok, "export", "--out", sbBundle, "--rate", "0", "--locales", "detail", "--json")
	run(prodVars, ok, "export", "--out", prodBundle, "--rate", "0", "--locales", "detail", "--json")
	run(nil, ok, "verify", sbBundle, "--json")
	run(nil, []int{exitError}, "verify", filepath.Join(dir, "missing.tar.gz"), "--json") // invalid: {valid: false, error}
	run(nil, ok, "transform", sbBundle, filepath.Join(dir, "transformed.tar.gz"), "--json")
	run(nil, ok, "inspect", sbBundle, "--json")
	run(nil, []int{exitOK, exitChanges}, "diff", sbBundle, prodBundle, "--json", "--detailed-exitcode")
	run(prodVars, ok, append([]string{"plan", sbBundle, "--json"}, tenantArgs...)...)
	run(prodVars, ok, append([]string{"plan", sbBundle, "--json", "--out", planFile}, tenantArgs...)...)
	run(prodVars, ok, append([]string{"import", sbBundle, "--json", "--dry-run"}, tenantArgs...)...)
	res := run(prodVars, ok, append([]string{"import", planFile, "--json"}, tenantArgs...)...)
	undo, mapping := field(res, "undoPath"), field(res, "mappingPath")
	if undo == "" || mapping == "" {
		t.Fatalf("import --json names no undo bundle or mapping file: %v", res)
	}
	run(prodVars, ok, append([]string{"import", sbBundle, "--json", "--yes"}, tenantArgs...)...) // nothing to do
	run(prodVars, []int{exitOK, exitPartial}, append([]string{"rollback", undo, "--json", "--dry-run"}, tenantArgs...)...)
	run(prodVars, []int{exitOK, exitPartial}, append([]string{"rollback", undo, "--json", "--yes"}, tenantArgs...)...)
	run(nil, ok, "spconfig-remap", "--map", mapping, "--json", filepath.Join("..", "..", "spconfig", "testdata", "restore.in.json"), filepath.Join(dir, "remapped.json"))

	migrate := []string{"migrate", "--config", profiles, "--from", "sb", "--to", "prod", "--locales", "detail", "--json", "--rate", "0", "--state-dir", filepath.Join(dir, "migrate")}
	// migrate: the export's summary and the plan or the import's result,
	// in one object.
	for _, tt := range []struct{ flag, key string }{{"--dry-run", "plan"}, {"--yes", "import"}, {"--yes", "import"}} {
		doc, _ := run(profileVars, ok, append(migrate, tt.flag)...).(map[string]any)
		exp, _ := doc["export"].(map[string]any)
		if _, has := doc[tt.key].(map[string]any); len(doc) != 2 || exp["contentDigest"] == nil || !has {
			t.Errorf("migrate --json %s: want {\"export\": {…}, %q: {…}}, got the keys of %v", tt.flag, tt.key, slices.Collect(maps.Keys(doc)))
		}
	}

	// An incomplete export imports nothing (exit 3): the export's summary,
	// naming what failed, and the failure, as a failed command's document.
	doc, _ := run(profileVars, []int{exitPartial}, append(migrate, "--yes", "--script-name", "no-such-connector")...).(map[string]any)
	if exp, _ := doc["export"].(map[string]any); exp["complete"] != false || doc["import"] != nil || doc["ok"] != false ||
		doc["exitCode"] != float64(exitPartial) || !strings.Contains(field(doc, "error"), "nothing was imported") {
		t.Errorf("migrate --json of an incomplete export: want {\"export\": {\"complete\": false, …}, \"ok\": false, \"error\", \"exitCode\": 3}, got %v", doc)
	}

	run(profileVars, ok, "backup", "--repo", repo, "--config", profiles, "--all", "--rate", "0", "--locales", "detail", "--json")
	run(nil, ok, "snapshots", "--repo", repo, "--json")
	run(nil, ok, "prune", "--repo", repo, "--keep-last", "1", "--dry-run", "--json")
	restore := append([]string{"restore", "--repo", repo, "--tenant", "prod", "--json", "latest"}, tenantArgs...)
	run(sbVars, ok, append(restore, "--dry-run")...)
	run(sbVars, ok, append(restore, "--yes")...)
	restoreTo := append(slices.Clone(restore), "--config", profiles, "--to", "prod", "--yes")
	run(profileVars, ok, restoreTo...)

	// A repository without snapshots, and a tenant of it without any (its
	// only backup was killed before writing its record, within the hour),
	// are results: nothing to keep or remove. prune printed nothing at all.
	empty := filepath.Join(dir, "empty-repo")
	run(prodVars, []int{exitUsage}, "backup", "--repo", empty, "--tenant", "prod", "--rate", "0", "--include", "No such*", "--json")
	if doc, _ := run(nil, ok, "snapshots", "--repo", empty, "--json").([]any); len(doc) != 0 {
		t.Errorf("snapshots --json of an empty repository: %v, want []", doc)
	}
	pruneEmpty := [][]string{
		{"prune", "--repo", empty, "--keep-last", "1", "--json"},
		{"prune", "--repo", empty, "--keep-last", "1", "--json", "--dry-run"},
	}
	killed := filepath.Join(dir, "killed-repo")
	if err := os.CopyFS(killed, os.DirFS(empty)); err != nil {
		t.Fatal(err)
	}
	bundles, _ := filepath.Glob(filepath.Join(repo, "tenants", "prod", "snapshots", "*.tar.gz"))
	if len(bundles) == 0 {
		t.Fatal("fixture: no snapshot bundle of prod")
	}
	leftover := filepath.Join(killed, "tenants", "prod", "snapshots", filepath.Base(bundles[0]))
	if err := os.MkdirAll(filepath.Dir(leftover), 0o700); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(bundles[0]); err != nil || os.WriteFile(leftover, data, 0o600) != nil {
		t.Fatalf("fixture: copy %s: %v", bundles[0], err)
	}
	pruneEmpty = append(pruneEmpty, []string{"prune", "--repo", killed, "--keep-daily", "7", "--tenant", "prod", "--json"})
	for _, args := range pruneEmpty {
		doc, _ := run(nil, ok, args...).(map[string]any)
		if ts, isList := doc["tenants"].([]any); !isList || len(ts) != 0 || doc["removed"] != 0.0 {
			t.Errorf("%s: %v, want no tenants and nothing removed", strings.Join(args, " "), doc)
		}
	}

	// A command that stops before it has a result prints one document
	// too, saying why: {"ok": false, "error": …, "exitCode": N}.
	missing := filepath.Join(dir, "missing.tar.gz")
	for _, tt := range []struct {
		vars map[string]string
		code int
		args []string
		says string
	}{
		{nil, exitUsage, []string{"prune", "--repo", repo, "--keep-last", "1", "--tenant", "nope", "--json"}, `"nope"`},
		{nil, exitError, []string{"prune", "--repo", filepath.Join(dir, "no-repo"), "--keep-last", "1", "--json"}, "no-repo"},
		{nil, exitError, []string{"prune", "--repo", repo, "--keep-tag", "no-such-tag", "--json"}, "keeps no snapshot"},
		{nil, exitUsage, []string{"prune", "--repo", repo, "--json"}, "keep policy"},
		{nil, exitUsage, []string{"snapshots", "--repo", repo, "--tenant", "nope", "--json"}, `"nope"`},
		{sbVars, exitUsage, []string{"restore", "--repo", repo, "--tenant", "nope", "--json", "--dry-run", "latest"}, `"nope"`},
		{prodVars, exitUsage, []string{"export", "--out", filepath.Join(dir, "none.tar.gz"), "--rate", "0", "--include", "No such*", "--json"}, "No such*"},
		{nil, exitError, []string{"export", "--out", filepath.Join(dir, "none.tar.gz"), "--json"}, "SAIL_"},
		{nil, exitError, []string{"inspect", missing, "--json"}, "missing.tar.gz"},
		{nil, exitError, []string{"diff", missing, sbBundle, "--json"}, "missing.tar.gz"},
		{nil, exitError, []string{"transform", missing, filepath.Join(dir, "t.tar.gz"), "--json"}, "missing.tar.gz"},
		{prodVars, exitError, append([]string{"plan", missing, "--json"}, tenantArgs...), "missing.tar.gz"},
		{prodVars, exitError, append([]string{"import", missing, "--json", "--yes"}, tenantArgs...), "missing.tar.gz"},
		{prodVars, exitError, append([]string{"rollback", missing, "--json", "--yes"}, tenantArgs...), "missing.tar.gz"},
		{profileVars, exitUsage, []string{"migrate", "--config", profiles, "--from", "sb", "--to", "nope", "--json", "--rate", "0", "--state-dir", filepath.Join(dir, "migrate")}, `"nope"`},
		{nil, exitError, []string{"spconfig-remap", "--map", mapping, "--json", missing, filepath.Join(dir, "r.json")}, "missing.tar.gz"},
		// Flags that do not parse: the command never ran, its document all the same.
		{prodVars, exitUsage, append([]string{"plan", sbBundle, "--json", "--no-such-flag"}, tenantArgs...), "no-such-flag"},
		{nil, exitUsage, []string{"diff", "--json", "--content=maybe", sbBundle, prodBundle}, "content"},
		{nil, exitUsage, []string{"transform", "--json", sbBundle, sbBundle}, "input"},
	} {
		what := strings.Join(tt.args, " ")
		doc, _ := run(tt.vars, []int{tt.code}, tt.args...).(map[string]any)
		if doc["ok"] != false || doc["command"] != tt.args[0] || !strings.Contains(field(doc, "error"), tt.says) || doc["exitCode"] != float64(tt.code) {
			t.Errorf("%s: %v, want ok false, command %q, the error naming %s, exitCode %d", what, doc, tt.args[0], tt.says, tt.code)
		}
	}

	// An import stopped in the middle (Ctrl-C) says what it did: its
	// result so far, with the run's undo bundle.
	target, _ := startSim(t, tenantsim.Options{Seed: 53, Connectors: 2, ClientID: "prod-client", ClientSecret: "prod-secret"})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	srv := httptest.NewServer(&cancelAtWrite{next: target, k: 2, cancel: cancel})
	defer srv.Close()
	cut := map[string]string{"SAIL_BASE_URL": srv.URL, "SAIL_CLIENT_ID": "prod-client", "SAIL_CLIENT_SECRET": "prod-secret"}
	r := runCLIContext(ctx, t, cut, "import", sbBundle, "--json", "--yes", "--rate", "0", "--state-dir", filepath.Join(dir, "cut-state"))
	stopped, _ := oneJSON(t, "interrupted import --json", r).(map[string]any)
	result, _ := stopped["result"].(map[string]any)
	if items, _ := result["items"].([]any); r.code != exitInterrupted || stopped["ok"] != false || stopped["exitCode"] != float64(exitInterrupted) ||
		field(result, "undoPath") == "" || len(items) == 0 {
		t.Errorf("import --json interrupted: exit %d, %v; want ok false, exitCode 130 and the result so far (items, undoPath)", r.code, stopped)
	}
}
