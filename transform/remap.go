package transform

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/connvault/connvault/bundle"
)

// RemapScriptNames returns a copy of c whose references to connectors'
// scriptNames are rewritten by m (source scriptName → target scriptName).
// What is a reference is decided by the key it is tied to, never by the
// value alone (a metadata value "ccg" is not a reference because some
// connector's scriptName is "ccg"): a key names a scriptName when its local
// name ends with "scriptName" or "scriptNames", in any case. A value tied to
// such a key is rewritten when it, entities decoded, equals a key of m (or,
// for a comma-separated attribute value, each item that does):
//
//   - in Detail's "connectorMetadata", at any depth: every string under a
//     key naming a scriptName (directly, in arrays, or deeper), and the
//     "value" of an object whose "key" or "name" names one;
//   - in the three XML files: every attribute named like a scriptName
//     (scriptName=, connectorScriptName=, x:ConnectorScriptNames=); the
//     value= of any element whose key= or name= names one (<entry key=…
//     value=…/>, a form's <Field name=… value=…/>); and the text (or CDATA)
//     anywhere inside an element named like a scriptName or whose key= or
//     name= names one — IdentityIQ's <entry key="…ScriptName"><value>
//     <String>…</String></value></entry>, and its <List> nestings.
//
// The XML is rewritten as text: every other byte stays as it was, comments,
// processing instructions and DOCTYPEs are skipped, and scanning stops
// quietly at the first malformed markup. Detail is re-encoded (keys sorted)
// only when a value changed. c.ScriptName is not changed, nor are the
// translations. FindScriptNames finds what is left.
func RemapScriptNames(c bundle.Connector, m map[string]string) bundle.Connector {
	out := cloneConnector(c)
	out.SourceConfig = remapXML(out.SourceConfig, m)
	out.SourceTemplate = remapXML(out.SourceTemplate, m)
	out.CorrelationConfig = remapXML(out.CorrelationConfig, m)
	out.Detail = remapDetail(out.Detail, m)
	return out
}

// remapDetail rewrites scriptName values in connectorMetadata. Detail that
// is not a JSON object, or has nothing to rewrite, is returned as it is.
func remapDetail(raw json.RawMessage, m map[string]string) json.RawMessage {
	if len(m) == 0 || len(raw) == 0 {
		return raw
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj["connectorMetadata"] == nil {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(obj["connectorMetadata"]))
	dec.UseNumber() // numbers keep their digits
	var meta any
	if err := dec.Decode(&meta); err != nil {
		return raw
	}
	meta, changed := remapValue(meta, m, false)
	if !changed {
		return raw
	}
	b, err := marshalJSON(meta)
	if err != nil {
		return raw
	}
	obj["connectorMetadata"] = b
	if b, err = marshalJSON(obj); err != nil {
		return raw
	}
	return b
}

// remapValue rewrites the strings of a decoded JSON value that are keys of
// m and tied to a key naming a scriptName (tied: v sits under such a key).
func remapValue(v any, m map[string]string, tied bool) (any, bool) {
	switch v := v.(type) {
	case string:
		if to, ok := m[v]; ok && tied && to != v {
			return to, true
		}
	case map[string]any:
		pair := false // {"key": "connectorScriptName", "value": …}
		for _, k := range []string{"key", "name"} {
			if s, ok := v[k].(string); ok && namesScriptName(s) {
				pair = true
			}
		}
		changed := false
		for k, item := range v {
			if nv, ok := remapValue(item, m, tied || namesScriptName(k) || pair && k == "value"); ok {
				v[k], changed = nv, true
			}
		}
		return v, changed
	case []any:
		changed := false
		for i, item := range v {
			if nv, ok := remapValue(item, m, tied); ok {
				v[i], changed = nv, true
			}
		}
		return v, changed
	}
	return v, false
}

// remapXML rewrites the scriptName references of an XML text; see
// RemapScriptNames. It returns src itself when nothing changed.
func remapXML(src []byte, m map[string]string) []byte {
	var (
		out     []byte
		changed bool
		last    int    // src[last:] is not yet copied to out
		tied    []bool // per open element: its content is tied to a scriptName key
	)
	inTied := func() bool { return len(tied) > 0 && tied[len(tied)-1] }
	replace := func(start, end int, value []byte) {
		out = append(out, src[last:start]...)
		out = append(out, value...)
		changed, last = true, end
	}
	// text rewrites the character data src[start:end] when it is tied.
	text := func(start, end int) {
		if !inTied() || start >= end {
			return
		}
		raw := src[start:end]
		trimmed := bytes.TrimSpace(raw)
		if len(trimmed) == 0 {
			return
		}
		v := xmlUnescape(string(trimmed))
		if to, ok := m[v]; ok && to != v {
			off := bytes.Index(raw, trimmed)
			replace(start+off, start+off+len(trimmed), []byte(textEscape.Replace(to)))
		}
	}
	for i := 0; i < len(src); {
		k := bytes.IndexByte(src[i:], '<')
		if k < 0 {
			break
		}
		k += i
		text(i, k)
		rest := src[k:]
		var end int // offset in rest after the markup, or -1
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end = after(rest, 4, "-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end = after(rest, 9, "]]>")
			if end > 0 && inTied() {
				v := string(rest[9 : end-3])
				if to, ok := m[strings.TrimSpace(v)]; ok && to != strings.TrimSpace(v) {
					replace(k+9, k+end-3, []byte(strings.ReplaceAll(to, "]]>", "]]]]><![CDATA[>")))
				}
			}
		case bytes.HasPrefix(rest, []byte("<?")):
			end = after(rest, 2, "?>")
		case bytes.HasPrefix(rest, []byte("<!")):
			end = declarationEnd(rest)
		case bytes.HasPrefix(rest, []byte("</")):
			end = after(rest, 2, ">")
			if len(tied) > 0 {
				tied = tied[:len(tied)-1]
			}
		default:
			var (
				elem  string
				attrs []attr
			)
			end, elem, attrs = startTag(rest)
			keyed := keyNamesScriptName(rest, attrs)
			for _, a := range remapped(rest, attrs, keyed, m) {
				replace(k+a.start, k+a.end, a.value)
			}
			if elem != "" && end > 0 && rest[end-2] != '/' {
				tied = append(tied, inTied() || keyed || namesScriptName(localName(elem)))
			}
		}
		if end < 0 {
			break
		}
		i = k + end
	}
	if !changed {
		return src
	}
	return append(out, src[last:]...)
}

