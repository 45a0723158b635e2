package transform

import (
	"errors"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
)

// conn returns a connector with a minimal connector.json.
func conn(scriptName, name string) bundle.Connector {
	return bundle.Connector{
		ScriptName: scriptName,
		Name:       name,
		Detail:     []byte(`{"name":"` + name + `","scriptName":"` + scriptName + `"}`),
	}
}

func mustRules(t *testing.T, text string) *Rules {
	t.Helper()
	r, err := ParseRules("rules.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestApplyUnresolvedPlaceholders(t *testing.T) {
	a := conn("hrfeed-a1", "HR Feed")
	a.SourceConfig = []byte("<Form>\n  <Field value=\"${TARGET_URL}\"/>\n  <Field value=\"${KNOWN}\"/>\n  <Field value=\"${REGION} ${TARGET_URL}\"/>\n</Form>\n")
	a.Translations = map[string][]byte{"en": []byte("a=1\nurl=${HELP_URL}\n")}
	b := conn("odd/name", "Odd") // a scriptName that is not a safe path segment
	b.CorrelationConfig = []byte("<CorrelationConfig>${TARGET_URL}</CorrelationConfig>")

	_, err := mustRules(t, "version: 2\nplaceholders: true\n").Apply([]bundle.Connector{a, b}, MapLookup(map[string]string{"KNOWN": "k"}))
	want := `5 unresolved placeholders (give them values in the values file (--values), or in environment variables the rules file names under placeholders: {env: [...]}):
  connector "HR Feed": connectors/hrfeed-a1/source-config.xml line 2: ${TARGET_URL}
  connector "HR Feed": connectors/hrfeed-a1/source-config.xml line 4: ${REGION}
  connector "HR Feed": connectors/hrfeed-a1/source-config.xml line 4: ${TARGET_URL}
  connector "HR Feed": connectors/hrfeed-a1/translations/en.properties line 2: ${HELP_URL}
  connector "Odd": connectors/odd~2Fname/correlation-config.xml line 1: ${TARGET_URL}`
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n%v\nwant:\n%s", err, want)
	}
	var ue *UnresolvedError
	if !errors.As(err, &ue) || len(ue.Placeholders) != 5 {
		t.Fatalf("error is not an *UnresolvedError of 5: %#v", err)
	}
	if got := ue.Placeholders[3]; got != (Unresolved{Connector: "HR Feed", File: "connectors/hrfeed-a1/translations/en.properties", Line: 2, Name: "HELP_URL"}) {
		t.Errorf("Placeholders[3] = %+v", got)
	}

	_, err = mustRules(t, "version: 2\nplaceholders: true\n").Apply([]bundle.Connector{b}, nil)
	want = `connector "Odd": connectors/odd~2Fname/correlation-config.xml line 1: unresolved placeholder ${TARGET_URL} (give it a value in the values file (--values), or in an environment variable the rules file names under placeholders: {env: [...]})`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

func TestApplyErrors(t *testing.T) {
	badMeta := conn("bad-1", "Bad")
	badMeta.Detail = []byte(`{"name":"Bad","connectorMetadata":"not an object"}`)
	badDetail := conn("bad-2", "Worse")
	badDetail.Detail = []byte(`[1]`)
	tests := []struct {
		name  string
		rules string
		in    []bundle.Connector
		want  string
	}{
		{"rename onto a kept name", "version: 2\nrename: {A: B}\n",
			[]bundle.Connector{conn("a", "A"), conn("b", "B")},
			`rename: connectors "A" and "B" would both be named "B" (names are unique in a tenant, ignoring case and Unicode normalization)`},
		{"rename onto a kept name that differs only in case", "version: 2\nrename: {A: b}\n",
			[]bundle.Connector{conn("a", "A"), conn("b", "B")},
			`rename: connectors "A" and "B" would both be named "B" (names are unique in a tenant, ignoring case and Unicode normalization)`},
		// "Café" (NFC) and "Cafe\u0301" (NFD) are one name to anyone
		// reading it, to every glob, and to the importer's matching.
		{"rename onto a kept name in another normalization form", "version: 2\nrename: {A: \"Caf\\u00e9\"}\n",
			[]bundle.Connector{conn("a", "A"), conn("b", "Cafe\u0301")},
			"rename: connectors \"A\" and \"Cafe\u0301\" would both be named \"Cafe\u0301\" (names are unique in a tenant, ignoring case and Unicode normalization)"},
		{"a kept name renamed onto in another normalization form", "version: 2\nrename: {B: \"Cafe\\u0301\"}\n",
			[]bundle.Connector{conn("a", "Café"), conn("b", "B")},
			"rename: connectors \"Café\" and \"B\" would both be named \"Cafe\u0301\" (names are unique in a tenant, ignoring case and Unicode normalization)"},
		{"connectorMetadata not an object", "version: 2\nmetadata: [{match: '*', set: {a: b}}]\n",
			[]bundle.Connector{badMeta},
			`connector "Bad": connector.json: connectorMetadata: want a JSON object: json: cannot unmarshal string into Go value of type map[string]json.RawMessage`},
		{"every problem is reported", "version: 2\nplaceholders: true\nrename: {Worse: Better}\n",
			[]bundle.Connector{badDetail, withXML(conn("c", "C"), "${X}")},
			"connector \"Worse\": connector.json: want a JSON object: json: cannot unmarshal array into Go value of type map[string]json.RawMessage\n" +
				"connector \"C\": connectors/c/source-config.xml line 1: unresolved placeholder ${X} (give it a value in the values file (--values), or in an environment variable the rules file names under placeholders: {env: [...]})"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := mustRules(t, tt.rules).Apply(tt.in, nil)
			if err == nil {
				t.Fatalf("Apply succeeded with %d connectors, want error %q", len(out), tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tt.want)
			}
		})
	}
}

