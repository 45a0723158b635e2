package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenRejectsDirectory changes a directory bundle on disk and checks that
// Open refuses it, naming the file and the reason.
func TestOpenRejectsDirectory(t *testing.T) {
	tests := []struct {
		name   string
		opts   ReadOptions
		edit   func(t *testing.T, dir string)
		file   string
		reason string // "" means the bundle must open
	}{
		{
			name: "other entries are ignored",
			edit: func(t *testing.T, dir string) {
				writeBytes(t, dir, "README.md", []byte("x"))
				if err := os.Mkdir(filepath.Join(dir, ".git"), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "flipped byte",
			edit: func(t *testing.T, dir string) {
				data := readFile(t, filepath.Join(dir, ldapSource))
				data[100] ^= 0x20
				writeBytes(t, dir, ldapSource, data)
			},
			file: ldapSource, reason: "content does not match its sha256 in the manifest",
		},
		{
			name: "truncated file",
			edit: func(t *testing.T, dir string) {
				data := readFile(t, filepath.Join(dir, ldapSource))
				writeBytes(t, dir, ldapSource, data[:10])
			},
			file: ldapSource, reason: "smaller than its size in the manifest",
		},
		{
			name:   "missing file",
			edit:   func(t *testing.T, dir string) { remove(t, filepath.Join(dir, ldapSource)) },
			file:   ldapSource,
			reason: "listed in the manifest but missing from the bundle",
		},
		{
			name:   "extra file",
			edit:   func(t *testing.T, dir string) { writeBytes(t, dir, "connectors/acme-ldap/.DS_Store", nil) },
			file:   "connectors/acme-ldap/.DS_Store",
			reason: "not in the manifest",
		},
		{
			name: "stray directory",
			edit: func(t *testing.T, dir string) {
				if err := os.Mkdir(filepath.Join(dir, "connectors", "other"), 0o700); err != nil {
					t.Fatal(err)
				}
			},
			file: "connectors/other", reason: "directory that holds no file of the manifest",
		},
		{
			name: "symlink",
			edit: func(t *testing.T, dir string) {
				remove(t, filepath.Join(dir, ldapSource))
				symlink(t, "/etc/passwd", filepath.Join(dir, ldapSource))
			},
			file: ldapSource, reason: "symbolic link: only regular files are allowed",
		},
		{
			name: "symlinked connectors directory",
			edit: func(t *testing.T, dir string) {
				elsewhere := t.TempDir()
				if err := os.Rename(filepath.Join(dir, "connectors"), filepath.Join(elsewhere, "connectors")); err != nil {
					t.Fatal(err)
				}
				symlink(t, filepath.Join(elsewhere, "connectors"), filepath.Join(dir, "connectors"))
			},
			file: "connectors", reason: "symbolic link, not a directory",
		},
		{
			name: "symlinked manifest",
			edit: func(t *testing.T, dir string) {
				elsewhere := filepath.Join(t.TempDir(), "m.json")
				if err := os.Rename(filepath.Join(dir, manifestName), elsewhere); err != nil {
					t.Fatal(err)
				}
				symlink(t, elsewhere, filepath.Join(dir, manifestName))
			},
			file: manifestName, reason: "symbolic link: only regular files are allowed",
		},
		{
			name:   "no manifest",
			edit:   func(t *testing.T, dir string) { remove(t, filepath.Join(dir, manifestName)) },
			file:   manifestName,
			reason: "missing",
		},
		{
			name: "future format version",
			edit: func(t *testing.T, dir string) {
				p := filepath.Join(dir, manifestName)
				data := strings.Replace(string(readFile(t, p)), `"formatVersion": 1`, `"formatVersion": 2`, 1)
				writeBytes(t, dir, manifestName, []byte(data))
			},
			file: manifestName, reason: "bundle format version 2 is newer than this connvault reads (1); upgrade connvault",
		},
		{
			name:   "oversized entry",
			opts:   ReadOptions{MaxEntrySize: 16 << 10},
			edit:   func(*testing.T, string) {},
			file:   ldapSource,
			reason: "exceeds the entry size limit of 16384 bytes",
		},
		{
			name:   "oversized manifest",
			opts:   ReadOptions{MaxEntrySize: 100},
			edit:   func(*testing.T, string) {},
			file:   manifestName,
			reason: "exceeds the entry size limit of 100 bytes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _ := writeSample(t, t.TempDir(), "b/")
			tt.edit(t, dir)
			b, err := Open(t.Context(), dir, tt.opts)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				if _, err := b.LoadAll(); err != nil {
					t.Fatalf("LoadAll: %v", err)
				}
				if err := b.Close(); err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(filepath.Join(dir, manifestName)); err != nil {
					t.Errorf("Close of a directory bundle removed it: %v", err)
				}
				return
			}
			wantInvalid(t, err, tt.file, tt.reason)
		})
	}
}

func remove(t *testing.T, p string) {
	t.Helper()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, p string) {
	t.Helper()
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}