// after returns the offset in b just past the first sep at or after from, or
// -1.
func after(b []byte, from int, sep string) int {
	j := bytes.Index(b[from:], []byte(sep))
	if j < 0 {
		return -1
	}
	return from + j + len(sep)
}

// declarationEnd returns the offset just past a <!DOCTYPE …> or other <!…>
// declaration at the start of b, skipping quoted strings and an internal
// subset in brackets; -1 when it does not end.
func declarationEnd(b []byte) int {
	depth := 0
	for i := 2; i < len(b); i++ {
		switch c := b[i]; c {
		case '"', '\'':
			j := bytes.IndexByte(b[i+1:], c)
			if j < 0 {
				return -1
			}
			i += 1 + j
		case '[':
			depth++
		case ']':
			depth--
		case '>':
			if depth <= 0 {
				return i + 1
			}
		}
	}
	return -1
}

// attr is one attribute of a start tag: offsets in the tag of its value
// (inside the quotes) and what it says.
type attr struct {
	name       string
	start, end int
	quote      byte
}

// startTag parses the start tag at the start of b (b[0] == '<') and returns
// the offset just past it, the element's name and its attributes; the offset
// is -1 when the tag is malformed or does not end.
func startTag(b []byte) (int, string, []attr) {
	n := nameLen(b[1:])
	if n == 0 {
		return 1, "", nil // a lone '<' is not a tag: move on
	}
	elem := string(b[1 : 1+n])
	var attrs []attr
	i := 1 + n
	for {
		i += spaceLen(b[i:])
		switch {
		case i >= len(b):
			return -1, "", nil
		case b[i] == '>':
			return i + 1, elem, attrs
		case bytes.HasPrefix(b[i:], []byte("/>")):
			return i + 2, elem, attrs
		}
		n := nameLen(b[i:])
		if n == 0 {
			return -1, "", nil
		}
		a := attr{name: string(b[i : i+n])}
		i += n
		i += spaceLen(b[i:])
		if i >= len(b) || b[i] != '=' {
			return -1, "", nil
		}
		i++
		i += spaceLen(b[i:])
		if i >= len(b) || (b[i] != '"' && b[i] != '\'') {
			return -1, "", nil
		}
		a.quote = b[i]
		j := bytes.IndexByte(b[i+1:], a.quote)
		if j < 0 {
			return -1, "", nil
		}
		a.start, a.end = i+1, i+1+j
		i = a.end + 1
		attrs = append(attrs, a)
	}
}

