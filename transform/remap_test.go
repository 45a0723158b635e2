package transform

import (
	"bytes"
	"maps"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
)

func TestRemapXML(t *testing.T) {
	m := map[string]string{"src-1": "tgt-9", "a&b": `x"y'z<`, "same": "same"}
	tests := []struct {
		name, in, want string
	}{
		{"attribute", `<Form connectorScriptName="src-1"/>`, `<Form connectorScriptName="tgt-9"/>`},
		{"any case, any prefix", `<a ScriptName="src-1" ns:CONNECTORSCRIPTNAME='src-1'>`, `<a ScriptName="tgt-9" ns:CONNECTORSCRIPTNAME='tgt-9'>`},
		{"spacing kept", "<a\n\tscriptName =\n 'src-1'\n/>", "<a\n\tscriptName =\n 'tgt-9'\n/>"},
		{"other attributes alone", `<a name="src-1" script="src-1" scriptNamed="src-1"/>`, `<a name="src-1" script="src-1" scriptNamed="src-1"/>`},
		{"plural attribute, a list", `<a connectorScriptNames="src-1, other,src-1"/>`, `<a connectorScriptNames="tgt-9, other,tgt-9"/>`},
		{"whole value only", `<a scriptName="src-1 " b:scriptName="xsrc-1"/>`, `<a scriptName="src-1 " b:scriptName="xsrc-1"/>`},
		{"unknown value alone", `<a scriptName="other"/>`, `<a scriptName="other"/>`},
		{"identity mapping", `<a scriptName="same"/>`, `<a scriptName="same"/>`},
		{"entities decoded and encoded", `<a scriptName="a&amp;b" c:scriptName='a&#38;b'/>`, `<a scriptName="x&quot;y'z&lt;" c:scriptName='x"y&apos;z&lt;'/>`},
		{"entry key/value", `<entry key="connectorScriptName" value="src-1"/><entry value="src-1" key="ScriptName"/>`, `<entry key="connectorScriptName" value="tgt-9"/><entry value="tgt-9" key="ScriptName"/>`},
		{"entry with another key", `<entry key="name" value="src-1"/>`, `<entry key="name" value="src-1"/>`},
		{"form field keyed by name", `<Field name="connectorScriptName" value="src-1"/><Field name="label" value="src-1"/>`, `<Field name="connectorScriptName" value="tgt-9"/><Field name="label" value="src-1"/>`},
		{"IdentityIQ nested value", "<entry key=\"connectorScriptName\">\n  <value>\n    <String>src-1</String>\n  </value>\n</entry><entry key=\"other\"><value><String>src-1</String></value></entry>",
			"<entry key=\"connectorScriptName\">\n  <value>\n    <String>tgt-9</String>\n  </value>\n</entry><entry key=\"other\"><value><String>src-1</String></value></entry>"},
		{"IdentityIQ list", `<entry key="proxyScriptNames"><value><List><String>src-1</String><String> other </String><String> src-1 </String></List></value></entry>`,
			`<entry key="proxyScriptNames"><value><List><String>tgt-9</String><String> other </String><String> tgt-9 </String></List></value></entry>`},
		{"nested maps", `<Attributes><Map><entry key="cfg"><value><Map><entry key="targetScriptName"><value><String>src-1</String></value></entry></Map></value></entry></Map></Attributes>`,
			`<Attributes><Map><entry key="cfg"><value><Map><entry key="targetScriptName"><value><String>tgt-9</String></value></entry></Map></value></entry></Map></Attributes>`},
		{"element named like a scriptName", `<connectorScriptName>src-1</connectorScriptName><name>src-1</name>`, `<connectorScriptName>tgt-9</connectorScriptName><name>src-1</name>`},
		{"tied cdata", `<entry key="scriptName"><value><String><![CDATA[src-1]]></String></value></entry>`, `<entry key="scriptName"><value><String><![CDATA[tgt-9]]></String></value></entry>`},
		{"tied text with entities", `<scriptName>a&amp;b</scriptName>`, `<scriptName>x"y'z&lt;</scriptName>`},
		{"context ends with its element", `<entry key="scriptName"><value><String>other</String></value></entry><String>src-1</String>`, `<entry key="scriptName"><value><String>other</String></value></entry><String>src-1</String>`},
		{"gt inside a value", `<a label="x > y" scriptName="src-1">`, `<a label="x > y" scriptName="tgt-9">`},
		{"comment skipped", `<!-- <a scriptName="src-1"/> --><b scriptName="src-1"/>`, `<!-- <a scriptName="src-1"/> --><b scriptName="tgt-9"/>`},
		{"cdata skipped", `<t><![CDATA[<a scriptName="src-1"/>]]></t>`, `<t><![CDATA[<a scriptName="src-1"/>]]></t>`},
		{"pi and doctype skipped", `<?xml version="1.0"?><!DOCTYPE a [<!ATTLIST a scriptName CDATA "src-1">]><a scriptName="src-1"/>`, `<?xml version="1.0"?><!DOCTYPE a [<!ATTLIST a scriptName CDATA "src-1">]><a scriptName="tgt-9"/>`},
		{"end tags and text", `<a>scriptName="src-1"</a><b scriptName="src-1"/>`, `<a>scriptName="src-1"</a><b scriptName="tgt-9"/>`},
		{"stray lt", `a < b <c scriptName="src-1"/>`, `a < b <c scriptName="tgt-9"/>`},
		{"malformed stops quietly", `<a scriptName="src-1"/><b novalue scriptName="src-1"/><c scriptName="src-1"/>`, `<a scriptName="tgt-9"/><b novalue scriptName="src-1"/><c scriptName="src-1"/>`},
		{"unterminated value", `<a scriptName="src-1`, `<a scriptName="src-1`},
		{"bad entity compared raw", `<a scriptName="&bogus;src-1"/>`, `<a scriptName="&bogus;src-1"/>`},
		{"crlf", "<a\r\n scriptName=\"src-1\"/>\r\n", "<a\r\n scriptName=\"tgt-9\"/>\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			got := RemapScriptNames(bundle.Connector{SourceConfig: in, SourceTemplate: in, CorrelationConfig: in}, m)
			for part, b := range map[string][]byte{"source-config": got.SourceConfig, "source-template": got.SourceTemplate, "correlation-config": got.CorrelationConfig} {
				if string(b) != tt.want {
					t.Errorf("%s:\n got %s\nwant %s", part, b, tt.want)
				}
			}
			if string(in) != tt.in {
				t.Error("the input was modified")
			}
		})
	}
}

