package tenantsim

import (
	"strings"
	"testing"
)

func TestCheckXML(t *testing.T) {
	tests := []struct {
		name, doc string
		want      string // "" = well-formed; else a fragment of the error
	}{
		{"doctype and comments", "<?xml version='1.0' encoding='UTF-8'?>\n<!-- c -->\n<!DOCTYPE Application PUBLIC \"sailpoint.dtd\" \"sailpoint.dtd\">\n<Application/>\n<!-- after -->\n", ""},
		{"latin-1 declared", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xfc</a>", ""},
		{"namespaces", `<Form xmlns="` + formNamespace + `"><x:y xmlns:x="urn:x"/></Form>`, ""},
		{"mismatched tag", "<a>\n<b>\n</a>", "line 3"},
		{"unknown entity", "<a>&nbsp;</a>", "entity"},
		{"unsupported encoding", `<?xml version="1.0" encoding="UTF-16"?><a/>`, `encoding "UTF-16" is not supported`},
		{"two roots", "<a/><b/>", "second root element <b>"},
		{"text after root", "<a/>tail", "text outside the root element"},
		{"no root", "<?xml version='1.0'?><!-- only -->", "no root element"},
		{"whitespace only", " \n ", "empty"},
		{"unclosed", "<a><b></b>", "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkXML([]byte(tt.doc))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one with %q", err, tt.want)
			}
		})
	}
}

func TestFormSchemaProblem(t *testing.T) {
	for doc, bad := range map[string]bool{
		`<Form xmlns="` + formNamespace + `" type="SourceConfig"/>`:                                          false,
		`<Form type="SourceConfig"/>`:                                                                        false,
		`<?xml version="1.0"?><!-- x --><Form xmlns="http://www.sailpoint.com/xsd/sailpoint_form_1_0.xsd"/>`: true,
		`<Other xmlns="urn:other"/>`:                                                                         false,
	} {
		if got := formSchemaProblem([]byte(doc)) != ""; got != bad {
			t.Errorf("formSchemaProblem(%s) = %v, want %v", doc, got, bad)
		}
	}
}

// XML allows a byte-order mark before the declaration; the tenant accepts
// such a document and keeps its bytes.
func TestXMLWithByteOrderMark(t *testing.T) {
	for _, doc := range []string{
		"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?><CorrelationConfig name=\"x\"/>",
		"\xef\xbb\xbf<CorrelationConfig name=\"x\"/>",
	} {
		if err := checkXML([]byte(doc)); err != nil {
			t.Errorf("%q: %v", doc, err)
		}
	}
	if err := checkXML([]byte("\xef\xbb\xbf")); err == nil {
		t.Error("a byte-order mark alone is accepted")
	}
}
