package transform

import (
	"maps"
	"testing"
)

func TestLoadValues(t *testing.T) {
	got, err := LoadValues("v.yaml", []byte(`
TARGET_URL: https://prod.example.com
REGION: no          # the string "no", not false
VERSION: 1.10       # as written, not 1.1
OCTAL: 010
EMPTY: ""
QUOTED: 'it''s'
BLOCK: |
  two
  lines
A1_B: &x shared
ALIAS: *x
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"TARGET_URL": "https://prod.example.com", "REGION": "no", "VERSION": "1.10", "OCTAL": "010",
		"EMPTY": "", "QUOTED": "it's", "BLOCK": "two\nlines\n", "A1_B": "shared", "ALIAS": "shared",
	}
	if !maps.Equal(got, want) {
		t.Errorf("LoadValues = %q\nwant %q", got, want)
	}

	for _, empty := range []string{"", "# nothing\n", "~\n"} {
		got, err := LoadValues("v.yaml", []byte(empty))
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("LoadValues(%q) = %v, %v; want an empty map", empty, got, err)
		}
	}
}

func TestLoadValuesErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"lower-case name", "url: x\n",
			`values file v.yaml: line 1: "url" is not a placeholder name (capital letters, digits and _, starting with a letter)`},
		{"null value", "A: x\nB:\n",
			`values file v.yaml: line 2: B: want a string, got nothing (write "" for an empty string)`},
		{"nested", "A:\n  B: c\n",
			`values file v.yaml: line 2: A: want a string, got a mapping`},
		{"duplicate", "A: 1\nA: 2\n",
			`values file v.yaml: line 2: duplicate key "A" (first at line 1)`},
		{"a list", "- A\n",
			`values file v.yaml: line 1: want a mapping of NAME: value, got a list`},
		{"several", "a: 1\nB: [x]\n",
			"values file v.yaml: line 1: \"a\" is not a placeholder name (capital letters, digits and _, starting with a letter)\n" +
				"values file v.yaml: line 2: B: want a string, got a list"},
		{"syntax", "A: 'x\n",
			"values file v.yaml: yaml: line 2: found unexpected end of stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadValues("v.yaml", []byte(tt.yaml))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error:\n%v\nwant:\n%s", err, tt.want)
			}
		})
	}
}

func TestChain(t *testing.T) {
	file := MapLookup(map[string]string{"A": "file", "EMPTY": ""})
	env := MapLookup(map[string]string{"A": "env", "B": "env"})
	l := Chain(file, nil, env)
	for _, tt := range []struct {
		name, want string
		ok         bool
	}{
		{"A", "file", true}, {"EMPTY", "", true}, {"B", "env", true}, {"C", "", false},
	} {
		if v, ok := l(tt.name); v != tt.want || ok != tt.ok {
			t.Errorf("lookup %s = %q, %v; want %q, %v", tt.name, v, ok, tt.want, tt.ok)
		}
	}
}
