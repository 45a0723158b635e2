package bundle

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
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