func TestRemapDetail(t *testing.T) {
	m := map[string]string{"src-1": "tgt-9"}
	tests := []struct {
		name, in, want string
	}{
		{"keyed values at any depth", `{"name":"src-1","connectorMetadata":{"connectorScriptName":"src-1","b":["x","src-1",{"proxyScriptNames":["src-1","x"]}],"src-1":"k","n":1.50,"h":"<&>","deep":{"a":{"ScriptName":"src-1"}},"pair":{"key":"targetScriptName","value":"src-1"}},"z":{"scriptName":"src-1"}}`,
			`{"connectorMetadata":{"b":["x","src-1",{"proxyScriptNames":["tgt-9","x"]}],"connectorScriptName":"tgt-9","deep":{"a":{"ScriptName":"tgt-9"}},"h":"<&>","n":1.50,"pair":{"key":"targetScriptName","value":"tgt-9"},"src-1":"k"},"name":"src-1","z":{"scriptName":"src-1"}}`},
		{"a value that merely equals a scriptName", `{"connectorMetadata":{"platform":"src-1"}}`, `{"connectorMetadata":{"platform":"src-1"}}`},
		{"nothing to change keeps bytes", `{ "connectorMetadata" : { "a" : "other" }, "name": "src-1" }`,
			`{ "connectorMetadata" : { "a" : "other" }, "name": "src-1" }`},
		{"no metadata", `{"name":"src-1"}`, `{"name":"src-1"}`},
		{"metadata a string", `{"connectorMetadata":"src-1"}`, `{"connectorMetadata":"src-1"}`},
		{"not an object", `[1]`, `[1]`},
		{"not JSON", `{`, `{`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RemapScriptNames(bundle.Connector{Detail: []byte(tt.in)}, m)
			if string(got.Detail) != tt.want {
				t.Errorf("Detail:\n got %s\nwant %s", got.Detail, tt.want)
			}
		})
	}
}

