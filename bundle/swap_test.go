package bundle

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A run killed at any point of the renames that swap a directory bundle into
// place leaves a destination that the next run puts right: the previous
// bundle back (or the new one, once its manifest is in place), files that are
// not the bundle's untouched, no staging left, and the next export succeeds.
func TestDirectorySwapRecoversFromAKillAtEveryMove(t *testing.T) {
	first := []Connector{{ScriptName: "a", Name: "A", Detail: []byte(`{"name":"A"}`), SourceConfig: []byte("<a/>")}}
	second := []Connector{{ScriptName: "b", Name: "B", Detail: []byte(`{"name":"B"}`), SourceConfig: []byte("<b/>")}}
	third := []Connector{{ScriptName: "c", Name: "C", Detail: []byte(`{"name":"C"}`)}}
	// manifest out, connectors out, connectors in, manifest in.
	for kill := range 4 {
		dest, want := t.TempDir(), []string{"a"}
		if kill == 3 {
			want = []string{"b"} // the new manifest is in place: the swap is done
		}
		if _, err := WriteAll(t.Context(), dest, testWriterOptions(), first, nil); err != nil {
			t.Fatal(err)
		}
		writeBytes(t, dest, "README.md", []byte("mine")) // a git checkout of bundles, say
		w, err := Create(dest, testWriterOptions())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Add(second[0]); err != nil {
			t.Fatal(err)
		}
		w.killAfterMove = func(i int) bool { return i == kill }
		if _, err := w.Commit(t.Context()); !errors.Is(err, errSimulatedKill) {
			t.Fatalf("kill after move %d: commit = %v", kill, err)
		}

		// The next run recovers, then writes its own bundle.
		w, err = Create(dest, testWriterOptions())
		if err != nil {
			t.Fatalf("kill after move %d: the next run cannot write there: %v", kill, err)
		}
		m, err := Verify(t.Context(), dest, ReadOptions{})
		if err != nil {
			t.Fatalf("kill after move %d: after recovery: %v", kill, err)
		}
		var got []string
		for _, e := range m.Connectors {
			got = append(got, e.ScriptName)
		}
		if !slices.Equal(got, want) {
			t.Errorf("kill after move %d: recovered %q, want %q", kill, got, want)
		}
		if _, err := w.Add(third[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Commit(t.Context()); err != nil {
			t.Fatalf("kill after move %d: the next export: %v", kill, err)
		}
		if m, err := Verify(t.Context(), dest, ReadOptions{}); err != nil || len(m.Connectors) != 1 || m.Connectors[0].ScriptName != "c" {
			t.Errorf("kill after move %d: the next export left %+v, %v", kill, m.Connectors, err)
		}
		if got := listDir(t, dest); !slices.Equal(got, []string{"README.md", "connectors", "manifest.json"}) {
			t.Errorf("kill after move %d: the destination holds %q", kill, got)
		}
		if b, _ := os.ReadFile(filepath.Join(dest, "README.md")); string(b) != "mine" {
			t.Errorf("kill after move %d: README.md changed", kill)
		}
	}
}
