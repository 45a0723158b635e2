package tenant

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// A connector detail is JSON, whose strings are Unicode text: a part whose
// bytes are not UTF-8 (an XML document declared ISO-8859-1 holding "\xfc")
// cannot travel in it byte for byte. A Go or Java JSON encoder writes each
// such byte as U+FFFD; a tenant that decodes the document first writes its
// text, but then the bytes are those of another encoding than its
// declaration names. Only the part's own sub-resource (GET
// /connectors/{scriptName}/source-config and the like) serves its bytes.

// JSONExact reports whether the content b of a part of kind can be carried
// in a JSON string byte for byte, so that a detail's field and the part's
// sub-resource can be expected to agree: b is UTF-8, holds no U+FFFD (what
// an encoder puts for bytes it could not carry), and, for the XML kinds,
// declares no encoding other than UTF-8 or US-ASCII.
func JSONExact(kind PartKind, b []byte) bool {
	if !utf8.Valid(b) || strings.ContainsRune(string(b), utf8.RuneError) {
		return false
	}
	if kind == Translations {
		return true
	}
	m := encodingDecl.FindSubmatch(b)
	if m == nil {
		return true
	}
	switch strings.ToLower(string(m[1])) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return true
	}
	return false
}

// encodingDecl matches an XML declaration naming an encoding (after an
// optional byte-order mark and leading white space) and captures the name.
var encodingDecl = regexp.MustCompile(`^(?:\xef\xbb\xbf)?\s*<\?xml\s[^?>]*?encoding\s*=\s*["']([^"']*)["']`)

// InexactParts returns the parts whose fields in d may not hold the bytes
// their sub-resources serve (see JSONExact), in the order source-config,
// source-template, correlation-config, translations by locale. Parts d has
// no field for are not listed.
func (d ConnectorDetail) InexactParts() []Part {
	var out []Part
	for _, p := range []struct {
		kind PartKind
		text string
	}{
		{SourceConfig, d.SourceConfigXML},
		{SourceTemplate, d.ApplicationXML},
		{CorrelationConfig, d.CorrelationConfigXML},
	} {
		if p.text != "" && !JSONExact(p.kind, []byte(p.text)) {
			out = append(out, Part{Kind: p.kind})
		}
	}
	for _, l := range slices.Sorted(maps.Keys(d.TranslationProperties)) {
		if !JSONExact(Translations, []byte(d.TranslationProperties[l])) {
			out = append(out, Part{Kind: Translations, Locale: l})
		}
	}
	return out
}

// HasPart reports whether d has a field for part p (a non-empty XML field,
// or a translations entry of p's locale, empty or not).
func (d ConnectorDetail) HasPart(p Part) bool {
	switch p.Kind {
	case SourceConfig:
		return d.SourceConfigXML != ""
	case SourceTemplate:
		return d.ApplicationXML != ""
	case CorrelationConfig:
		return d.CorrelationConfigXML != ""
	case Translations:
		_, ok := d.TranslationProperties[p.Locale]
		return ok
	}
	return false
}

// SetPart sets the field of d that holds part p to b: what the part's
// sub-resource served. The translations map is copied before it is changed,
// so that a detail shared with another copy of d is left alone.
func (d *ConnectorDetail) SetPart(p Part, b []byte) {
	switch p.Kind {
	case SourceConfig:
		d.SourceConfigXML = string(b)
	case SourceTemplate:
		d.ApplicationXML = string(b)
	case CorrelationConfig:
		d.CorrelationConfigXML = string(b)
	case Translations:
		tr := maps.Clone(d.TranslationProperties)
		if tr == nil {
			tr = map[string]string{}
		}
		tr[p.Locale] = string(b)
		d.TranslationProperties = tr
	}
}