// nameLen returns the length of the XML name at the start of b (loosely:
// up to whitespace, '=', '/', '>', '<' or a quote).
func nameLen(b []byte) int {
	for i, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r', '=', '/', '>', '<', '"', '\'':
			return i
		}
	}
	return len(b)
}

func spaceLen(b []byte) int {
	for i, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return i
		}
	}
	return len(b)
}

// replacementSpan is new text for tag[start:end].
type replacementSpan struct {
	start, end int
	value      []byte
}

// keyNamesScriptName reports whether a start tag has a key= or name=
// attribute whose value names a scriptName.
func keyNamesScriptName(tag []byte, attrs []attr) bool {
	for _, a := range attrs {
		if l := localName(a.name); (l == "key" || l == "name") && namesScriptName(xmlUnescape(string(tag[a.start:a.end]))) {
			return true
		}
	}
	return false
}

// remapped returns the rewrites of a start tag's attributes, in order: those
// named like a scriptName, and value= when the tag is keyed (its key= or
// name= names a scriptName).
func remapped(tag []byte, attrs []attr, keyed bool, m map[string]string) []replacementSpan {
	var out []replacementSpan
	for _, a := range attrs {
		local := localName(a.name)
		if !namesScriptName(local) && !(keyed && local == "value") {
			continue
		}
		value := xmlUnescape(string(tag[a.start:a.end]))
		to, ok := remapList(value, m)
		if !ok {
			continue
		}
		out = append(out, replacementSpan{start: a.start, end: a.end, value: []byte(attrEscape(to, a.quote))})
	}
	return out
}

// remapList rewrites value when it, or each item of it as a comma-separated
// list, is a key of m; ok is false when nothing changed.
func remapList(value string, m map[string]string) (string, bool) {
	if to, ok := m[value]; ok {
		return to, to != value
	}
	if !strings.Contains(value, ",") {
		return value, false
	}
	items := strings.Split(value, ",")
	changed := false
	for i, it := range items {
		if to, ok := m[strings.TrimSpace(it)]; ok && to != strings.TrimSpace(it) {
			items[i] = strings.Replace(it, strings.TrimSpace(it), to, 1)
			changed = true
		}
	}
	return strings.Join(items, ","), changed
}

// localName returns the part of a qualified name after its prefix.
func localName(qname string) string {
	if i := strings.LastIndexByte(qname, ':'); i >= 0 {
		return qname[i+1:]
	}
	return qname
}

// namesScriptName reports whether a key names a scriptName: its local name
// ends with "scriptName" or "scriptNames", in any case.
func namesScriptName(key string) bool {
	s := strings.ToLower(localName(key))
	return strings.HasSuffix(s, "scriptname") || strings.HasSuffix(s, "scriptnames")
}

// xmlUnescape decodes the entity and character references of an attribute
// value. A value with a reference it cannot decode is returned as it is.
func xmlUnescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], ';')
		if j < 0 {
			return s
		}
		ref := s[i+1 : i+j]
		switch ref {
		case "amp":
			b.WriteByte('&')
		case "lt":
			b.WriteByte('<')
		case "gt":
			b.WriteByte('>')
		case "quot":
			b.WriteByte('"')
		case "apos":
			b.WriteByte('\'')
		default:
			r, ok := charRef(ref)
			if !ok {
				return s
			}
			b.WriteRune(r)
		}
		s = s[i+j+1:]
	}
}

// charRef decodes "#65" or "#x41".
func charRef(ref string) (rune, bool) {
	base, digits := 10, strings.TrimPrefix(ref, "#")
	if digits == ref || digits == "" {
		return 0, false
	}
	if digits[0] == 'x' {
		base, digits = 16, digits[1:]
	}
	n, err := strconv.ParseUint(digits, base, 21)
	if err != nil {
		return 0, false
	}
	return rune(n), true
}

// attrEscape escapes s for an attribute value delimited by quote.
func attrEscape(s string, quote byte) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;")
	if quote == '\'' {
		r = strings.NewReplacer("&", "&amp;", "<", "&lt;", "'", "&apos;")
	}
	return r.Replace(s)
}

// textEscape escapes character data.
var textEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
