package transform

import (
	"fmt"
	"testing"
)

func TestExpand(t *testing.T) {
	values := MapLookup(map[string]string{
		"URL":  "https://x/?a=1&b=2",
		"Q":    `say "hi" <now>`,
		"END":  "a]]>b",
		"PATH": `C:\dir` + "\n" + "\tnext",
		"NEST": "${URL}",
		"A_1":  "v",
	})
	tests := []struct {
		name   string
		format textFormat
		in     string
		want   string
		miss   string // "NAME@line ..." of the unresolved placeholders
	}{
		{"xml attribute", formatXML, `<a href="${URL}"/>`, `<a href="https://x/?a=1&amp;b=2"/>`, ""},
		{"xml text", formatXML, `<a>${Q}</a>`, `<a>say &quot;hi&quot; &lt;now&gt;</a>`, ""},
		{"cdata raw", formatXML, `<a><![CDATA[${Q}]]></a>`, `<a><![CDATA[say "hi" <now>]]></a>`, ""},
		{"cdata end split", formatXML, `<![CDATA[${END}]]>`, `<![CDATA[a]]]]><![CDATA[>b]]>`, ""},
		{"after cdata escaped", formatXML, `<![CDATA[x]]>${Q}`, `<![CDATA[x]]>say &quot;hi&quot; &lt;now&gt;`, ""},
		{"comment is not cdata", formatXML, `<!-- <![CDATA[ -->${Q}`, `<!-- <![CDATA[ -->say &quot;hi&quot; &lt;now&gt;`, ""},
		{"properties", formatProperties, "p=${PATH}", `p=C:\\dir\n\tnext`, ""},
		{"properties keep markup", formatProperties, "q=${Q}", `q=say "hi" <now>`, ""},
		{"value not expanded again", formatXML, "${NEST}", "${URL}", ""},
		{"digits and underscore", formatXML, "${A_1}", "v", ""},
		{"escape", formatXML, "$${URL}", "${URL}", ""},
		{"escape of an unknown name", formatXML, "$${NOPE}", "${NOPE}", ""},
		{"velocity untouched", formatXML, "${plan.x} $plan.y $!{z} ${Url} ${_A} ${1A} ${A.B} $${a.b} $$ $ ${} ${URL", "${plan.x} $plan.y $!{z} ${Url} ${_A} ${1A} ${A.B} $${a.b} $$ $ ${} ${URL", ""},
		{"unresolved kept, with lines", formatXML, "${NOPE}\n\n x ${URL} ${NOPE2}\r\n${NOPE}", "${NOPE}\n\n x https://x/?a=1&amp;b=2 ${NOPE2}\r\n${NOPE}", "NOPE@1 NOPE2@3 NOPE@4"},
		{"empty", formatXML, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, miss := expand([]byte(tt.in), tt.format, values)
			if string(got) != tt.want {
				t.Errorf("expand(%q) = %q, want %q", tt.in, got, tt.want)
			}
			var m string
			for i, x := range miss {
				if i > 0 {
					m += " "
				}
				m += fmt.Sprintf("%s@%d", x.name, x.line)
			}
			if m != tt.miss {
				t.Errorf("unresolved = %q, want %q", m, tt.miss)
			}
		})
	}
}

func TestExpandUnchangedIsSame(t *testing.T) {
	in := []byte("<a>${plan.x}</a>")
	got, _ := expand(in, formatXML, nil)
	if &got[0] != &in[0] {
		t.Error("expand copied text it did not change")
	}
}
