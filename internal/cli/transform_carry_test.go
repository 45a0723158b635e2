package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// manifestFields returns the manifest of the bundle at path as its JSON
// fields.
func manifestFields(t *testing.T, path string) (bundle.Manifest, map[string]json.RawMessage) {
	t.Helper()
	m, err := bundle.Verify(t.Context(), path, bundle.ReadOptions{})
	if err != nil {
		t.Fatalf("verify %s: %v", path, err)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	return m, fields
}

// A transform writes a bundle that stands for what its input stands for:
// every manifest field bundle.DerivedFields names (scope, coverage with its
// leftOut, reads, ambiguity, errors, source) goes through. A transform that
// dropped the coverage made import --allow-delete delete a production
// connector the original bundle protected (it was hidden in the sandbox,
// and the export had recorded it as left out).
func TestTransformKeepsWhatTheBundleStandsFor(t *testing.T) {
	v, err := tenantsim.ParseVariants("missing-locale=en,detail-locales=requested")
	if err != nil {
		t.Fatal(err)
	}
	src, srcVars := startSim(t, tenantsim.Options{Seed: 74, Connectors: 20, MaxLocales: 3, TenantName: "sandbox", Variants: v})
	var hidden string
	for _, c := range src.Dump().Connectors {
		if !c.BuiltIn && c.Status != "RELEASED" {
			hidden = c.Name
			break
		}
	}
	listed := releasedNames(src.Dump())
	dir := t.TempDir()
	filter := fmt.Sprintf("name sw %q or name sw %q or name sw %q", listed[0], listed[1], hidden)
	in := exportTo(t, srcVars, filepath.Join(dir, "fz.tar.gz"), "--filter", filter, "--parts", "auto")
	inM, inFields := manifestFields(t, in)
	if inM.Coverage == nil || !slices.ContainsFunc(inM.Coverage.LeftOut, func(lo bundle.LeftOut) bool { return lo.Name == hidden }) ||
		inM.Reads == nil || len(inM.Ambiguous) == 0 || !inM.Scope.Known() {
		t.Fatalf("fixture: the export should record %q as left out, its reads, ambiguous translations and its scope: %s", hidden, inFields["coverage"])
	}

	// No rules at all: every carried field is the input's.
	out := filepath.Join(dir, "fz-t.tar.gz")
	if r := runCLI(t, nil, "transform", in, out); r.code != exitOK {
		t.Fatalf("transform: exit %d: %s", r.code, r.stderr)
	}
	_, outFields := manifestFields(t, out)
	for _, f := range bundle.DerivedFields() {
		if string(inFields[f]) != string(outFields[f]) {
			t.Errorf("transform lost manifest field %q:\n in:  %s\n out: %s", f, inFields[f], outFields[f])
		}
	}

	// Production lists the connector the sandbox hides: an import
	// --allow-delete of the transformed bundle keeps it, as it keeps it for
	// the original bundle.
	dst, dstVars := startSim(t, tenantsim.Options{Seed: 75, Connectors: 6, MaxLocales: 1, TenantName: "prod"})
	if !slices.Contains(releasedNames(dst.Dump()), hidden) {
		addReleased(t, dstVars, hidden)
	}
	before := dst.Dump()
	r := runCLI(t, dstVars, "import", "--rate", "0", "--state-dir", filepath.Join(dir, "state"), "--allow-delete", "--yes", out)
	if r.code != exitOK {
		t.Fatalf("import: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := deletedNames(before, dst.Dump()); slices.Contains(got, hidden) {
		t.Errorf("import --allow-delete of the transformed bundle deleted %q, which the export recorded as left out\n%s", hidden, r.stdout)
	}

	// Rules that drop a connector: it joins leftOut as filtered, with the
	// rule, and leaves ambiguous; everything else is carried.
	rules := writeRules(t, dir, fmt.Sprintf("exclude: [%q]\n", listed[0]))
	narrowed := filepath.Join(dir, "narrowed.tar.gz")
	if r := runCLI(t, nil, "transform", "--rules", rules, in, narrowed); r.code != exitOK {
		t.Fatalf("transform --rules: exit %d: %s", r.code, r.stderr)
	}
	nm, nFields := manifestFields(t, narrowed)
	i := slices.IndexFunc(nm.Coverage.LeftOut, func(lo bundle.LeftOut) bool { return lo.Name == listed[0] })
	if i < 0 || nm.Coverage.LeftOut[i].Reason != bundle.LeftOutFiltered || !strings.Contains(nm.Coverage.LeftOut[i].Rule, rules) {
		t.Errorf("the connector the rules exclude is not left out as filtered by the rules file: %s", nFields["coverage"])
	}
	if len(nm.Coverage.LeftOut) != len(inM.Coverage.LeftOut)+1 {
		t.Errorf("leftOut has %d entries, want the input's %d and the excluded one", len(nm.Coverage.LeftOut), len(inM.Coverage.LeftOut))
	}
	if slices.ContainsFunc(nm.Ambiguous, func(a bundle.Ambiguity) bool { return a.Name == listed[0] }) {
		t.Errorf("ambiguous still lists the excluded connector")
	}
	for _, f := range []string{"source", "reads", "errors"} {
		if string(inFields[f]) != string(nFields[f]) {
			t.Errorf("transform --rules lost manifest field %q:\n in:  %s\n out: %s", f, inFields[f], nFields[f])
		}
	}
	if len(nm.Scope.Narrowed) != 1 {
		t.Errorf("scope not narrowed by the rules: %s", nFields["scope"])
	}
}