func TestRemapScriptNamesKeepsTheRest(t *testing.T) {
	c := bundle.Connector{
		ScriptName: "src-1", Name: "N", Type: "T", ClassName: "C", Status: "RELEASED",
		Translations: map[string][]byte{"en": []byte("scriptName=src-1\n")},
	}
	got := RemapScriptNames(c, map[string]string{"src-1": "tgt-9"})
	if got.ScriptName != "src-1" || got.Name != "N" || got.Type != "T" || got.ClassName != "C" || got.Status != "RELEASED" {
		t.Errorf("fields changed: %+v", got)
	}
	if !maps.EqualFunc(got.Translations, c.Translations, bytes.Equal) {
		t.Errorf("translations changed: %q", got.Translations)
	}
	if got.SourceConfig != nil || got.Detail != nil {
		t.Error("absent parts became present")
	}
	got.Translations["en"][0] = 'X'
	if c.Translations["en"][0] != 's' {
		t.Error("the result shares memory with the input")
	}
}

// FuzzRemapScriptNamesIdentity checks that remapping with an empty map, or
// with a map whose names the input cannot hold, changes no byte (and that
// no input makes it panic).
func FuzzRemapScriptNamesIdentity(f *testing.F) {
	for _, seed := range []string{
		`<Form connectorScriptName="src-1"><entry key="scriptName" value="a&amp;b"/></Form>`,
		`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><!-- c --><a b='c'><![CDATA[<d e="f">]]></a>`,
		`<a scriptName="x`, `<<<>>>`, `<a b c="`, "", `{"connectorMetadata":{"a":["src-1",{"b":1e400}]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := bundle.Connector{Detail: data, SourceConfig: data, SourceTemplate: data, CorrelationConfig: data}
		mappings := []map[string]string{nil, {}}
		if !bytes.Contains(data, []byte("never")) {
			mappings = append(mappings, map[string]string{"\x00never\x00": "x"})
		}
		for _, m := range mappings {
			got := RemapScriptNames(c, m)
			for _, b := range [][]byte{got.Detail, got.SourceConfig, got.SourceTemplate, got.CorrelationConfig} {
				if !bytes.Equal(b, data) {
					t.Fatalf("RemapScriptNames with %v changed %q into %q", m, data, b)
				}
			}
		}
	})
}

// What remapping leaves is found, with file and line: a reference under a key
// that does not name a scriptName, or in a translation.
func TestFindScriptNames(t *testing.T) {
	c := bundle.Connector{ScriptName: "hr-1", Name: "HR",
		Detail:       []byte(`{"scriptName":"hr-1","connectorMetadata":{"platform":"src-1","connectorScriptName":"tgt-9"}}`),
		SourceConfig: []byte("<Form>\n<entry key=\"x\" value=\"src-1\"/>\n<a scriptName=\"tgt-9\"/> src-10 xsrc-1 src-1.x\n</Form>"),
		Translations: map[string][]byte{"en": []byte("a=b\nhelp=see src-1\n")},
	}
	got := FindScriptNames(RemapScriptNames(c, map[string]string{"src-1": "tgt-9"}), []string{"src-1"})
	var s []string
	for _, o := range got {
		s = append(s, o.String())
	}
	want := []string{
		`connectors/hr-1/connector.json connectorMetadata line 2: "src-1"`,
		`connectors/hr-1/source-config.xml line 2: "src-1"`,
		`connectors/hr-1/translations/en.properties line 2: "src-1"`,
	}
	if strings.Join(s, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(s, "\n"), strings.Join(want, "\n"))
	}
}
