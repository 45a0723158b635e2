// Package atomicfile writes small files so that a failed or interrupted run
// never leaves a partial file at the destination: a temporary file beside it,
// fsync, then rename.
package atomicfile

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
)

// Write creates path's directory (0700) if needed and writes path with mode
// through write, atomically. On error path is as it was.
func Write(path string, mode os.FileMode, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// WriteBytes writes data to path with mode, atomically.
func WriteBytes(path string, mode os.FileMode, data []byte) error {
	return Write(path, mode, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(data))
		return err
	})
}

// SameFile reports whether a and b name one file or directory: the same
// inode once symbolic links are followed, or, when either does not exist
// (yet), the same cleaned absolute path. "" names nothing. Writers use it to
// refuse an output that is their own input, which writing would replace.
func SameFile(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(fa, fb)
	}
	aa, errA := filepath.Abs(a)
	ab, errB := filepath.Abs(b)
	return errA == nil && errB == nil && aa == ab
}
