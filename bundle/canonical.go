package bundle

import (
	"bytes"
	"regexp"
)

// Canonical returns the canonical form of a part's content, in which two
// contents that mean the same to every reader compare equal although their
// bytes differ. Tenants have been seen to normalise what they store, and the
// detail may not serve the same bytes as the sub-resources (README,
// "Assumptions about ISC"); comparing canonical forms keeps such a tenant
// from making every import fail its read-back and every plan show a change.
//
// For every kind: a leading UTF-8 byte-order mark is dropped, and CRLF and
// lone CR line endings become LF (XML 1.0 §2.11 has every XML processor do
// the same; java.util.Properties reads all three as line terminators).
// For the XML kinds (source-config, source-template, correlation-config) the
// XML declaration is dropped when it declares version 1.0 and UTF-8 or no
// encoding (what a parser assumes without one), and white space before and
// after the document is trimmed (it is not part of the document's content).
// Anything else, white space between elements included, is kept: it can be
// content. The result is a new slice; b is not changed.
func Canonical(kind string, b []byte) []byte {
	out := bytes.TrimPrefix(b, []byte("\ufeff"))
	out = bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n"))
	out = bytes.ReplaceAll(out, []byte("\r"), []byte("\n"))
	switch kind {
	case KindSourceConfig, KindSourceTemplate, KindCorrelationConfig:
		out = bytes.TrimSpace(out)
		if m := xmlDeclaration.Find(out); m != nil {
			out = bytes.TrimSpace(out[len(m):])
		}
	}
	return out
}

// CanonicalEqual says whether a and b, contents of kind, have the same
// Canonical form.
func CanonicalEqual(kind string, a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	return bytes.Equal(Canonical(kind, a), Canonical(kind, b))
}

// xmlDeclaration matches an XML declaration of version 1.0 whose encoding is
// UTF-8 or not given (standalone may be anything).
var xmlDeclaration = regexp.MustCompile(`^<\?xml\s+version\s*=\s*["']1\.0["'](\s+encoding\s*=\s*["'](?i:utf-8)["'])?(\s+standalone\s*=\s*["'](yes|no)["'])?\s*\?>`)
