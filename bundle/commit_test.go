package bundle

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestFileModes(t *testing.T) {
	dir := t.TempDir()
	p, _ := writeSample(t, dir, "b.tgz")
	if info, err := os.Stat(p); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("archive mode %v (%v), want 0600", info.Mode(), err)
	}
	d, _ := writeSample(t, dir, "d/")
	err := filepath.WalkDir(d, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if de.IsDir() {
			want = 0o700
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, info.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAtomicity(t *testing.T) {
	other := []Connector{{ScriptName: "old", Name: "Old", SourceConfig: []byte("<old/>")}}
	tests := []struct {
		name     string
		dest     string                                  // in a new directory
		existing bool                                    // an older bundle is at dest
		fail     func(*testing.T, *Writer, string) error // ends the writer without a commit, or with a failing one
	}{
		{"abort", "b.tgz", false, func(_ *testing.T, w *Writer, _ string) error { return w.Abort() }},
		{"abort over an existing archive", "b.tgz", true, func(_ *testing.T, w *Writer, _ string) error { return w.Abort() }},
		{"abort over an existing directory", "d/", true, func(_ *testing.T, w *Writer, _ string) error { return w.Abort() }},
		{"cancelled commit", "b.tgz", true, func(t *testing.T, w *Writer, _ string) error {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			_, err := w.Commit(ctx)
			return wantError(err)
		}},
		{"cancelled directory commit", "d/", true, func(t *testing.T, w *Writer, _ string) error {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			_, err := w.Commit(ctx)
			return wantError(err)
		}},
		{"staged content changed before commit", "b.tgz", true, func(t *testing.T, w *Writer, dir string) error {
			spool, _ := filepath.Glob(filepath.Join(dir, ".b.tgz.connvault-staging-*", "spool"))
			if len(spool) != 1 {
				t.Fatalf("spool files %q", spool)
			}
			data := readFile(t, spool[0])
			data[len(data)/2] ^= 1
			writeBytes(t, filepath.Dir(spool[0]), "spool", data)
			_, err := w.Commit(t.Context())
			if err == nil || !strings.Contains(err.Error(), "changed since it was added") {
				return fmt.Errorf("commit error %v, want a changed staged file", err)
			}
			return nil
		}},
		{"staged content truncated before commit", "b.tgz", true, func(t *testing.T, w *Writer, dir string) error {
			spool, _ := filepath.Glob(filepath.Join(dir, ".b.tgz.connvault-staging-*", "spool"))
			if len(spool) != 1 {
				t.Fatalf("spool files %q", spool)
			}
			if err := os.Truncate(spool[0], 100); err != nil {
				t.Fatal(err)
			}
			_, err := w.Commit(t.Context())
			if err == nil || !strings.Contains(err.Error(), "changed since it was added") {
				return fmt.Errorf("commit error %v, want a changed staged file", err)
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			dest := filepath.Join(dir, tt.dest)
			var before map[string][]byte
			if tt.existing {
				if strings.HasSuffix(tt.dest, "/") {
					dest += "/"
				}
				if _, err := WriteAll(t.Context(), dest, testWriterOptions(), other, nil); err != nil {
					t.Fatal(err)
				}
				writeBytes(t, dir, "README", []byte("not ours"))
				before = snapshot(t, dir, false)
			}
			w, err := Create(dest, testWriterOptions())
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range sampleConnectors() {
				if _, err := w.Add(c); err != nil {
					t.Fatal(err)
				}
			}
			if tt.existing && !reflect.DeepEqual(snapshot(t, dir, true), before) {
				t.Error("destination changed before Commit")
			}
			if err := tt.fail(t, w, dir); err != nil {
				t.Fatal(err)
			}
			if got := snapshot(t, dir, false); !reflect.DeepEqual(got, before) {
				t.Errorf("after a failed write, the directory holds %q, want %q", keys(got), keys(before))
			}
			if err := w.Abort(); err != nil {
				t.Errorf("Abort after the end: %v", err)
			}
			if _, err := w.Add(other[0]); err == nil {
				t.Error("Add after the end: no error")
			}
			if _, err := w.Commit(t.Context()); err == nil {
				t.Error("Commit after the end: no error")
			}
		})
	}
}

func wantError(err error) error {
	if err == nil {
		return errors.New("no error")
	}
	return nil
}

// snapshot returns every file under dir (hidden ones included) and its content;
// staging directories are left out when skipStaging is set.
func snapshot(t *testing.T, dir string, skipStaging bool) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		if skipStaging && strings.Contains(d.Name(), ".connvault-staging-") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			files[rel+"/"] = nil
			return nil
		}
		files[rel] = readFile(t, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		return nil
	}
	return files
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestCommitReplacesArchive(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "b.tgz")
	old := []Connector{{ScriptName: "old", Name: "Old"}}
	if _, err := WriteAll(t.Context(), p, testWriterOptions(), old, nil); err != nil {
		t.Fatal(err)
	}
	_, m := writeSample(t, dir, "b.tgz")
	got, err := Verify(t.Context(), p, ReadOptions{})
	if err != nil || got.ContentDigest != m.ContentDigest {
		t.Fatalf("Verify: %v, digest %s want %s", err, got.ContentDigest, m.ContentDigest)
	}
	if names := listDir(t, dir); !slices.Equal(names, []string{"b.tgz"}) {
		t.Errorf("directory holds %q, want only the bundle", names)
	}
}

func TestCommitReplacesDirectory(t *testing.T) {
	dir := t.TempDir()
	old := []Connector{{ScriptName: "old", Name: "Old", SourceConfig: []byte("<old/>")}}
	if _, err := WriteAll(t.Context(), dir, testWriterOptions(), old, nil); err != nil {
		t.Fatal(err)
	}
	writeBytes(t, dir, "README.md", []byte("backups"))
	if err := os.MkdirAll(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeBytes(t, dir, ".git/HEAD", []byte("ref: refs/heads/main"))

	_, m := writeSample(t, dir, ".")
	got, err := Verify(t.Context(), dir, ReadOptions{})
	if err != nil || got.ContentDigest != m.ContentDigest {
		t.Fatalf("Verify: %v, digest %s want %s", err, got.ContentDigest, m.ContentDigest)
	}
	if names := listDir(t, dir); !slices.Equal(names, []string{".git", "README.md", "connectors", "manifest.json"}) {
		t.Errorf("directory holds %q", names)
	}
	if _, err := os.Stat(filepath.Join(dir, "connectors", "old")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the old connector is still there (%v)", err)
	}
	if string(readFile(t, filepath.Join(dir, ".git", "HEAD"))) != "ref: refs/heads/main" {
		t.Error(".git was changed")
	}
}
