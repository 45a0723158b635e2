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
	return NewScriptNameFinder(names).Find(c)
}

// ScriptNameFinder is FindScriptNames for one set of names and many
// connectors: the names are indexed once (plan scans every connector of a
// bundle for the scriptNames of all of them).
type ScriptNameFinder struct {
	names []string
	// whole indexes the names made of word bytes only (every scriptName):
	// such a name matches exactly a maximal run of word bytes, so each run
	// is looked up once, whatever the number of names. other are the
	// indexes of the rest, searched for one by one.
	whole map[string][]int
	other []int
}

// NewScriptNameFinder indexes names for Find.
func NewScriptNameFinder(names []string) *ScriptNameFinder {
	f := &ScriptNameFinder{names: names, whole: map[string][]int{}}
	for i, n := range names {
		if n != "" && allWordBytes(n) {
			f.whole[n] = append(f.whole[n], i)
		} else {
			f.other = append(f.other, i)
		}
	}
	return f
}

// Find is FindScriptNames(c, the finder's names).
func (f *ScriptNameFinder) Find(c bundle.Connector) []Occurrence {
	if len(f.names) == 0 {
		return nil
	}
	names, whole, other := f.names, f.whole, f.other
	var out []Occurrence
	find := func(file string, text []byte) {
		type hit struct{ name, at int }
		var hits []hit
		for i := 0; i < len(text); {
			if !wordByte(text, i) {
				i++
				continue
			}
			j := i
			for wordByte(text, j) {
				j++
			}
			for _, k := range whole[string(text[i:j])] {
				hits = append(hits, hit{k, i})
			}
			i = j
		}
		for _, k := range other {
			n := []byte(names[k])
			for i := 0; len(n) > 0; {
				j := bytes.Index(text[i:], n)
				if j < 0 {
					break
				}
				j += i
				if !wordByte(text, j-1) && !wordByte(text, j+len(n)) {
					hits = append(hits, hit{k, j})
				}
				i = j + len(n)
			}
		}
		// In names' order, then by place, as the line sort below keeps.
		slices.SortFunc(hits, func(a, b hit) int {
			if a.name != b.name {
				return a.name - b.name
			}
			return a.at - b.at
		})
		for _, h := range hits {
			out = append(out, Occurrence{File: file, Line: 1 + bytes.Count(text[:h.at], []byte("\n")), ScriptName: names[h.name]})
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

// allWordBytes reports whether every byte of s could be part of a scriptName.
func allWordBytes(s string) bool {
	for i := range len(s) {
		if !wordByte([]byte{s[i]}, 0) {
			return false
		}
	}
	return true
}

// wordByte reports whether text[i] exists and could be part of a scriptName.
func wordByte(text []byte, i int) bool {
	if i < 0 || i >= len(text) {
		return false
	}
	c := text[i]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}
