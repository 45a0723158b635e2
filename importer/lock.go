package importer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// stateLockName is the lock file in StateDir. An import holds it from before
// its first read of the journals to its end, so that two imports never share
// a state directory (the journal of one would not know the other's creates).
// The lock is the operating system's (flock, LockFileEx): it dies with its
// process, so a crash leaves nothing to clean up. The file holds who took it.
const stateLockName = "lock"

// ErrStateDirBusy is wrapped by the error of Apply when another run holds
// the state directory: nothing was written, and once that run ends a rerun
// proceeds.
var ErrStateDirBusy = errors.New("state directory in use by another run")

// lockStateDir takes the lock of dir (created if needed) for a run described
// by what, or returns an error wrapping ErrStateDirBusy naming the holder.
func lockStateDir(dir, what string, now time.Time) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	path := filepath.Join(dir, stateLockName)
	l := flock.New(path)
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock state directory %s: %w", dir, err)
	}
	if !ok {
		holder, _ := os.ReadFile(path)
		who := strings.TrimSpace(string(holder))
		if who == "" {
			who = "another connvault run"
		}
		return nil, fmt.Errorf("%w: %s is held by %s; wait for it to end (nothing was written), then run this again", ErrStateDirBusy, dir, who)
	}
	host, _ := os.Hostname()
	info := fmt.Sprintf("%s (pid %d on %s, since %s)\n", what, os.Getpid(), host, now.UTC().Format(time.RFC3339))
	_ = os.WriteFile(path, []byte(info), 0o600) // who holds it, for the next one; the lock does not depend on it
	return func() {
		_ = os.Truncate(path, 0)
		_ = l.Unlock()
	}, nil
}
