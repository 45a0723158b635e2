// Package tempfile makes the private temporary files and directories that
// hold a copy of bundle content (spools of an extracted archive or of target
// details, a copy of a bundle read from stdin) so that no such copy outlives
// its process: not after Ctrl-C, not after kill -9, not after SIGPIPE (a
// reader piped into head).
//
// A spool file is unlinked as soon as it is created, where the system
// allows it (Linux, macOS: the open file lives on, nameless, until the
// process ends, however it ends). Where it does not (Windows, which refuses
// to remove an open file), the caller removes it when done, and every new
// spool first removes the spools of its pattern older than StaleAge, which
// no live process holds there. A directory, which must keep its name while
// its process reads it, holds a lock file locked for its process's life; the
// next Dir of the same pattern removes every such directory whose lock is
// free (its process is gone).
package tempfile

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// StaleAge is how old a spool file of a pattern must be before a new spool
// of that pattern removes it. Where spools are unlinked at once, only files
// of earlier versions of connvault (or of a system that could not unlink)
// match; removing one that a live process still holds open is harmless on
// such a system, and impossible on the others.
const StaleAge = time.Hour

// lockName is the lock file in a Dir.
const lockName = ".lock"

// freshAge is how young a Dir without a held lock may be and still count as
// being set up by a live process (which locks it microseconds after making it).
const freshAge = time.Minute

// Spool creates a new temporary file in dir ("" means os.TempDir()) named
// by pattern (as os.CreateTemp), mode 0600, for reading and writing, and
// unlinks it at once. path is "" when it was unlinked; otherwise it is the
// file's name, which the caller must remove after closing the file. Before
// creating it, Spool removes the files of pattern in dir older than StaleAge.
func Spool(dir, pattern string) (f *os.File, path string, err error) {
	if dir == "" {
		dir = os.TempDir()
	}
	removeStale(dir, pattern)
	f, err = os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, "", err
	}
	if os.Remove(f.Name()) == nil {
		return f, "", nil
	}
	return f, f.Name(), nil
}

// removeStale removes the regular files of pattern in dir older than
// StaleAge.
func removeStale(dir, pattern string) {
	old, _ := filepath.Glob(filepath.Join(dir, pattern))
	for _, p := range old {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > StaleAge {
			_ = os.Remove(p)
		}
	}
}

// Dir creates a new private directory (0700) in os.TempDir() named by
// pattern (as os.MkdirTemp) and locks it for the life of the process;
// release unlocks and removes it. Before creating it, Dir removes the
// directories of pattern that a process which ended without release left
// (their lock is free).
func Dir(pattern string) (dir string, release func(), err error) {
	RemoveAbandoned(pattern)
	dir, err = os.MkdirTemp("", pattern)
	if err != nil {
		return "", nil, err
	}
	l := flock.New(filepath.Join(dir, lockName))
	locked, err := l.TryLock()
	if err == nil && !locked {
		err = fmt.Errorf("lock %s: held by another process", dir)
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, err
	}
	return dir, func() {
		remove(dir)
		_ = l.Unlock()
	}, nil
}

// removingPrefix names a directory being removed: out of every pattern's
// name first, so that no other process's RemoveAbandoned opens (and so
// recreates) its lock file meanwhile, which would make the removal fail.
const removingPrefix = "connvault-removing-"

// remove removes dir, renamed out of its pattern's name first where the
// system allows it.
func remove(dir string) {
	gone := filepath.Join(filepath.Dir(dir), removingPrefix+filepath.Base(dir))
	if os.Rename(dir, gone) == nil {
		dir = gone
	}
	_ = os.RemoveAll(dir)
}

// RemoveAbandoned removes the directories of pattern in os.TempDir() whose
// lock no live process holds: those a process made by Dir and never
// released (killed, or ended by a signal). One being set up right now (no
// lock yet, younger than a minute) is left alone.
func RemoveAbandoned(pattern string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), pattern))
	for _, d := range dirs {
		fi, err := os.Lstat(d)
		if err != nil || !fi.IsDir() {
			continue
		}
		lock := filepath.Join(d, lockName)
		if _, err := os.Lstat(lock); err != nil && time.Since(fi.ModTime()) < freshAge {
			continue
		}
		l := flock.New(lock)
		if ok, err := l.TryLock(); err != nil || !ok {
			continue // a live process holds it
		}
		remove(d)
		_ = l.Unlock()
	}
	// Directories of a process killed while it removed one.
	gone, _ := filepath.Glob(filepath.Join(os.TempDir(), removingPrefix+"*"))
	for _, d := range gone {
		if fi, err := os.Lstat(d); err == nil && fi.IsDir() && time.Since(fi.ModTime()) > freshAge {
			_ = os.RemoveAll(d)
		}
	}
}
