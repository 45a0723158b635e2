//go:build unix

package bundle

import (
	"path/filepath"
	"syscall"
	"testing"
)

func TestOpenRejectsSpecialFileInDirectory(t *testing.T) {
	dir, _ := writeSample(t, t.TempDir(), "b/")
	remove(t, filepath.Join(dir, ldapSource))
	if err := syscall.Mkfifo(filepath.Join(dir, ldapSource), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), dir, ReadOptions{})
	wantInvalid(t, err, ldapSource, "special file: only regular files are allowed")
}
