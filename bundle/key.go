package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
)

// maxSegment is the longest key or locale, in bytes, that the format allows.
const maxSegment = 100

// hashedKeyMark separates the truncated prefix of an over-long key from its hash.
// The escaping of KeyFor never produces "~~" (an escape is "~" and two hex digits),
// so a hashed key can never equal an escaped one.
const hashedKeyMark = "~~"

// KeyFor returns the directory name of a connector in a bundle.
//
// A scriptName that is a safe path segment (only [A-Za-z0-9._-], not made only of
// dots, at most 100 bytes) is its own key. Any other scriptName is escaped: every
// byte outside [A-Za-z0-9._-] becomes "~XX" (two upper-case hex digits; a name made
// only of dots has its dots escaped too), which is reversible and cannot collide
// with a safe name, since those never contain "~". An escaped form longer than 100
// bytes is cut to a prefix and ends in "~~" and the first 16 hex digits of the
// SHA-256 of the scriptName.
//
// Keys that differ only in letter case name the same directory on a
// case-insensitive file system; the Writer refuses the second of them.
func KeyFor(scriptName string) string {
	if safeSegment(scriptName) {
		return scriptName
	}
	allDots := strings.Trim(scriptName, ".") == ""
	var b strings.Builder
	for i := 0; i < len(scriptName); i++ {
		c := scriptName[i]
		if safeByte(c) && !(allDots && c == '.') {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "~%02X", c)
	}
	key := b.String()
	if key == "" {
		return "~" // only for the empty scriptName, which the Writer refuses
	}
	if len(key) <= maxSegment {
		return key
	}
	sum := sha256.Sum256([]byte(scriptName))
	suffix := hashedKeyMark + hex.EncodeToString(sum[:])[:16]
	prefix := key[:maxSegment-len(suffix)]
	// Do not cut an escape in two: a dangling "~" or "~X" would be ambiguous.
	if i := strings.LastIndexByte(prefix, '~'); i >= 0 && i > len(prefix)-3 {
		prefix = prefix[:i]
	}
	return prefix + suffix
}

// safeByte reports whether c may appear unescaped in a key or a locale.
func safeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

// safeSegment reports whether s is a safe path segment: [A-Za-z0-9._-] only,
// 1 to 100 bytes, not made only of dots ("." and ".." included).
func safeSegment(s string) bool {
	if s == "" || len(s) > maxSegment || strings.Trim(s, ".") == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !safeByte(s[i]) {
			return false
		}
	}
	return true
}

// validKey reports whether k can be a key in a bundle: a safe segment that may
// also contain the "~" of KeyFor's escaping.
func validKey(k string) bool {
	return safeSegment(strings.ReplaceAll(k, "~", "_"))
}

// File names inside connectors/<key>/, by kind.
const (
	connectorsDir      = "connectors"
	manifestName       = "manifest.json"
	translationsDir    = "translations"
	translationsSuffix = ".properties"
)

// fileName returns the file name of a kind other than translations, or "" for
// an unknown kind.
func fileName(kind string) string {
	switch kind {
	case KindConnector:
		return "connector.json"
	case KindSourceConfig:
		return "source-config.xml"
	case KindSourceTemplate:
		return "source-template.xml"
	case KindCorrelationConfig:
		return "correlation-config.xml"
	}
	return ""
}

// filePath returns the path in the bundle of a file of kind (and locale, for
// translations) of the connector with key. ok is false for an unknown kind.
func filePath(key, kind, locale string) (p string, ok bool) {
	if kind == KindTranslations {
		return path.Join(connectorsDir, key, translationsDir, locale+translationsSuffix), true
	}
	name := fileName(kind)
	if name == "" {
		return "", false
	}
	return path.Join(connectorsDir, key, name), true
}
