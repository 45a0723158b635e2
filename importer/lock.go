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

// StateLock is a state directory's lock held by this process (LockStateDir).
type StateLock struct {
	dir    string // absolute
	unlock func()
}

// LockStateDir takes the lock of dir (created if needed) for a run described
// by what (e.g. "an import into https://…"), or returns an error wrapping
// ErrStateDirBusy naming the holder (pid, host, since when). A caller that
// reads the journals itself (the CLI: before it plans) takes it first and
// passes it in Options.Lock, so that Apply and ApplyRollback run under it:
// the lock is per open file, so a second take in the same process would be
// refused like any other.
func LockStateDir(dir, what string, now time.Time) (*StateLock, error) {
	unlock, err := lockStateDir(dir, what, now)
	if err != nil {
		return nil, err
	}
	return &StateLock{dir: absDir(dir), unlock: unlock}, nil
}

// Unlock releases the lock; a nil lock, or one released already, is a no-op.
func (l *StateLock) Unlock() {
	if l != nil && l.unlock != nil {
		l.unlock()
		l.unlock = nil
	}
}

// holds reports whether l is the held lock of dir.
func (l *StateLock) holds(dir string) bool {
	return l != nil && l.unlock != nil && l.dir == absDir(dir)
}

func absDir(dir string) string {
	if a, err := filepath.Abs(dir); err == nil {
		return a
	}
	return filepath.Clean(dir)
}

// lockUnlessHeld takes the lock of opts.StateDir unless opts.Lock holds it
// already; the returned unlock releases only what it took.
func lockUnlessHeld(opts Options, what string) (unlock func(), err error) {
	if opts.Lock.holds(opts.StateDir) {
		return func() {}, nil
	}
	return lockStateDir(opts.StateDir, what, opts.Now())
}

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
