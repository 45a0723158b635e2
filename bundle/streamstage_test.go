package bundle

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// A killed `--out -` run leaves its staging directory in the temporary
// directory, with an unlocked lock file (the lock died with the process):
// the next stream removes it, and never the staging of a run still going.
func TestStreamStagingOfAKilledRunIsRemoved(t *testing.T) {
	tmp := t.TempDir()
	dead := filepath.Join(tmp, "connvault-staging-1234")
	if err := os.Mkdir(dead, 0o700); err != nil {
		t.Fatal(err)
	}
	writeBytes(t, dead, stagingLockName, nil)
	writeBytes(t, dead, spoolName, bytes.Repeat([]byte("x"), 1<<10))

	var live bytes.Buffer
	running, err := CreateStream(&live, tmp, testWriterOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the killed run's staging is still there: %v", err)
	}
	var out bytes.Buffer
	next, err := CreateStream(&out, tmp, testWriterOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := running.Add(sampleConnectors()[1]); err != nil {
		t.Fatalf("the running stream lost its staging to the next one: %v", err)
	}
	if _, err := running.Commit(t.Context()); err != nil {
		t.Fatalf("the running stream: %v", err)
	}
	if _, err := next.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, tmp); len(got) != 0 {
		t.Errorf("left in the temporary directory: %q", got)
	}
}

// Streams started at the same moment in one temporary directory (two
// backups at once) never remove each other's staging: each one's cleanup
// of abandoned staging runs while the others create and lock theirs.
// (Created and locked under its final name, a staging directory could be
// removed between the two steps, and its stream failed with "open
// …/manifest.json: no such file or directory"; and a cleanup opening the
// lock file of a staging directory being removed after its commit failed
// that commit: "directory not empty".) Nothing is left behind.
func TestConcurrentStreamsKeepTheirStaging(t *testing.T) {
	tmp := t.TempDir()
	const streams = 16
	for round := range 10 {
		var wg sync.WaitGroup
		errs := make(chan error, streams)
		for range streams {
			wg.Go(func() {
				var out bytes.Buffer
				w, err := CreateStream(&out, tmp, testWriterOptions())
				if err != nil {
					errs <- err
					return
				}
				if _, err := w.Add(sampleConnectors()[1]); err != nil {
					_ = w.Abort()
					errs <- err
					return
				}
				if _, err := w.Commit(t.Context()); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: a stream lost its staging to another: %v", round, err)
		}
	}
	if got := listDir(t, tmp); len(got) != 0 {
		t.Errorf("left in the temporary directory: %q", got)
	}
}

// A run killed between making its staging directory and locking it leaves
// a connvault-prep-* directory: removed once older than an hour, kept
// while younger (its run may be about to lock it).
func TestAbandonedPrepStagingIsRemoved(t *testing.T) {
	tmp := t.TempDir()
	old, young := filepath.Join(tmp, stagingPrepPrefix+"1"), filepath.Join(tmp, stagingPrepPrefix+"2")
	for _, d := range []string{old, young} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Now().Add(-2 * prepAge)
	if err := os.Chtimes(old, at, at); err != nil {
		t.Fatal(err)
	}
	removeAbandonedStaging(tmp)
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("the abandoned %s is still there: %v", old, err)
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("a young prep directory was removed: %v", err)
	}
}
