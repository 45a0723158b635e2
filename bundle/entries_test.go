package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The manifest's name, type, className, status and scriptName are covered by
// no hash: a manifest edited by hand must still be caught, by comparing them
// with connector.json.
func TestManifestEntryMustAgreeWithConnectorJSON(t *testing.T) {
	tests := []struct {
		name, from, to, reason string
	}{
		{"renamed", `"name": "Acme LDAP"`, `"name": "Evil Name"`, `name "Evil Name", its connector.json says "Acme LDAP"`},
		{"no edit", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := writeSample(t, t.TempDir(), "b/")
			mp := filepath.Join(p, manifestName)
			data := readFile(t, mp)
			if tt.from != "" {
				if !strings.Contains(string(data), tt.from) {
					t.Fatalf("manifest lacks %s", tt.from)
				}
				data = []byte(strings.Replace(string(data), tt.from, tt.to, 1))
				if err := os.WriteFile(mp, data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Verify(t.Context(), p, ReadOptions{})
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("an untouched bundle does not verify: %v", err)
				}
				return
			}
			wantInvalid(t, err, manifestName, tt.reason)
		})
	}
}

// Writing into an existing directory replaces its manifest.json and
// connectors/ only when they are a bundle's.
func TestCreateRefusesToReplaceWhatIsNotABundle(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
		refuse  string
	}{
		{"empty directory", func(*testing.T, string) {}, ""},
		{"a previous bundle", func(t *testing.T, dir string) {
			writeConnectors(t, filepath.Dir(dir), filepath.Base(dir)+"/", sampleConnectors()[:1], nil)
		}, ""},
		{"foreign connectors dir", func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, connectorsDir), 0o700)
			os.WriteFile(filepath.Join(dir, connectorsDir, "notes.txt"), []byte("mine"), 0o600)
		}, "not a connvault bundle"},
		{"foreign manifest", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, manifestName), []byte(`{"name":"my-npm-thing"}`), 0o600)
		}, "not a connvault manifest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			os.MkdirAll(dir, 0o700)
			tt.prepare(t, dir)
			w, err := Create(dir, testWriterOptions())
			if tt.refuse == "" {
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				w.Abort()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.refuse) {
				t.Fatalf("Create into %s: error %v, want one saying %q", tt.name, err, tt.refuse)
			}
			if tt.name == "foreign connectors dir" {
				if got := readFile(t, filepath.Join(dir, connectorsDir, "notes.txt")); string(got) != "mine" {
					t.Errorf("notes.txt changed: %q", got)
				}
			}
		})
	}
}

// What a killed run left beside or inside the destination is removed by the
// next run to it.
func TestCreateRemovesStaleStaging(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "b.tar.gz")
	staleArchive := filepath.Join(dir, ".b.tar.gz.connvault-staging-123")
	staleTmp := filepath.Join(dir, ".b.tar.gz.connvault-tmp-456")
	other := filepath.Join(dir, ".other.tar.gz.connvault-staging-789")
	for _, p := range []string{staleArchive, other} {
		os.MkdirAll(p, 0o700)
		os.WriteFile(filepath.Join(p, "spool"), []byte("x"), 0o600)
	}
	os.WriteFile(staleTmp, []byte("partial"), 0o600)
	w, err := Create(archive, testWriterOptions())
	if err != nil {
		t.Fatal(err)
	}
	w.Abort()
	for _, p := range []string{staleArchive, staleTmp} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was left", filepath.Base(p))
		}
	}
	if _, err := os.Lstat(other); err != nil {
		t.Errorf("another destination's staging was removed: %v", err)
	}

	// Inside an existing directory bundle; one holding a previous bundle
	// (a swap by a connvault that kept no journal, killed after moving the
	// manifest out) is put back first.
	bdir, _ := writeSample(t, t.TempDir(), "d/")
	stale := filepath.Join(bdir, ".connvault-staging-1")
	legacy := filepath.Join(bdir, ".connvault-staging-2")
	os.MkdirAll(stale, 0o700)
	os.MkdirAll(filepath.Join(legacy, ".old"), 0o700)
	if err := os.Rename(filepath.Join(bdir, manifestName), filepath.Join(legacy, ".old", manifestName)); err != nil {
		t.Fatal(err)
	}
	w, err = Create(bdir, testWriterOptions())
	if err != nil {
		t.Fatal(err)
	}
	w.Abort()
	for _, p := range []string{stale, legacy} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("staging %s inside the directory bundle was left", filepath.Base(p))
		}
	}
	if _, err := Verify(t.Context(), bdir, ReadOptions{}); err != nil {
		t.Errorf("the previous bundle was not put back: %v", err)
	}
}
