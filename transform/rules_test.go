package transform

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseRulesErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // the whole error text
	}{
		{"unsupported version", "version: 3\nfoo: bar\n",
			"rules file x.yaml: unsupported version 3 (this connvault reads version 2)"},
		{"version as a list", "version: [2]\n",
			"rules file x.yaml: unsupported version a list (this connvault reads version 2)"},
		{"version 1, whose placeholders meant something else", "version: 1\nrename: {a: b}\n",
			`rules file x.yaml: line 1: version 1 is no longer read, because version 2 changed what placeholders mean: in version 1, ${NAME} was substituted by default, from the values file and then the whole environment (SAIL_CLIENT_SECRET included); in version 2, nothing is substituted unless the file says "placeholders: true" (values from --values only) or "placeholders: {env: [NAME, ...]}" (also from the environment variables named; SAIL_* never). Change the file to "version: 2" and add one of those if you rely on substitution`},
		{"placeholders env names SAIL_*", "version: 2\nplaceholders:\n  env: [TARGET_URL, SAIL_CLIENT_SECRET]\n",
			"rules file x.yaml: line 3: placeholders env: SAIL_CLIENT_SECRET: SAIL_* variables hold connvault's own credentials and settings and are never a source of values"},
		{"placeholders env not a name", "version: 2\nplaceholders: {env: [home]}\n",
			`rules file x.yaml: line 2: placeholders env: "home" is not a placeholder name (capital letters, digits and _, starting with a letter)`},
		{"missing version", "include: [\"HR *\"]\n",
			`rules file x.yaml: no version (this connvault reads version 2; start the file with "version: 2")`},
		{"empty file", "",
			`rules file x.yaml: no version (this connvault reads version 2; start the file with "version: 2")`},
		{"not a mapping", "- version: 2\n",
			"rules file x.yaml: line 1: want a mapping with the keys version, include, exclude, rename, replace, placeholders, metadata, got a list"},
		{"unknown key", "version: 2\ninclude: []\nrenames:\n  a: b\n",
			`rules file x.yaml: line 3: unknown key "renames" (known keys: version, include, exclude, rename, replace, placeholders, metadata)`},
		{"unknown key in replace", "version: 2\nreplace:\n  - from: a\n    to: b\n    kind: [translations]\n",
			`rules file x.yaml: line 5: unknown key "kind" (known keys: from, to, kinds)`},
		{"unknown key in metadata", "version: 2\nmetadata:\n  - match: '*'\n    sett: {a: b}\n",
			"rules file x.yaml: line 4: unknown key \"sett\" (known keys: match, set, unset)\n" +
				"rules file x.yaml: line 3: metadata: entry for \"*\" neither sets nor unsets anything"},
		{"duplicate key", "version: 2\ninclude: [a]\ninclude: [b]\n",
			`rules file x.yaml: line 3: duplicate key "include" (first at line 2)`},
		{"bad include glob", "version: 2\ninclude:\n  - \"HR *\"\n  - \"HR [\"\n",
			`rules file x.yaml: line 4: include: bad glob "HR [": missing ]`},
		{"bad exclude glob", "version: 2\nexclude: 'a\\'\n",
			`rules file x.yaml: line 2: exclude: bad glob "a\\": trailing backslash`},
		{"bad match glob", "version: 2\nmetadata:\n  - match: \"[z-a]\"\n    set: {a: b}\n",
			`rules file x.yaml: line 3: metadata: match: bad glob "[z-a]": range z-a is reversed`},
		{"empty class", "version: 2\ninclude: '[]'\n",
			`rules file x.yaml: line 2: include: bad glob "[]": unescaped ']' in a character class`},
		{"placeholders not a boolean", "version: 2\nplaceholders: no\n",
			`rules file x.yaml: line 2: placeholders: want true or false, got "no"`},
		{"rename twice to one name", "version: 2\nrename:\n  A: C\n  B: C\n",
			`rules file x.yaml: line 4: rename: "A" and "B" are both renamed to "C"`},
		{"rename twice to one name in another case", "version: 2\nrename:\n  A: C\n  B: c\n",
			`rules file x.yaml: line 4: rename: "A" and "B" are both renamed to "c"`},
		{"rename twice to one name in another normalization form", "version: 2\nrename:\n  A: \"Caf\\u00e9\"\n  B: \"Cafe\\u0301\"\n",
			"rules file x.yaml: line 4: rename: \"A\" and \"B\" are both renamed to \"Cafe\u0301\""},
		{"rename to nothing", "version: 2\nrename:\n  A:\n",
			`rules file x.yaml: line 3: rename "A": want a string, got nothing (write "" for an empty string)`},
		{"rename to empty", "version: 2\nrename:\n  A: ''\n",
			`rules file x.yaml: line 3: rename "A": the target name is empty`},
		{"rename duplicate source", "version: 2\nrename:\n  A: B\n  A: C\n",
			`rules file x.yaml: line 4: rename: "A" is renamed twice`},
		{"replace unknown kind", "version: 2\nreplace:\n  - {from: a, to: b, kinds: [connector]}\n",
			`rules file x.yaml: line 3: replace: unknown kind "connector" (kinds: source-config, source-template, correlation-config, translations)`},
		{"replace without to", "version: 2\nreplace:\n  - from: a\n",
			"rules file x.yaml: line 3: replace: each entry needs from and to"},
		{"replace empty from", "version: 2\nreplace:\n  - {from: '', to: b}\n",
			"rules file x.yaml: line 3: replace: from is empty"},
		{"replace not a list", "version: 2\nreplace: {from: a, to: b}\n",
			"rules file x.yaml: line 2: replace: want a list, got a mapping"},
		{"metadata set and unset", "version: 2\nmetadata:\n  - match: '*'\n    set: {a: b}\n    unset: [a]\n",
			`rules file x.yaml: line 3: metadata: "a" is both set and unset`},
		{"metadata without match", "version: 2\nmetadata:\n  - set: {a: b}\n",
			`rules file x.yaml: line 3: metadata: each entry needs match (a glob; "*" for every connector)`},
		{"metadata null value", "version: 2\nmetadata:\n  - match: '*'\n    set: {a: null}\n",
			`rules file x.yaml: line 4: metadata: set "a": null is not a value (use unset to remove a key)`},
		{"metadata not a number", "version: 2\nmetadata:\n  - match: '*'\n    set: {a: .nan}\n",
			`rules file x.yaml: line 4: metadata: set "a": .nan is not a JSON number (quote it for a string)`},
		{"metadata octal", "version: 2\nmetadata:\n  - match: '*'\n    set: {a: 010}\n",
			`rules file x.yaml: line 4: metadata: set "a": 010 is not a JSON number (quote it for a string)`},
		{"several problems at once", "version: 2\nfoo: 1\ninclude: ['[']\nplaceholders: 3\n",
			"rules file x.yaml: line 2: unknown key \"foo\" (known keys: version, include, exclude, rename, replace, placeholders, metadata)\n" +
				"rules file x.yaml: line 3: include: bad glob \"[\": missing ]\n" +
				"rules file x.yaml: line 4: placeholders: want true or false, got \"3\""},
		{"two documents", "version: 2\n---\nversion: 1\n",
			"rules file x.yaml: line 2: a second YAML document; the file must hold one"},
		{"syntax error", "version: 2\ninclude: a\n  b: c\n",
			"rules file x.yaml: yaml: line 3: mapping values are not allowed in this context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRules("x.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("ParseRules succeeded (%+v), want error %q", r, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tt.want)
			}
		})
	}
}

