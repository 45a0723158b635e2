package importer

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/connvault/connvault/internal/glob"
)

// TestReadRunsHoldsNoRecords: a state directory keeps every run's journal,
// a record per connector written, so reading the runs (every plan, import
// and rollback does) must not hold their records: what it keeps is the
// summary, and the records are read again, one at a time, where needed.
// Reading a state directory of two 10,000-connector runs once held every
// record (tens of MB); the summary is a few KB, plus the names of the
// connectors the runs created.
func TestReadRunsHoldsNoRecords(t *testing.T) {
	dir := t.TempDir()
	now := func() time.Time { return time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) }
	const connectors = 10000
	hashes := map[string]string{}
	for _, p := range []string{"source-config", "source-template", "correlation-config", "translations/de", "translations/en", "metadata", "fields"} {
		hashes[p] = fmt.Sprintf("%064x", len(p))
	}
	var size int64
	for run := range 2 {
		id := fmt.Sprintf("20261201T10000%dZ-00000%d", run, run)
		j, err := openJournal(journalPath(dir, id), now)
		if err != nil {
			t.Fatal(err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(j.add(record{Op: opBegin, RunID: id, Target: "https://tenant.example", Bundle: "sha256:b"}, true))
		must(j.add(record{Op: opUndo}, true))
		for i := range connectors {
			name, s := fmt.Sprintf("Connector %d", i), fmt.Sprintf("connector-%d-%d", run, i)
			parts := []string{"source-config", "source-template", "correlation-config", "translations/de", "translations/en", "metadata"}
			if i%2 == 0 {
				must(j.add(record{Op: opCreate, Name: name, SourceScriptName: s}, false))
				must(j.add(record{Op: opCreated, Name: name, ScriptName: s}, false))
			}
			must(j.add(record{Op: opWrite, Name: name, ScriptName: s, Parts: parts, Hashes: hashes}, false))
			must(j.add(record{Op: opDone, Name: name, ScriptName: s, Parts: parts, Hashes: hashes}, false))
		}
		must(j.close())
		info, err := os.Stat(j.path)
		must(err)
		size += info.Size()
	}

	before := liveHeap()
	runs, err := readRuns(dir)
	if err != nil {
		t.Fatal(err)
	}
	held := int64(liveHeap()) - int64(before)
	if len(runs) != 2 || runs[0].begin.RunID == "" || !runs[0].undo || runs[0].ended {
		t.Fatalf("runs read: %+v", runs)
	}
	if got := len(runs[1].created()); got != connectors/2 {
		t.Errorf("run 2 created %d connectors, want %d", got, connectors/2)
	}
	// The names of what the runs created: 2 × 5,000 entries, about 1 MB.
	if limit := size / 20; held > limit {
		t.Errorf("reading %d journals of %d bytes in all holds %d bytes, want at most %d (the records are read again where needed, not held)",
			len(runs), size, held, limit)
	}

	// Records are still there to read, one at a time.
	visit, result := writtenFold()
	if err := runs[0].scan(visit); err != nil {
		t.Fatal(err)
	}
	written := result()
	if len(written) != connectors || !written["connector-0-17"].ReadBack || len(written["connector-0-17"].Parts) != 6 {
		t.Errorf("written: %d connectors, connector-0-17 %+v", len(written), written["connector-0-17"])
	}
	creates, err := runs[0].creates()
	if err != nil {
		t.Fatal(err)
	}
	if st := creates[glob.NameKey("Connector 4")]; len(creates) != connectors/2 || st.scriptName != "connector-0-4" || st.ambiguous {
		t.Errorf("creates: %d names, connector 4 %+v", len(creates), st)
	}
	runtime.KeepAlive(runs)
}

// TestScanReportsAnUnreadableJournal: a journal that cannot be read to its
// end is an error, never a shorter history.
func TestScanReportsAnUnreadableJournal(t *testing.T) {
	dir := t.TempDir()
	p := journalPath(dir, "20261201T100000Z-000000")
	line := `{"op":"begin","runId":"20261201T100000Z-000000","target":"https://t"}` + "\n"
	if err := os.WriteFile(p, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	runs, err := readRuns(dir)
	if err != nil || len(runs) != 1 {
		t.Fatalf("readRuns: %d runs, %v", len(runs), err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(p, 0o700); err != nil { // a directory where the journal was: reading it fails
		t.Fatal(err)
	}
	visitWritten, _ := writtenFold()
	if err := runs[0].scan(visitWritten); err == nil {
		t.Fatalf("written() of an unreadable journal: no error")
	}
	if _, err := runs[0].creates(); err == nil {
		t.Fatalf("creates() of an unreadable journal: no error")
	}
	visitLeft, _ := leftFold(nil)
	if err := runs[0].scan(visitLeft); err == nil {
		t.Fatalf("left() of an unreadable journal: no error")
	}
}

// liveHeap returns the bytes of the heap still in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
