package bundle

import (
	"bytes"
	"errors"
	"testing"
)

// TestInMemoryStream checks that a Writer with InMemory and OpenStream with
// InMemory touch no disk, that the archive is byte for byte the one the disk
// staging gives, that PendingDigest announces Commit's digest, and that a
// truncated stream is refused.
func TestInMemoryStream(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	write := func(opts WriterOptions, tempDir string) ([]byte, string, Manifest) {
		t.Helper()
		var out bytes.Buffer
		w, err := CreateStream(&out, tempDir, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Abort()
		for _, c := range trickyConnectors() {
			if _, err := w.Add(c); err != nil {
				t.Fatal(err)
			}
		}
		w.Fail(ItemError{ScriptName: "z", Error: "gone"})
		digest, complete, err := w.PendingDigest()
		if err != nil || complete {
			t.Fatalf("PendingDigest: %v, complete %v", err, complete)
		}
		m, err := w.Commit(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return out.Bytes(), digest, m
	}
	opts := testWriterOptions()
	onDisk, _, _ := write(opts, t.TempDir())
	opts.InMemory = true
	inMemory, digest, m := write(opts, tmp)
	if got := listDir(t, tmp); len(got) != 0 {
		t.Fatalf("the in-memory writer left files in TMPDIR: %v", got)
	}
	if !bytes.Equal(onDisk, inMemory) {
		t.Fatal("the in-memory archive differs from the one staged on disk")
	}
	if digest != m.ContentDigest {
		t.Fatalf("PendingDigest %s, Commit's manifest %s", digest, m.ContentDigest)
	}

	b, err := OpenStream(t.Context(), bytes.NewReader(inMemory), "snap", ReadOptions{InMemory: true, TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, tmp); len(got) != 0 {
		t.Fatalf("the in-memory reader left files in its TempDir: %v", got)
	}
	cs, err := b.LoadAll()
	if err != nil || len(cs) != len(trickyConnectors()) {
		t.Fatalf("LoadAll: %d connectors, %v", len(cs), err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = OpenStream(t.Context(), bytes.NewReader(inMemory[:len(inMemory)/2]), "snap", ReadOptions{InMemory: true})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("a truncated stream: got %v, want ErrInvalid", err)
	}
}
