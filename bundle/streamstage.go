package bundle

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// A stream (`--out -`) is staged in a temporary directory that nothing at the
// destination names, so a run killed outright would leave it forever. Its
// staging directory holds a lock file, locked for the Writer's life (the
// operating system drops the lock when the process dies): the next
// CreateStream removes every staging directory whose lock it can take.
//
// A staging directory is made under another name (connvault-prep-*) and
// takes that name (connvault-staging-*) only once its lock is held, so no
// run ever sees a staging directory whose lock is free but which a live run
// is about to lock: when creating and locking were one step under the final
// name, a concurrent run could remove a staging directory between the two,
// and the stream lost its files ("open …/manifest.json: no such file").

const (
	streamStagingPattern = "connvault-staging-*"
	stagingPrepPrefix    = "connvault-prep-"
	stagingLockName      = ".lock"
	// prepAge is how old a connvault-prep-* directory must be to count as
	// abandoned: a live run renames its own within microseconds.
	prepAge = time.Hour
)

// newStaging makes a stream's staging directory in tempDir and locks it.
func newStaging(tempDir string) (string, *flock.Flock, error) {
	if tempDir == "" {
		tempDir = os.TempDir()
	}
	prep, err := os.MkdirTemp(tempDir, stagingPrepPrefix+"*")
	if err != nil {
		return "", nil, err
	}
	l := flock.New(filepath.Join(prep, stagingLockName))
	locked, err := l.TryLock()
	if err == nil && !locked {
		err = fmt.Errorf("staging %s: its lock is held by another process", prep)
	}
	if err != nil {
		_ = os.RemoveAll(prep)
		return "", nil, err
	}
	final := filepath.Join(tempDir, strings.Replace(filepath.Base(prep), stagingPrepPrefix, strings.TrimSuffix(streamStagingPattern, "*"), 1))
	if err := os.Rename(prep, final); err != nil { // the lock, on the open file, stays held
		_ = l.Unlock()
		_ = os.RemoveAll(prep)
		return "", nil, err
	}
	return final, l, nil
}

// removeAbandonedStaging removes the stream staging directories in tempDir
// that a killed run left: those whose lock is free, and directories of runs
// killed before they locked theirs or while they removed them
// (connvault-prep-*, older than prepAge).
func removeAbandonedStaging(tempDir string) {
	if tempDir == "" {
		tempDir = os.TempDir()
	}
	dirs, _ := filepath.Glob(filepath.Join(tempDir, streamStagingPattern))
	for _, d := range dirs {
		l := flock.New(filepath.Join(d, stagingLockName))
		if ok, err := l.TryLock(); err != nil || !ok {
			continue // a live run holds it
		}
		_ = removeStaging(d)
		_ = l.Unlock()
	}
	preps, _ := filepath.Glob(filepath.Join(tempDir, stagingPrepPrefix+"*"))
	for _, d := range preps {
		if fi, err := os.Lstat(d); err == nil && fi.IsDir() && time.Since(fi.ModTime()) > prepAge {
			_ = os.RemoveAll(d)
		}
	}
}

// removeStaging removes a Writer's staging directory. A stream's is first
// renamed out of the staging name (to connvault-prep-removing-*), so that
// no other run's cleanup opens its lock file while it is being removed
// (which recreated the file and failed the removal: "directory not
// empty"); other staging directories are removed as they are.
func removeStaging(dir string) error {
	stream := strings.TrimSuffix(streamStagingPattern, "*")
	if rest, ok := strings.CutPrefix(filepath.Base(dir), stream); ok {
		gone := filepath.Join(filepath.Dir(dir), stagingPrepPrefix+"removing-"+rest)
		if err := os.Rename(dir, gone); err == nil {
			dir = gone
		}
	}
	return os.RemoveAll(dir)
}
