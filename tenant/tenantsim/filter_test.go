package tenantsim

import (
	"strings"
	"testing"
)

func TestFilterMatches(t *testing.T) {
	ad := DumpConnector{Name: "Zürich HR Feed", Type: "custom Zürich HR Feed", DirectConnect: true,
		Features: []string{"PROVISIONING", "SEARCH"}, ConnectorMetadata: map[string]any{"labels": []any{"HR", "CUSTOM"}}}
	builtin := DumpConnector{Name: "Workday", Type: "Workday", BuiltIn: true, DirectConnect: false,
		ConnectorMetadata: map[string]any{"category": "hr", "labels": []any{"HR", "CLOUD"}}}
	tests := []struct {
		filter      string
		ad, builtin bool
	}{
		{`name sw "zü"`, true, false},
		{`name sw "ZÜRICH"`, true, false}, // case-insensitive
		{`name co "hr"`, true, false},
		{`name co "work"`, false, true},
		{`type eq "workday"`, false, true},
		{`type sw "custom"`, true, false},
		{`type co "feed"`, true, false},
		{`directConnect eq true`, true, false},
		{`directConnect eq "false"`, false, true},
		{`category eq "custom"`, true, false},
		{`category eq "HR"`, false, true},
		{`features ca ("provisioning","SEARCH")`, true, false},
		{`features ca ("PROVISIONING","ENABLE")`, false, false},
		{`features ca "SEARCH"`, true, false},
		{`labels ca ("hr")`, true, true},
		{`labels ca ("HR","CLOUD")`, false, true},
		{`not type sw "custom"`, false, true},
		{`name sw "z" or name sw "w"`, true, true},
		{`name sw "z" and name sw "w"`, false, false},
		// not > and > or: "a or b and c" is "a or (b and c)".
		{`name sw "z" or name sw "w" and directConnect eq true`, true, false},
		{`(name sw "z" or name sw "w") and directConnect eq false`, false, true},
		{`not not name sw "z"`, true, false},
		{`not name sw "z" and not name sw "x"`, false, true},
		{`name co "\"" or name co "\\"`, false, false},
		{"  name   sw\t\"zü\"  ", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			e, err := parseFilter(tt.filter)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if got := e.match(&ad); got != tt.ad {
				t.Errorf("match(custom) = %v, want %v", got, tt.ad)
			}
			if got := e.match(&builtin); got != tt.builtin {
				t.Errorf("match(built-in) = %v, want %v", got, tt.builtin)
			}
		})
	}
}

func TestFilterEscapes(t *testing.T) {
	c := DumpConnector{Name: `Quote " and back\slash`}
	for _, f := range []string{`name co "\""`, `name co "\\"`, `name co "e \" and back\\s"`} {
		e, err := parseFilter(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !e.match(&c) {
			t.Errorf("%s does not match %q", f, c.Name)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	tests := []struct {
		filter string
		want   []string // fragments of the error
	}{
		{`foo eq "x"`, []string{`field "foo" at position 1`, "filterable fields are name, type, directConnect, category, features, labels"}},
		{`Name sw "x"`, []string{`unknown field "Name"`, `did you mean "name"`}},
		{`name eq "x"`, []string{`operator "eq" at position 6 is not supported for field "name"`, "sw, co"}},
		{`type ca ("x")`, []string{`operator "ca"`, `field "type"`, "sw, co, eq"}},
		{`directConnect ne true`, []string{`operator "ne"`, `"directConnect"`, "supports eq"}},
		{`features eq "X"`, []string{`operator "eq"`, `"features"`, "supports ca"}},
		{`name in ("a","b")`, []string{`operator "in"`, `"name"`}},
		{`pr name`, []string{`operator "pr"`, `"name"`}},
		{`name SW "x"`, []string{`"SW" at position 6 must be lower case`, `"sw"`}},
		{`name sw "a" AND name sw "b"`, []string{`"AND" at position 13 must be lower case`}},
		{`NOT name sw "a"`, []string{`"NOT" at position 1 must be lower case`}},
		{`name like "x"`, []string{`unknown operator "like" at position 6`}},
		{`name sw "x`, []string{"unterminated string starting at position 9"}},
		{`name sw "a\nb"`, []string{"bad escape at position 11"}},
		{`name sw x`, []string{"takes one double-quoted string", `"x" at position 9`}},
		{`name sw ("a","b")`, []string{"takes one double-quoted string"}},
		{`directConnect eq "yes"`, []string{"takes true or false"}},
		{`features ca (1)`, []string{"holds double-quoted strings"}},
		{`features ca ("a" "b")`, []string{`expected "," or ")"`}},
		{`features ca true`, []string{`takes a list of strings`}},
		{`(name sw "a"`, []string{`expected ")" to close the "(" at position 1`, "the end of the filter"}},
		{`name sw "a")`, []string{`unexpected ")" at position 12`}},
		{`name sw "a" name sw "b"`, []string{`unexpected "name" at position 13`, "expected and, or"}},
		{`name sw "a" and`, []string{"expected a field name", "the end of the filter"}},
		{`name`, []string{`expected an operator after field "name"`}},
		{`name sw "a" ; drop`, []string{`unexpected character ';' at position 13`}},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			_, err := parseFilter(tt.filter)
			if err == nil {
				t.Fatal("parsed; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
