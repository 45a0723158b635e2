package glob

import (
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"HR *", "HR Feed", true},
		{"HR *", "HR / Payroll", true}, // '*' matches '/'
		{"HR *", "hr feed", true},      // letter case is ignored, as ISC ignores it in names
		{"zürich*", "ZÜRICH HR", true},
		{"[a-c]*", "Badge", true},
		{"HR *", "My HR Feed", false}, // the whole name
		{"HR?Feed", "HR/Feed", true},
		{"* (test)", "Payroll (test)", true},
		{"* (test)", "Payroll (test) copy", false},
		{"[A-C]*", "Badge", true},
		{"[^A-C]*", "Badge", false},
		{"[!A-C]*", "Zürich", true},
		{"Z?rich", "Zürich", true}, // '?' is one character, not one byte
		{`\*`, "*", true},
		{`\*`, "a", false},
		{`[\]]`, "]", true},
		{"a.c", "abc", false}, // regexp metacharacters are literal
		{"", "", true},
		{"", "a", false},
		{"*", "line\nbreak", true},
		// Unicode normalization: NFD ("u" + U+0308) and NFC ("ü") are one
		// letter, in the pattern, in the name, or both.
		{"Zu\u0308rich HR Feed", "Zürich HR Feed", true},
		{"Zürich*", "Zu\u0308rich HR Feed", true},
		{"Zu\u0308rich*", "ZU\u0308RICH HR", true},
		{"Z?rich", "Zu\u0308rich", true},
		{"Z[ü]rich", "Zu\u0308rich", true},
		{"Zurich*", "Zürich HR Feed", false}, // a different letter stays different
	}
	for _, tt := range tests {
		g, err := Compile(tt.pattern)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.pattern, err)
			continue
		}
		if got := g.Match(tt.name); got != tt.want {
			t.Errorf("glob %q on %q = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestCompileErrorsNameThePattern(t *testing.T) {
	for pattern, want := range map[string]string{
		"HR [":  `glob "HR [": missing ]`,
		`a\`:    `glob "a\\": trailing backslash`,
		"[z-a]": `glob "[z-a]": range z-a is reversed`,
	} {
		if _, err := Compile(pattern); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compile(%q) = %v, want an error containing %q", pattern, err, want)
		}
	}
}

func TestFilterKeeps(t *testing.T) {
	f, err := NewFilter([]string{"HR *", "Payroll*"}, []string{"* (test)"})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"HR Feed": true, "hr feed": true, "payroll EU": true, "HR Feed (TEST)": false, "Badge": false} {
		if got := f.Keeps(name); got != want {
			t.Errorf("Keeps(%q) = %v, want %v", name, got, want)
		}
	}
	if !(Filter{}).Keeps("anything") || !(Filter{}).IsZero() {
		t.Error("the zero Filter must keep everything")
	}
}

func TestCompileTable(t *testing.T) {
	tests := []struct {
		name  string
		glob  string
		match []string
		miss  []string
	}{
		{name: "literal", glob: "Acme HR", match: []string{"Acme HR", "acme hr"}, miss: []string{"Acme HR2", "xAcme HR"}},
		{name: "star spans slash", glob: "Web*", match: []string{"Web", "Web Services / REST"}, miss: []string{"A Web"}},
		{name: "question mark is one rune", glob: "v?", match: []string{"v1", "vé"}, miss: []string{"v", "v12"}},
		{name: "class", glob: "[ab]x", match: []string{"ax", "bx"}, miss: []string{"cx"}},
		{name: "range", glob: "[a-c]*", match: []string{"a", "cat"}, miss: []string{"dog"}},
		{name: "negated class", glob: "[!a]*", match: []string{"b"}, miss: []string{"apple"}},
		{name: "caret negates too", glob: "[^a]*", match: []string{"b"}, miss: []string{"apple"}},
		{name: "escaped star", glob: `a\*`, match: []string{"a*"}, miss: []string{"ab"}},
		{name: "regexp metacharacters are literal", glob: "a.b+(c)|$", match: []string{"a.b+(c)|$"}, miss: []string{"axb+(c)|$", "abb(c)"}},
		{name: "multiline names", glob: "a*", match: []string{"a\nb"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			re, err := Compile(tc.glob)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.glob, err)
			}
			for _, s := range tc.match {
				if !re.Match(s) {
					t.Errorf("glob %q does not match %q", tc.glob, s)
				}
			}
			for _, s := range tc.miss {
				if re.Match(s) {
					t.Errorf("glob %q matches %q", tc.glob, s)
				}
			}
		})
	}
}

func TestCompileInvalid(t *testing.T) {
	for _, glob := range []string{"[abc", `abc\`, `[a\`, "[z-a]", "[]]", "[a-]"} { // as path.Match: escape ] and - in a class
		t.Run(glob, func(t *testing.T) {
			if _, err := Compile(glob); err == nil {
				t.Errorf("Compile(%q) succeeded, want an error", glob)
			}
		})
	}
}

func TestSameName(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"Zürich HR Feed", "Zu\u0308rich HR Feed", true},
		{"praha intranet", "Praha Intranet", true},
		{"ZÜRICH", "zu\u0308rich", true},
		{"Zurich HR Feed", "Zürich HR Feed", false},
		{"HR *", "HR Feed", false}, // no wildcards: a name is not a pattern
		{"Café", "Cafe\u0301", true},
		{"CAFÉ", "cafe\u0301", true},
		{"\u212a Feed", "k feed", true}, // the Kelvin sign folds to k
		{"ſ Feed", "S FEED", true},      // so does the long s to s
		{"Straße", "STRASSE", false},    // simple folding: ß is not ss
	} {
		if got := SameName(tt.a, tt.b); got != tt.want {
			t.Errorf("SameName(%q, %q) = %t, want %t", tt.a, tt.b, got, tt.want)
		}
		// NameKey keys maps by the same rule.
		if got := NameKey(tt.a) == NameKey(tt.b); got != tt.want {
			t.Errorf("NameKey(%q) == NameKey(%q) is %t, want %t (keys %q, %q)", tt.a, tt.b, got, tt.want, NameKey(tt.a), NameKey(tt.b))
		}
	}
}
