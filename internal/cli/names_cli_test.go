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

// zurich is a connector name of the simulator's name universe; zurichNFD is
// the same name as macOS and some shells type it: "u" and a combining
// diaeresis (U+0308) instead of "ü" (U+00FC).
const (
	zurich    = "Zürich HR Feed"
	zurichNFD = "Zu\u0308rich HR Feed"
)

// sandboxAndProd starts a sandbox and a production tenant that both list
// zurich with different content, and exports the sandbox.
func sandboxAndProd(t *testing.T) (sb string, prodSim *tenantsim.Sim, prodVars map[string]string, dir string) {
	t.Helper()
	src, srcVars := startSim(t, tenantsim.Options{Seed: 91, Connectors: 12, MaxLocales: 1, TenantName: "sandbox"})
	dst, dstVars := startSim(t, tenantsim.Options{Seed: 92, Connectors: 12, MaxLocales: 1, TenantName: "prod"})
	for _, d := range []tenantsim.Dump{src.Dump(), dst.Dump()} {
		if !slices.Contains(releasedNames(d), zurich) {
			t.Fatalf("fixture: %q is not listed in both tenants", zurich)
		}
	}
	dir = t.TempDir()
	sb = exportTo(t, srcVars, filepath.Join(dir, "sb.tar.gz"))
	return sb, dst, dstVars, dir
}

// planLine returns the plan's line for the connector named name, "" if none.
func planLine(stdout, name string) string {
	re := regexp.MustCompile(`(?m)^[+~=!\- ] \w+\s+` + regexp.QuoteMeta(name) + `( \[.*)?$`)
	return re.FindString(stdout)
}