func TestParseRules(t *testing.T) {
	r, err := ParseRules("ok.yaml", []byte(`
version: 2
include: "HR *"             # a single string is a list of one
exclude:
rename:
  no: yes                  # YAML 1.1 booleans stay strings
  "1.10": off
replace:
  - {from: a, to: ""}
placeholders: false
metadata:
  - match: "*"
    set: {flag: no, on: true, n: 1.50, when: 2024-01-02, list: [1, "2"]}
    unset: internalNote
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.include) != 1 || r.include[0].pattern != "HR *" || len(r.exclude) != 0 {
		t.Errorf("include %v, exclude %v", r.include, r.exclude)
	}
	if r.rename["no"] != "yes" || r.rename["1.10"] != "off" || len(r.rename) != 2 {
		t.Errorf("rename = %v", r.rename)
	}
	if len(r.replace) != 1 || r.replace[0].from != "a" || r.replace[0].to != "" {
		t.Errorf("replace = %+v", r.replace)
	}
	if r.placeholders {
		t.Error("placeholders = true, want false")
	}
	if len(r.metadata) != 1 {
		t.Fatalf("metadata = %+v", r.metadata)
	}
	got, err := json.Marshal(r.metadata[0].set)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"flag":"no","list":[1,"2"],"n":1.50,"on":true,"when":"2024-01-02"}`; string(got) != want {
		t.Errorf("set = %s, want %s", got, want)
	}
	if strings.Join(r.metadata[0].unset, ",") != "internalNote" {
		t.Errorf("unset = %v", r.metadata[0].unset)
	}

	r, err = ParseRules("minimal.yaml", []byte("version: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.placeholders {
		t.Error("placeholders default to true, want false (opt-in since version 2)")
	}
}
