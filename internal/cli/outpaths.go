package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/connvault/connvault/internal/atomicfile"
)

// refuseOverInput refuses (exit 2, before anything is read) an output path
// that is one of the command's inputs: the same file or directory after
// symbolic links, however spelled (IN and ./IN). Writing it would replace
// the input, such as the only copy of a backup. Empty inputs are skipped.
func refuseOverInput(what, out string, inputs ...string) error {
	for _, in := range inputs {
		if atomicfile.SameFile(out, in) {
			if in == out {
				return usageErrorf("%s %s is also the input: writing it would replace the input; write to another path", what, out)
			}
			return usageErrorf("%s %s is the input %s (the same file): writing it would replace the input; write to another path", what, out, in)
		}
	}
	return nil
}

// checkWritable refuses (exit 2), before anything is read or requested, an
// output path whose directory is missing or cannot be written, so that a
// run never does all its work and then fails to save it. what names the
// path as the user gave it (--out, OUT). dirForm says path is itself the
// directory to write into (a directory bundle): it may be missing if its
// parent is there, as the bundle writer creates one level. "" and "-"
// (stdout) pass.
func checkWritable(what, path string, dirForm bool) error {
	if path == "" || path == "-" {
		return nil
	}
	dir := filepath.Dir(filepath.Clean(path))
	if dirForm {
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			dir = path
		}
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usageErrorf("%s %s: the directory %s does not exist; create it first", what, path, dir)
	case err != nil:
		return usageErrorf("%s %s: %v", what, path, err)
	case !fi.IsDir():
		return usageErrorf("%s %s: %s is not a directory", what, path, dir)
	}
	probe, err := os.CreateTemp(dir, ".connvault-probe-*")
	if err != nil {
		return usageErrorf("%s %s: cannot write in %s: %v", what, path, dir, unwrapPathError(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// unwrapPathError drops the temporary name from an *fs.PathError, keeping
// the reason (permission denied, read-only file system).
func unwrapPathError(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// isDirForm reports whether an export --out names the directory form.
func isDirForm(out string) bool {
	if strings.HasSuffix(out, "/") || strings.HasSuffix(out, string(os.PathSeparator)) {
		return true
	}
	fi, err := os.Stat(out)
	return err == nil && fi.IsDir()
}