// Names and globs match in any Unicode normalization form: an --exclude
// typed in NFD keeps the NFC-named connector out of the plan, and an
// --include in NFD keeps it in a transform.
func TestNamesMatchInAnyNormalizationForm(t *testing.T) {
	sb, _, prodVars, dir := sandboxAndProd(t)
	state := filepath.Join(dir, "state")
	r := runCLI(t, prodVars, "plan", "--rate", "0", "--state-dir", state, sb)
	if r.code != exitOK || !strings.Contains(planLine(r.stdout, zurich), "update") {
		t.Fatalf("fixture: plan without --exclude should update %q: exit %d\n%s%s", zurich, r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, prodVars, "plan", "--rate", "0", "--state-dir", state, "--exclude", zurichNFD, sb)
	if r.code != exitOK {
		t.Fatalf("plan --exclude (NFD): exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if l := planLine(r.stdout, zurich); strings.Contains(l, "update") {
		t.Errorf("plan --exclude %q (NFD) still updates %q: %s", zurichNFD, zurich, l)
	}
	out := filepath.Join(dir, "z.tar.gz")
	r = runCLI(t, nil, "transform", "--include", "Zu\u0308rich*", sb, out)
	if r.code != exitOK || !strings.Contains(r.stdout, "wrote "+out+": 1 of ") {
		t.Errorf("transform --include Zürich* (NFD): exit %d, want 1 connector kept:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// An --include (flag or rules file) that matches no connector is an error
// naming it, exit 2, before anything is written: for export (after the
// list), transform, plan, import and migrate.
func TestIncludeMatchingNothingIsAnError(t *testing.T) {
	sb, prodSim, prodVars, dir := sandboxAndProd(t)
	state := filepath.Join(dir, "state")
	before := prodSim.Dump()
	out := filepath.Join(dir, "out.tar.gz")
	rules := writeRules(t, dir, "include: [\"Zurich*\"]\n")
	for _, args := range [][]string{
		{"export", "--rate", "0", "--include", "Zurich*", "--out", out},
		{"transform", "--include", "Zurich*", sb, out},
		{"transform", "--rules", rules, sb, out},
		{"plan", "--rate", "0", "--state-dir", state, "--include", "Zurich*", sb},
		{"plan", "--rate", "0", "--state-dir", state, "--rules", rules, sb},
		{"import", "--rate", "0", "--state-dir", state, "--include", "Zurich*", "--allow-delete", "--yes", sb},
		{"import", "--rate", "0", "--state-dir", state, "--rules", rules, "--yes", sb},
	} {
		r := runCLI(t, prodVars, args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, `"Zurich*"`) || !strings.Contains(r.stderr, "match") {
			t.Errorf("%s with an include matching nothing: exit %d, want 2 naming the glob:\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stderr, "transform") && !strings.Contains(r.stderr, `did you mean "`+zurich+`"`) {
			t.Errorf("%s: no near name suggested: %s", args[0], r.stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%s wrote %s", args[0], out)
		}
	}
	if got := deletedNames(before, prodSim.Dump()); len(got) > 0 {
		t.Errorf("deleted %q", got)
	}
	// migrate exports with the include: refused after the list, nothing imported.
	src, srcVars := startSim(t, tenantsim.Options{Seed: 93, Connectors: 5, MaxLocales: 1, TenantName: "sb", ClientID: "sb-client", ClientSecret: "sb-secret"})
	_ = src
	config := filepath.Join(dir, "connvault.yaml")
	writeProfiles(t, config, srcVars, prodVars)
	vars := profileSecrets(srcVars, prodVars)
	r := runCLI(t, vars, "migrate", "--config", config, "--from", "sb", "--to", "prod", "--rate", "0", "--state-dir", state, "--include", "Zurich*", "--yes")
	if r.code != exitUsage || !strings.Contains(r.stderr, `"Zurich*"`) {
		t.Errorf("migrate --include matching nothing: exit %d, want 2 naming the glob:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := deletedNames(before, prodSim.Dump()); len(got) > 0 {
		t.Errorf("migrate deleted %q", got)
	}
	// backup exports with the include: the tenant's row fails naming the
	// glob, nothing is stored, and the run exits 2 as export does (it
	// exited 1), with --json too (one document, the rows).
	repo := filepath.Join(dir, "repo")
	for _, extra := range [][]string{nil, {"--json"}} {
		r := runCLI(t, prodVars, append([]string{"backup", "--repo", repo, "--tenant", "prod", "--rate", "0", "--include", "Zurich*"}, extra...)...)
		said := r.stdout
		if len(extra) > 0 {
			var rows []struct{ Result, Error string }
			if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 || rows[0].Result != "failed" {
				t.Errorf("backup --json: %v, want one row, failed:\n%s", err, r.stdout)
			} else {
				said = rows[0].Error
			}
		}
		if r.code != exitUsage || !strings.Contains(said, `"Zurich*"`) {
			t.Errorf("backup %q --include matching nothing: exit %d, want 2 naming the glob:\n%s%s", extra, r.code, r.stdout, r.stderr)
		}
	}
	if r := runCLI(t, nil, "snapshots", "--repo", repo); r.code != exitOK || strings.Contains(r.stdout, "prod") {
		t.Errorf("backup stored a snapshot although its include matched nothing: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// restore imports with the include: refused before anything is written.
	if r := runCLI(t, prodVars, "backup", "--repo", repo, "--tenant", "prod", "--rate", "0"); r.code != exitOK {
		t.Fatalf("backup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, prodVars, "restore", "--repo", repo, "--tenant", "prod", "--rate", "0", "--state-dir", state, "--include", "Zurich*", "--yes", "latest")
	if r.code != exitUsage || !strings.Contains(r.stderr, `"Zurich*"`) {
		t.Errorf("restore --include matching nothing: exit %d, want 2 naming the glob:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A rename key must name a connector of the bundle, by the rule include
// uses (any letter case, NFC): a typo is an error naming the key and a near
// name, before anything is planned, written or imported; a key in another
// letter case renames the connector.
func TestRenameKeysMustNameAConnector(t *testing.T) {
	sb, prodSim, prodVars, dir := sandboxAndProd(t)
	state := filepath.Join(dir, "state")
	rules := writeRules(t, dir, fmt.Sprintf("include: [%q]\nrename: {\"Zurich HR Feed\": %q}\n", zurich+"*", zurich+" PROD"))
	before := prodSim.Dump()
	for _, cmd := range [][]string{{"plan"}, {"import", "--yes"}} {
		r := runCLI(t, prodVars, append(cmd, "--rate", "0", "--state-dir", state, "--rules", rules, sb)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, `rename "Zurich HR Feed": no connector of the bundle has this name (did you mean "`+zurich+`"?)`) {
			t.Errorf("%s --rules with a rename key matching nothing: exit %d, want 2 naming the key:\n%s%s", cmd, r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout, "update") {
			t.Errorf("%s printed a plan although the rules are wrong:\n%s", cmd, r.stdout)
		}
	}
	if !slices.EqualFunc(before.Connectors, prodSim.Dump().Connectors, func(a, b tenantsim.DumpConnector) bool {
		return a.Name == b.Name && a.SourceConfigXml == b.SourceConfigXml
	}) {
		t.Error("the target changed")
	}
	m, err := bundle.Verify(t.Context(), sb, bundle.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other := m.Connectors[0].Name
	if other == zurich {
		other = m.Connectors[1].Name
	}
	out := filepath.Join(dir, "renamed.tar.gz")
	rules = writeRules(t, dir, fmt.Sprintf("rename:\n  \"No Such Connector\": X\n  %q: Lower PROD\n", strings.ToLower(other)))
	if r := runCLI(t, nil, "transform", "--rules", rules, sb, out); r.code != exitUsage || !strings.Contains(r.stderr, `rename "No Such Connector"`) || strings.Contains(r.stderr, strings.ToLower(other)) {
		t.Errorf("transform with rename keys %q and %q: exit %d, want 2 naming only the first:\n%s", "No Such Connector", strings.ToLower(other), r.code, r.stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("transform wrote its output although a rename key matches nothing")
	}
	rules = writeRules(t, dir, fmt.Sprintf("rename:\n  %q: Lower PROD\n", strings.ToLower(other)))
	if r := runCLI(t, nil, "transform", "--rules", rules, sb, out); r.code != exitOK {
		t.Fatalf("transform with a rename key in lower case: exit %d: %s", r.code, r.stderr)
	}
	got, err := bundle.Verify(t.Context(), out, bundle.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(got.Connectors, func(e bundle.Entry) bool { return e.Name == "Lower PROD" }) || got.ContentDigest == m.ContentDigest {
		t.Errorf("rename key %q did not rename %q", strings.ToLower(other), other)
	}
}
