package transform

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
)

// findOneByOne is FindScriptNames as it was before it looked up each run of
// word bytes: every name searched for in every file. It is the reference
// the faster one must agree with.
func findOneByOne(c bundle.Connector, names []string) []Occurrence {
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
	slices.SortStableFunc(out, func(a, b Occurrence) int {
		if a.File != b.File {
			return strings.Compare(a.File, b.File)
		}
		return a.Line - b.Line
	})
	return out
}

// FindScriptNames finds what searching for each name one by one finds, in
// the same order: on random texts over a small alphabet (so names touch,
// overlap and repeat), with duplicate names and names holding bytes that
// cannot be part of a scriptName (searched for on their own).
func TestFindScriptNamesAgreesWithSearchingEachName(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	alphabet := []byte("ab-.x \n<>=\"")
	text := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return b
	}
	for round := range 500 {
		var names []string
		for range 1 + rng.IntN(6) {
			names = append(names, string(text(1+rng.IntN(4))))
		}
		names = slices.DeleteFunc(names, func(n string) bool { return strings.TrimSpace(n) == "" })
		if len(names) > 0 && rng.IntN(3) == 0 {
			names = append(names, names[0]) // a duplicate
		}
		c := bundle.Connector{ScriptName: "k", SourceConfig: text(200), CorrelationConfig: text(50),
			Translations: map[string][]byte{"en": text(80), "de": text(40)}}
		got, want := FindScriptNames(c, names), findOneByOne(c, names)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d, names %q:\ngot  %v\nwant %v", round, names, got, want)
		}
	}
}

// BenchmarkFindScriptNames is plan's leftover-reference scan of one
// connector (a 30 KB source config naming two scriptNames) against the
// scriptNames of a 12,000-connector bundle imported into an empty tenant.
func BenchmarkFindScriptNames(b *testing.B) {
	names := make([]string, 12000)
	for i := range names {
		names[i] = fmt.Sprintf("connector-%05d-1a2b3c", i)
	}
	var sc bytes.Buffer
	for sc.Len() < 30<<10 {
		fmt.Fprintf(&sc, "<entry key=\"attr%d\" value=\"some value, %d\"/>\n", sc.Len(), sc.Len())
	}
	sc.WriteString("<entry key=\"ref\" value=\"connector-00042-1a2b3c\"/>\n<a connector-11999-1a2b3c/>\n")
	c := bundle.Connector{ScriptName: "connector-00001-1a2b3c", SourceConfig: sc.Bytes()}
	finder := NewScriptNameFinder(names)
	for _, f := range []struct {
		name string
		find func(bundle.Connector, []string) []Occurrence
	}{
		{"indexed-once", func(c bundle.Connector, _ []string) []Occurrence { return finder.Find(c) }},
		{"one-by-one", findOneByOne},
	} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				if got := f.find(c, names); len(got) != 2 {
					b.Fatalf("%d occurrences, want 2", len(got))
				}
			}
		})
	}
}