func withXML(c bundle.Connector, xml string) bundle.Connector {
	c.SourceConfig = []byte(xml)
	return c
}

// No rules (a plain import or restore) and rules that do not enable
// placeholders write the bundle's bytes unchanged, whatever values exist.
func TestApplyNilRules(t *testing.T) {
	c := withXML(conn("a", "A"), `<Form v="${X}" w="${plan.x}" h="${HOME}" s="${SAIL_CLIENT_SECRET}"/>`)
	var r *Rules
	out, err := r.Apply([]bundle.Connector{c}, MapLookup(map[string]string{"X": "1", "HOME": "/root", "SAIL_CLIENT_SECRET": "s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || string(out[0].SourceConfig) != string(c.SourceConfig) {
		t.Errorf("got %q", out[0].SourceConfig)
	}
	if string(out[0].Detail) != string(c.Detail) {
		t.Errorf("Detail changed: %s", out[0].Detail)
	}
}

func TestApplySharesNoMemory(t *testing.T) {
	c := withXML(conn("a", "A"), "<Form/>")
	c.Translations = map[string][]byte{"en": []byte("a=b\n")}
	out, err := mustRules(t, "version: 2\n").Apply([]bundle.Connector{c}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out[0].SourceConfig[1] = 'X'
	out[0].Detail[0] = ' '
	out[0].Translations["en"][0] = 'Z'
	out[0].Translations["de"] = nil
	if string(c.SourceConfig) != "<Form/>" || c.Detail[0] != '{' || string(c.Translations["en"]) != "a=b\n" || len(c.Translations) != 1 {
		t.Error("writing to Apply's result changed its input")
	}
}

func TestApplyOrderAndAbsentParts(t *testing.T) {
	cs := []bundle.Connector{conn("c", "C"), conn("a", "A"), conn("b", "B")}
	out, err := mustRules(t, "version: 2\nexclude: [A]\n").Apply(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range out {
		names = append(names, c.Name)
		if c.SourceConfig != nil || c.Translations != nil {
			t.Errorf("%s: an absent part became present", c.Name)
		}
	}
	if got := strings.Join(names, ","); got != "C,B" {
		t.Errorf("names = %s, want C,B", got)
	}
}

// Placeholder values come only from the values file and the environment
// variables the rules file names; never from SAIL_*; values without
// placeholders enabled are an error.
func TestRulesLookup(t *testing.T) {
	env := map[string]string{"TARGET_URL": "https://prod", "HOME": "/root", "SAIL_CLIENT_SECRET": "s3cret"}
	getenv := func(k string) string { return env[k] }
	values := map[string]string{"REGION": "eu"}
	tests := []struct {
		rules   string
		values  map[string]string
		want    map[string]string // name → value; "" for none
		wantErr string
	}{
		{"version: 2\n", nil, map[string]string{"TARGET_URL": "", "HOME": "", "REGION": ""}, ""},
		{"version: 2\n", values, nil, "no rules file enables placeholders"},
		{"version: 2\nplaceholders: false\n", values, nil, "no rules file enables placeholders"},
		{"version: 2\nplaceholders: true\n", values, map[string]string{"REGION": "eu", "TARGET_URL": "", "HOME": "", "SAIL_CLIENT_SECRET": ""}, ""},
		{"version: 2\nplaceholders: {env: [TARGET_URL]}\n", values, map[string]string{"REGION": "eu", "TARGET_URL": "https://prod", "HOME": "", "SAIL_CLIENT_SECRET": ""}, ""},
	}
	for _, tt := range tests {
		r := mustRules(t, tt.rules)
		lookup, err := r.Lookup(tt.values, getenv)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want %q", tt.rules, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tt.rules, err)
		}
		for name, want := range tt.want {
			got := ""
			if lookup != nil {
				got, _ = lookup(name)
			}
			if got != want {
				t.Errorf("%q: ${%s} = %q, want %q", tt.rules, name, got, want)
			}
		}
	}
}
