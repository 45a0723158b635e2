package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the seed corpus in testdata/fuzz/FuzzOpen")

// FuzzOpen feeds arbitrary bytes to Open as an archive: it must never panic,
// and either verify a bundle that then loads, or fail with ErrInvalid, leaving
// nothing behind. With compress set, data is gzip-compressed first, so that
// mutations reach the tar entries and the manifest instead of breaking the gzip
// checksum.
//
//	go test -fuzz=FuzzOpen ./bundle
//
// The seed corpus is in testdata/fuzz/FuzzOpen (rewritten by
// go test ./bundle -run TestFuzzSeedCorpus -update); fuzzSeeds adds the same
// seeds built with the current writer.
func FuzzOpen(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s.data, s.compress)
	}
	f.Fuzz(func(t *testing.T, data []byte, compress bool) {
		if compress {
			data = gzipBytes(t, data)
		}
		dir := t.TempDir()
		p := writeBytes(t, dir, "b.tgz", data)
		b, err := Open(t.Context(), p, ReadOptions{MaxEntrySize: 1 << 20, MaxTotalSize: 4 << 20, TempDir: dir})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			if names := listDir(t, dir); !slices.Equal(names, []string{"b.tgz"}) {
				t.Fatalf("a refused bundle left %q", names)
			}
			return
		}
		cs, err := b.LoadAll()
		if err != nil {
			t.Fatalf("LoadAll of a verified bundle: %v", err)
		}
		if len(cs) != len(b.Manifest.Connectors) {
			t.Fatalf("loaded %d connectors of %d", len(cs), len(b.Manifest.Connectors))
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if names := listDir(t, dir); !slices.Equal(names, []string{"b.tgz"}) {
			t.Fatalf("Close left %q", names)
		}
	})
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gunzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type fuzzSeed struct {
	name     string
	data     []byte
	compress bool
}

// fuzzSeeds returns small archives, valid and not, to start the fuzzer from.
func fuzzSeeds(tb testing.TB) []fuzzSeed {
	tb.Helper()
	cs := []Connector{
		{ScriptName: "a", Name: "A", Type: "T", Detail: json.RawMessage(`{"x":1}`), SourceConfig: []byte("<a/>"),
			Translations: map[string][]byte{"en": []byte("k=v")}},
		{ScriptName: "b c", Name: "B", CorrelationConfig: []byte{}},
	}
	dir := tb.TempDir()
	validPath, m := writeConnectors(tb, dir, "valid.tgz", cs, nil)
	valid := readFile(tb, validPath)
	incompletePath, _ := writeConnectors(tb, dir, "incomplete.tgz", cs[1:], []ItemError{{ScriptName: "z", Error: "boom"}})
	emptyPath, _ := writeConnectors(tb, dir, "empty.tgz", nil, nil)

	edit := func(f func(m *Manifest, es []tarEntry) []tarEntry) []byte {
		m := m
		m.Connectors = slices.Clone(m.Connectors)
		es := f(&m, readEntries(tb, valid))
		return buildArchive(tb, m, es, nil)
	}
	flipped := slices.Clone(valid)
	flipped[len(flipped)/2] ^= 0x10
	var plain bytes.Buffer
	tw := tar.NewWriter(&plain)
	_ = tw.WriteHeader(&tar.Header{Name: manifestName, Typeflag: tar.TypeReg, Mode: 0o644, Size: 2})
	_, _ = tw.Write([]byte("{}"))
	_ = tw.Close()
	archives := []fuzzSeed{
		{name: "valid", data: valid},
		{name: "incomplete", data: readFile(tb, incompletePath)},
		{name: "empty-bundle", data: readFile(tb, emptyPath)},
		{name: "directory-entries", data: edit(func(_ *Manifest, es []tarEntry) []tarEntry {
			return slices.Insert(es, 1, tarEntry{hdr: tar.Header{Name: "connectors/", Typeflag: tar.TypeDir, Mode: 0o755}})
		})},
		{name: "newer-version", data: edit(func(m *Manifest, es []tarEntry) []tarEntry { m.FormatVersion = 2; return es })},
		{name: "symlink", data: edit(func(_ *Manifest, es []tarEntry) []tarEntry {
			return append(es, tarEntry{hdr: tar.Header{Name: "connectors/a/x", Typeflag: tar.TypeSymlink, Linkname: "/"}})
		})},
		{name: "dot-dot", data: edit(func(_ *Manifest, es []tarEntry) []tarEntry { return append(es, regular("../x", []byte("x"))) })},
		{name: "absolute", data: edit(func(_ *Manifest, es []tarEntry) []tarEntry { return append(es, regular("/x", []byte("x"))) })},
		{name: "duplicate", data: edit(func(_ *Manifest, es []tarEntry) []tarEntry { return append(es, es[1]) })},
		{name: "no-manifest", data: edit(func(_ *Manifest, es []tarEntry) []tarEntry { return es[1:] })},
	}
	seeds := slices.Clone(archives)
	for _, s := range archives {
		seeds = append(seeds, fuzzSeed{name: s.name + "-tar", data: gunzipBytes(tb, s.data), compress: true})
	}
	return append(seeds,
		fuzzSeed{name: "truncated", data: valid[:len(valid)/2]},
		fuzzSeed{name: "flipped", data: flipped},
		fuzzSeed{name: "plain-tar", data: plain.Bytes()},
		fuzzSeed{name: "garbage", data: []byte("connvault")},
		fuzzSeed{name: "garbage-compressed", data: []byte("connvault"), compress: true},
	)
}

// TestFuzzSeedCorpus writes the seed corpus with -update; without it, it checks
// that the corpus is there (go test runs FuzzOpen on every file of it).
func TestFuzzSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, s := range fuzzSeeds(t) {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbool(%t)\n", s.data, s.compress)
			if err := os.WriteFile(filepath.Join(dir, s.name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := fuzzSeeds(t)
	for _, s := range want {
		if _, err := os.Stat(filepath.Join(dir, s.name)); err != nil {
			t.Errorf("seed %s: %v (go test -run TestFuzzSeedCorpus -update ./bundle writes it)", s.name, err)
		}
	}
}
