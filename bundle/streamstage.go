package bundle

import (
	"os"
	"path/filepath"

	"github.com/gofrs/flock"
)

// A stream (`--out -`) is staged in a temporary directory that nothing at the
// destination names, so a run killed outright would leave it forever. Its
// staging directory holds a lock file, locked for the Writer's life (the
// operating system drops the lock when the process dies): the next
// CreateStream removes every staging directory whose lock it can take.

const (
	streamStagingPattern = "connvault-staging-*"
	stagingLockName      = ".lock"
)

// lockStaging creates and locks the lock file of a stream's staging directory.
func lockStaging(dir string) (*flock.Flock, error) {
	l := flock.New(filepath.Join(dir, stagingLockName))
	if _, err := l.TryLock(); err != nil {
		return nil, err
	}
	return l, nil
}

// removeAbandonedStaging removes the stream staging directories in tempDir
// that a killed run left: those whose lock is free. A directory without a
// lock file may be a run between creating it and locking it, and is kept.
func removeAbandonedStaging(tempDir string) {
	if tempDir == "" {
		tempDir = os.TempDir()
	}
	dirs, _ := filepath.Glob(filepath.Join(tempDir, streamStagingPattern))
	for _, d := range dirs {
		lockPath := filepath.Join(d, stagingLockName)
		if _, err := os.Lstat(lockPath); err != nil {
			continue
		}
		l := flock.New(lockPath)
		if ok, err := l.TryLock(); err != nil || !ok {
			continue // a live run holds it
		}
		_ = os.RemoveAll(d)
		_ = l.Unlock()
	}
}
