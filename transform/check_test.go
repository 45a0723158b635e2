package transform

import (
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
)

// manifestOf lists the names as a bundle's manifest would, with "hr-hidden"
// left out by the export (hidden).
func manifestOf(names ...string) bundle.Manifest {
	var m bundle.Manifest
	for i, n := range names {
		m.Connectors = append(m.Connectors, bundle.Entry{ScriptName: "sn-" + string(rune('a'+i)), Name: n})
	}
	m.Coverage = &bundle.Coverage{LeftOut: []bundle.LeftOut{{ScriptName: "hr-hidden", Name: "Hidden HR", Reason: bundle.LeftOutHidden}}}
	return m
}

// Every rule that names connectors must name one of the bundle: an include
// glob, a rename key or a metadata match that matches nothing is an error
// naming the rule, its line and a near name; an exclude that matches
// nothing is a warning. Names match by internal/glob's rule: any letter
// case, NFC or NFD.
func TestCheckRulesNameConnectors(t *testing.T) {
	m := manifestOf("Zürich HR Feed", "Praha Intranet", "Oslo LDAP")
	tests := []struct {
		name, rules string
		want        []string // substrings of the error; none: no error
		warn        string
	}{
		{"rename typo: a missing accent", "rename:\n  \"Zurich HR Feed\": \"Zürich HR Feed PROD\"\n",
			[]string{`rules file r.yaml: line 3: rename "Zurich HR Feed": no connector of the bundle has this name (did you mean "Zürich HR Feed"?)`}, ""},
		{"rename of no connector", "rename:\n  \"No Such Connector\": X\n",
			[]string{`line 3: rename "No Such Connector": no connector of the bundle has this name`}, ""},
		{"rename by another letter case", "rename:\n  \"praha intranet\": Praha PROD\n", nil, ""},
		{"rename in NFD", "rename:\n  \"Zu\u0308rich HR Feed\": Z PROD\n", nil, ""},
		{"rename with a typo", "rename:\n  \"Praha Intranett\": P\n", []string{`(did you mean "Praha Intranet"?)`}, ""},
		{"rename of a connector the export left out", "rename:\n  \"Hidden HR\": H\n", []string{`(the export left "Hidden HR" out of the bundle: hidden)`}, ""},
		{"include typo", "include: [\"Zurich*\"]\n", []string{`line 2: include "Zurich*" matches no connector of the bundle (did you mean "Zürich HR Feed"?)`}, ""},
		{"include in NFD", "include: [\"Zu\u0308rich*\"]\n", nil, ""},
		{"metadata match typo", "metadata:\n  - match: \"Osло*\"\n    set: {a: b}\n", []string{`line 3: metadata match "Osло*" matches no connector`}, ""},
		{"exclude matching nothing warns", "exclude: [\"Legacy*\"]\n", nil, `line 2: exclude "Legacy*" matches no connector of the bundle`},
		{"every problem at once", "include: [\"A*\"]\nrename: {B: C}\n", []string{`include "A*"`, `rename "B"`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRules("r.yaml", []byte("version: 2\n"+tt.rules))
			if err != nil {
				t.Fatal(err)
			}
			warnings, err := r.Check(m)
			if len(tt.want) == 0 && err != nil {
				t.Errorf("Check: %v", err)
			}
			if len(tt.want) > 0 && !IsNoMatch(err) {
				t.Fatalf("Check: %v, want a NoMatchError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if got := strings.Join(warnings, "\n"); tt.warn == "" && got != "" || !strings.Contains(got, tt.warn) {
				t.Errorf("warnings %q, want %q", got, tt.warn)
			}
		})
	}
	// The flags say which flag.
	f, err := NameFilter([]string{"Zurich*"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Check(m); err == nil || !strings.HasPrefix(err.Error(), `--include "Zurich*" matches no connector`) {
		t.Errorf("--include matching nothing: %v", err)
	}
}

// A rename key matches the connector's name as include does; renamed in
// any letter case or normalization form, the connector gets the new name.
func TestApplyRenameMatchesLikeGlobs(t *testing.T) {
	r := mustRules(t, "version: 2\nrename:\n  \"praha intranet\": Praha PROD\n  \"Zu\u0308rich HR Feed\": Zürich PROD\n")
	out, err := r.Apply([]bundle.Connector{conn("p", "Praha Intranet"), conn("z", "Zürich HR Feed")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Name != "Praha PROD" || out[1].Name != "Zürich PROD" {
		t.Errorf("renamed to %q and %q", out[0].Name, out[1].Name)
	}
	if _, err := ParseRules("r.yaml", []byte("version: 2\nrename:\n  A: X\n  a: Y\n")); err == nil || !strings.Contains(err.Error(), "name the same connector") {
		t.Errorf("two rename keys naming one connector: %v", err)
	}
}

// Narrow: a connector the rules drop is left out as filtered, with the
// rule, and leaves hidden and ambiguous; a renamed one keeps its entries
// under the new name; the scope is narrowed.
func TestNarrowManifest(t *testing.T) {
	m := manifestOf("Zürich HR Feed", "Praha Intranet")
	m.Coverage.Hidden = []string{"sn-a", "sn-b"}
	m.Ambiguous = []bundle.Ambiguity{{ScriptName: "sn-a", Name: "Zürich HR Feed"}, {ScriptName: "sn-b", Name: "Praha Intranet"}}
	m.Scope = &bundle.Scope{Include: []string{"*"}}
	r := mustRules(t, "version: 2\nexclude: [\"Zürich*\"]\nrename: {\"Praha Intranet\": \"Praha PROD\"}\n")
	n := r.Narrow(m)
	if len(n.Connectors) != 1 || n.Connectors[0].Name != "Praha PROD" {
		t.Errorf("connectors %+v", n.Connectors)
	}
	if len(n.Coverage.LeftOut) != 2 || n.Coverage.LeftOut[1].ScriptName != "sn-a" || n.Coverage.LeftOut[1].Reason != bundle.LeftOutFiltered ||
		!strings.Contains(n.Coverage.LeftOut[1].Rule, `exclude "Zürich*" of rules file rules.yaml`) {
		t.Errorf("leftOut %+v", n.Coverage.LeftOut)
	}
	if len(n.Coverage.Hidden) != 1 || n.Coverage.Hidden[0] != "sn-b" {
		t.Errorf("hidden %v", n.Coverage.Hidden)
	}
	if len(n.Ambiguous) != 1 || n.Ambiguous[0].Name != "Praha PROD" {
		t.Errorf("ambiguous %+v", n.Ambiguous)
	}
	if len(n.Scope.Narrowed) != 1 || len(m.Scope.Narrowed) != 0 || len(m.Coverage.LeftOut) != 1 {
		t.Errorf("scope %+v; the input changed: %+v %+v", n.Scope, m.Scope, m.Coverage.LeftOut)
	}
}
