package tenantsim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// formNamespace is the source-config schema ISC accepts.
const formNamespace = "http://www.sailpoint.com/xsd/sailpoint_form_2_0.xsd"

// checkXML reports whether doc is one well-formed XML document: every token
// parses, tags match, and there is exactly one root element. The error names
// the line.
func checkXML(doc []byte) error {
	if len(bytes.TrimSpace(doc)) == 0 {
		return errors.New("the document is empty")
	}
	d := xmlDecoder(doc)
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return fmt.Errorf("line %d: %s", se.Line, se.Msg)
			}
			line, _ := d.InputPos()
			return fmt.Errorf("line %d: %v", line, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if roots++; roots > 1 {
					line, _ := d.InputPos()
					return fmt.Errorf("line %d: second root element <%s>; a document has exactly one", line, t.Name.Local)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				line, _ := d.InputPos()
				return fmt.Errorf("line %d: text outside the root element", line)
			}
		}
	}
	if roots == 0 {
		return errors.New("no root element")
	}
	return nil
}

// utf8BOM is the byte-order mark a UTF-8 document may begin with.
var utf8BOM = []byte("\xef\xbb\xbf")

// xmlDecoder decodes doc, which may begin with a byte-order mark (XML 1.0,
// section 4.3.3, allows one; encoding/xml does not skip it).
func xmlDecoder(doc []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(doc, utf8BOM)))
	d.CharsetReader = charsetReader
	return d
}

// charsetReader lets documents declare UTF-8 aliases, US-ASCII or ISO-8859-1.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
		b, err := io.ReadAll(in)
		if err != nil {
			return nil, err
		}
		var out strings.Builder
		for _, c := range b {
			out.WriteRune(rune(c))
		}
		return strings.NewReader(out.String()), nil
	}
	return nil, fmt.Errorf("encoding %q is not supported; use UTF-8", label)
}

// formSchemaProblem returns ISC's complaint about a source config whose
// <Form> declares a namespace other than the 2.0 form schema, or "".
func formSchemaProblem(doc []byte) string {
	d := xmlDecoder(doc)
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local == "Form" && se.Name.Space != "" && se.Name.Space != formNamespace {
				return "unsupported xsd version, please ensure latest xsd version " + formNamespace + " is used for source config"
			}
			return ""
		}
	}
}
