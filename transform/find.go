package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/connvault/connvault/bundle"
)

// Occurrence is a place where a connector's files name a scriptName.
type Occurrence struct {
	File       string // bundle path, e.g. "connectors/<key>/source-config.xml"
	Line       int    // 1-based
	ScriptName string
}

// String formats o as `<file> line <n>: "<scriptName>"`.
func (o Occurrence) String() string {
	return fmt.Sprintf("%s line %d: %q", o.File, o.Line, o.ScriptName)
}

// FindScriptNames returns every place where c's files (the three XML files,
// the translations and connector.json's connectorMetadata, the parts an
// import writes) name one of names as a whole word: not
// preceded or followed by a letter, digit, '_', '-' or '.'. It finds what
// RemapScriptNames left, such as a reference under a key that does not name
// a scriptName. Occurrences are in file order, then line order.
func FindScriptNames(c bundle.Connector, names []string) []Occurrence {
	if len(names) == 0 {
		return nil
	}
	var out []Occurrence
	find := func(file string, text []byte) {
		for _, n := range names {
			for i := 0; ; {
				j := bytes.Index(text[i:], []byte(n))
				if j < 0 {
					break
				}
				j += i
				if !wordByte(text, j-1) && !wordByte(text, j+len(n)) {
					out = append(out, Occurrence{File: file, Line: 1 + bytes.Count(text[:j], []byte("\n")), ScriptName: n})
				}
				i = j + len(n)
			}
		}
	}
	for _, p := range textParts(c) {
		find(p.path(c), p.data)
	}
	// Of connector.json only connectorMetadata is written to a tenant; its
	// lines are those of its indented form.
	if obj, err := decodeObject(c.Detail); err == nil && obj["connectorMetadata"] != nil {
		var meta bytes.Buffer
		if json.Indent(&meta, obj["connectorMetadata"], "", "  ") == nil {
			find(path.Join("connectors", bundle.KeyFor(c.ScriptName), "connector.json")+" connectorMetadata", meta.Bytes())
		}
	}
	slices.SortStableFunc(out, func(a, b Occurrence) int {
		if a.File != b.File {
			return strings.Compare(a.File, b.File)
		}
		return a.Line - b.Line
	})
	return out
}

// wordByte reports whether text[i] exists and could be part of a scriptName.
func wordByte(text []byte, i int) bool {
	if i < 0 || i >= len(text) {
		return false
	}
	c := text[i]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}
