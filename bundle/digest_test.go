package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
)

// Content digests are compared across snapshots (a backup whose digest
// equals the last one's is "unchanged"): hashing without building the lines
// must not change one. The golden values are what the code of bf0e677
// (lines built and sorted) computed for the same bundles.
func TestContentDigestUnchanged(t *testing.T) {
	a, b := diffFixture(t)
	_, s := writeSample(t, t.TempDir(), "s.tar.gz")
	for _, tt := range []struct {
		name string
		m    Manifest
		want string
	}{
		{"diff fixture A", a.Manifest, "sha256:18656e5cb00f39d3db8ac4b65866b61c11f9a16078b4ed755ea311820c2a4a4a"},
		{"diff fixture B", b.Manifest, "sha256:34d926b78c0b27ba29077763562a79d6d76a642868ed71b0e7269575e2c8d30c"},
		{"sample", s, "sha256:7bbebc18ed13f860c4840883ebe6447cde41d8a4a9539872a73ffe0d10d67980"},
	} {
		if tt.m.ContentDigest != tt.want || contentDigest(tt.m.Connectors) != tt.want {
			t.Errorf("%s: written %s, computed %s; want %s", tt.name, tt.m.ContentDigest, contentDigest(tt.m.Connectors), tt.want)
		}
	}
}

// The digest is that of the sorted lines however the paths relate,
// one a prefix of another included (where the "  " after a path decides).
func TestContentDigestSortsLines(t *testing.T) {
	built := func(entries []Entry) string { // the definition, lines built
		var lines []string
		for _, e := range entries {
			for _, f := range e.Files {
				lines = append(lines, f.Path+"  "+f.SHA256+"\n")
			}
		}
		slices.Sort(lines)
		h := sha256.New()
		for _, l := range lines {
			_, _ = io.WriteString(h, l)
		}
		return "sha256:" + hex.EncodeToString(h.Sum(nil))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"a", "a ", "a  ", "a  0", "a\x01", "ab", "a/b", "", " ", "  1"}
	for i := range 500 {
		var entries []Entry
		for range 1 + rng.IntN(4) {
			var e Entry
			for range rng.IntN(4) {
				e.Files = append(e.Files, File{Path: pieces[rng.IntN(len(pieces))] + pieces[rng.IntN(len(pieces))], SHA256: pieces[rng.IntN(len(pieces))]})
			}
			entries = append(entries, e)
		}
		if got, want := contentDigest(entries), built(entries); got != want {
			t.Fatalf("case %d %s: digest %s, want %s", i, fmt.Sprint(entries), got, want)
		}
	}
}
