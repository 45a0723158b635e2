package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// Newcomer N14: rules rename a connector, and --allow-delete then deletes
// the target's connector of the old name, which the bundle lacks only
// because of the rename. The plan says so on the delete line, whether the
// rules are given to plan or were applied by transform before.
func TestPlanSaysARenameIsWhyItDeletes(t *testing.T) {
	t.Parallel()
	sim, vars := startSim(t, tenantsim.Options{Seed: 97, Connectors: 4, MaxLocales: 1, TenantName: "corp"})
	dir := t.TempDir()
	b := exportTo(t, vars, filepath.Join(dir, "all.tar.gz"))
	old := releasedNames(sim.Dump())[0]
	rules := writeRules(t, dir, fmt.Sprintf("rename:\n  %q: %q\n", old, old+" PROD"))
	out := filepath.Join(dir, "prod.tar.gz")
	if r := runCLI(t, nil, "transform", "--rules", rules, b, out); r.code != exitOK {
		t.Fatalf("transform: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{
		{"plan", "--rate", "0", "--allow-delete", "--rules", rules, b},
		{"plan", "--rate", "0", "--allow-delete", out},
	} {
		r := runCLI(t, vars, args...)
		lines := strings.Split(r.stdout, "\n")
		found := false
		for i, l := range lines {
			if strings.HasPrefix(l, "- delete") && strings.Contains(l, old+" [") {
				found = i+1 < len(lines) && strings.Contains(lines[i+1], fmt.Sprintf("renamed the bundle's %q to %q", old, old+" PROD"))
			}
		}
		if !found {
			t.Errorf("%v: exit %d; want the delete of %q to say the rename is why:\n%s%s", args, r.code, old, r.stdout, r.stderr)
		}
	}
}
