package transform

import (
	"bytes"
	"sort"
	"strings"
)

// textFormat says how a substituted value is escaped.
type textFormat int

const (
	formatXML        textFormat = iota // XML: entities outside CDATA sections
	formatProperties                   // Java properties: backslash escapes
)

// missing is one placeholder without a value.
type missing struct {
	name string
	line int
}

// isPlaceholderName reports whether s is a placeholder name: [A-Z][A-Z0-9_]*.
func isPlaceholderName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// placeholderAt returns the name of the placeholder ${NAME} at the start of
// text and its length, or ok false.
func placeholderAt(text []byte) (name string, n int, ok bool) {
	if !bytes.HasPrefix(text, []byte("${")) {
		return "", 0, false
	}
	end := bytes.IndexByte(text[2:], '}')
	if end < 0 {
		return "", 0, false
	}
	name = string(text[2 : 2+end])
	if !isPlaceholderName(name) {
		return "", 0, false
	}
	return name, 2 + end + 1, true
}

// expand substitutes the placeholders of text and unescapes $${NAME} to
// ${NAME}. A placeholder without a value is left as it is and reported with
// its line. Anything else, Velocity references like ${plan.x} included, is
// left byte for byte. expand returns text itself when nothing changed.
func expand(text []byte, format textFormat, lookup Lookup) ([]byte, []missing) {
	var (
		out     []byte
		changed bool
		last    int // text[last:] is not yet copied to out
		miss    []missing
		line    = 1
		counted int // newlines are counted in text[:counted]
		cdata   [][2]int
	)
	if format == formatXML {
		cdata = cdataSections(text)
	}
	for i := 0; i < len(text); {
		j := bytes.IndexByte(text[i:], '$')
		if j < 0 {
			break
		}
		i += j
		if _, n, ok := placeholderAt(text[i+1:]); ok {
			out = append(out, text[last:i]...) // drop the escaping '$'
			changed, last = true, i+1
			i += 1 + n
			continue
		}
		name, n, ok := placeholderAt(text[i:])
		if !ok {
			i++
			continue
		}
		value, found := "", false
		if lookup != nil {
			value, found = lookup(name)
		}
		if !found {
			line += bytes.Count(text[counted:i], []byte("\n"))
			counted = i
			miss = append(miss, missing{name: name, line: line})
			i += n
			continue
		}
		out = append(out, text[last:i]...)
		out = append(out, escapeValue(value, format, inSection(cdata, i))...)
		i += n
		changed, last = true, i
	}
	if !changed {
		return text, miss
	}
	return append(out, text[last:]...), miss
}

// escapeValue escapes a placeholder's value for where it lands.
func escapeValue(v string, format textFormat, inCDATA bool) string {
	switch {
	case format == formatProperties:
		return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "\f", `\f`).Replace(v)
	case inCDATA:
		return strings.ReplaceAll(v, "]]>", "]]]]><![CDATA[>")
	}
	return xmlEscape(v)
}

// xmlEscape escapes text for XML character data or an attribute value.
func xmlEscape(v string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(v)
}

// cdataSections returns the [start, end) offsets of the content of every
// CDATA section of an XML text, skipping comments.
func cdataSections(text []byte) [][2]int {
	var out [][2]int
	for i := 0; i < len(text); {
		k := bytes.IndexByte(text[i:], '<')
		if k < 0 {
			break
		}
		k += i
		rest := text[k:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("-->"))
			if end < 0 {
				return out
			}
			i = k + 4 + end + 3
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			start := k + len("<![CDATA[")
			end := bytes.Index(text[start:], []byte("]]>"))
			if end < 0 {
				return append(out, [2]int{start, len(text)})
			}
			out = append(out, [2]int{start, start + end})
			i = start + end + 3
		default:
			i = k + 1
		}
	}
	return out
}

// inSection reports whether offset i lies in one of the sorted sections.
func inSection(sections [][2]int, i int) bool {
	k := sort.Search(len(sections), func(k int) bool { return sections[k][1] > i })
	return k < len(sections) && sections[k][0] <= i
}
