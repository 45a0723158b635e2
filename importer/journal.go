package importer

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
)

// Journal operations, one JSON object per line in StateDir/run-<id>.journal.
const (
	opBegin      = "begin"      // a run starts: target, bundle, undo and mapping paths
	opUndo       = "undo"       // the undo bundle is written; writes may follow
	opCreate     = "create"     // a POST is about to be sent for this name
	opUnsent     = "unsent"     // the create intent before was never sent (interrupted first): nothing was created
	opCreated    = "created"    // the run provably created it with this scriptName; hashes: what its answer shows (identity, metadata)
	opAdopted    = "adopted"    // found after a lost answer, not as sent: pre-existing, not the run's
	opRefused    = "refused"    // the create definitively created nothing (a 4xx, or never sent), and no earlier attempt of the run can have
	opDeleted    = "deleted"    // a target-only connector was deleted
	opWrite      = "write"      // these parts of a connector are about to be written, with these hashes
	opDone       = "done"       // a connector was written and read back equal: its parts as read back
	opState      = "state"      // a connector the run created, read after the run stopped before reading it back: its hashes
	opFailed     = "failed"     // a connector failed (error recorded)
	opEnd        = "end"        // every item succeeded: the run is finished
	opResume     = "resume"     // a rerun continues the run
	opRolledBack = "rolledback" // Rollback undid the run: nothing to continue or probe
)

// record is one line of a journal.
type record struct {
	Op               string    `json:"op"`
	Time             time.Time `json:"time,omitzero"`
	RunID            string    `json:"runId,omitempty"`
	Target           string    `json:"target,omitempty"`
	Bundle           string    `json:"bundle,omitempty"`
	UndoPath         string    `json:"undoPath,omitempty"`
	MappingPath      string    `json:"mappingPath,omitempty"`
	Name             string    `json:"name,omitempty"`
	SourceScriptName string    `json:"sourceScriptName,omitempty"`
	ScriptName       string    `json:"scriptName,omitempty"`
	Error            string    `json:"error,omitempty"`
	// Parts and Hashes: of a write, the parts about to be written and the
	// SHA-256 of each; of a done, the parts written and the hashes of every
	// part as read back afterwards (partHashes).
	Parts  []string          `json:"parts,omitempty"`
	Hashes map[string]string `json:"hashes,omitempty"`
	// Body is a create intent's request, exactly as sent; AbsentAtPlan says
	// the plan found no connector of the name (not listed, not found
	// through sources, the mapping or probes). Found marks a created record
	// of a connector found by name after its create's answer was lost.
	Body         *tenant.NewConnector `json:"body,omitempty"`
	AbsentAtPlan bool                 `json:"absentAtPlan,omitempty"`
	Found        bool                 `json:"found,omitempty"`
}

// journal appends records to a run's journal file. Each record is one
// write(2) of one line, so a killed process leaves whole records behind; the
// records that matter across a power loss (begin, undo, end) are also fsynced.
type journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
	now  func() time.Time
}

func openJournal(path string, now func() time.Time) (*journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	// A record cut short by a crash must not swallow the next one.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			if _, err := f.Write([]byte("\n")); err != nil {
				f.Close()
				return nil, fmt.Errorf("repair journal %s: %w", path, err)
			}
		}
	}
	return &journal{f: f, path: path, now: now}, nil
}

func (j *journal) add(r record, durable bool) error {
	r.Time = j.now().UTC()
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode journal record: %w", err)
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(b); err != nil {
		return fmt.Errorf("write journal %s: %w", j.path, err)
	}
	if durable {
		if err := j.f.Sync(); err != nil {
			return fmt.Errorf("sync journal %s: %w", j.path, err)
		}
	}
	return nil
}

func (j *journal) close() error {
	if err := j.f.Close(); err != nil {
		return fmt.Errorf("close journal %s: %w", j.path, err)
	}
	return nil
}

// runLog is a journal as read back: what its summary records say. Its
// other records stay in the file and are read again, one at a time, by
// scan: a state directory holds every run's journal, each a record per
// connector written, so holding them would grow with the history of
// imports.
type runLog struct {
	path       string
	begin      record
	undo       bool // the undo bundle was written: the run may have written to the target
	ended      bool
	rolledBack bool
	// createdNames are the scriptNames the run created (opCreated), by
	// glob.NameKey of the name.
	createdNames map[string]string
}

// created returns the scriptNames this run created, by glob.NameKey of the name.
func (r runLog) created() map[string]string { return r.createdNames }

// scan reads the run's journal again and gives each record, in order, to
// every visit (one read for several folds: writtenFold, createsFold,
// leftFold). Lines that do not decode (a record cut short by a power loss)
// are skipped. It returns an error when the journal cannot be read to its
// end.
func (r runLog) scan(visit ...func(record)) error {
	f, err := os.Open(r.path)
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), maxRecordSize)
	for sc.Scan() {
		var rec record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			continue
		}
		for _, fn := range visit {
			fn(rec)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read journal %s: %w", r.path, err)
	}
	return nil
}

// maxRecordSize is the longest journal line read, in bytes.
const maxRecordSize = 16 * 1024 * 1024

// writtenFold gives what a run wrote to each connector, by target
// scriptName, over all its attempts (undoWritten.merge).
// It is a fold over records: visit each (runLog.scan), then result.
func writtenFold() (visit func(record), result func() map[string]undoWritten) {
	out := map[string]undoWritten{}
	return func(rec record) {
		if (rec.Op != opWrite && rec.Op != opDone) || rec.ScriptName == "" || len(rec.Hashes) == 0 && len(rec.Parts) == 0 {
			return
		}
		w := out[rec.ScriptName]
		w.merge(undoWritten{Parts: rec.Parts, Hashes: rec.Hashes, ReadBack: rec.Op == opDone})
		out[rec.ScriptName] = w
	}, func() map[string]undoWritten { return out }
}

// createState is what a run's journal tells about the creates it sent for
// one name, over all its attempts.
type createState struct {
	name, source string // as journaled
	scriptName   string // created (or adopted after a lost answer) with this scriptName
	// ambiguous: a create was sent whose outcome is unknown (the answer was
	// lost, the process died, or the tenant refused a retry after a lost
	// answer: ErrUnresolvedCreate) and no later create of the name
	// succeeded. A connector of the name may be the run's.
	ambiguous bool
	// body and absentAtPlan: of the last create intent (record.Body,
	// record.AbsentAtPlan); nil for a journal of an older connvault.
	body         *tenant.NewConnector
	absentAtPlan bool
	// refused: a create was definitively refused (a 4xx, or never sent) while
	// no earlier attempt could have created the connector. Alone, it means
	// the run created nothing under the name: a connector of that name the
	// target has is not the run's.
	refused bool
}

// creates returns what the run's creates came to, by glob.NameKey of the name.
// Records of one name are in order: an intent (create), then at most one
// outcome (created or refused); an intent without an outcome is ambiguous.
func (r runLog) creates() (map[string]createState, error) {
	visit, result := createsFold()
	err := r.scan(visit)
	return result(), err
}

// createsFold is creates as a fold over records: visit each, then result.
func createsFold() (visit func(record), result func() map[string]createState) {
	out := map[string]createState{}
	pending := map[string]bool{}
	return func(rec record) {
			k := glob.NameKey(rec.Name)
			st := out[k]
			switch rec.Op {
			case opCreate:
				if pending[k] {
					st.ambiguous = true
				}
				pending[k] = true
				st.name, st.source = rec.Name, rec.SourceScriptName
				st.body, st.absentAtPlan = rec.Body, rec.AbsentAtPlan
			case opUnsent:
				pending[k] = false
			case opCreated:
				if rec.ScriptName == "" {
					return
				}
				st.scriptName, st.ambiguous, st.refused = rec.ScriptName, false, false
				pending[k] = false
			case opRefused:
				st.refused = true
				pending[k] = false
			case opAdopted:
				st.ambiguous, st.refused = false, false
				pending[k] = false
			default:
				return
			}
			out[k] = st
		}, func() map[string]createState {
			for k, p := range pending {
				if p {
					st := out[k]
					st.ambiguous = true
					out[k] = st
				}
			}
			return out
		}
}

func journalPath(stateDir, runID string) string {
	return filepath.Join(stateDir, "run-"+runID+".journal")
}

// readRuns reads every journal in dir, oldest first. A missing dir has none.
// Lines that do not decode (a record cut short by a power loss) are skipped.
func readRuns(dir string) ([]runLog, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "run-*.journal"))
	if err != nil {
		return nil, fmt.Errorf("list journals in %s: %w", dir, err)
	}
	var runs []runLog
	for _, p := range paths {
		r, err := readRun(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if r.begin.RunID != "" {
			runs = append(runs, r)
		}
	}
	slices.SortStableFunc(runs, func(a, b runLog) int { return a.begin.Time.Compare(b.begin.Time) })
	return runs, nil
}

func readRun(path string) (runLog, error) {
	r := runLog{path: path, createdNames: map[string]string{}}
	err := r.scan(func(rec record) {
		switch rec.Op {
		case opBegin:
			if r.begin.RunID == "" {
				r.begin = rec
			}
		case opUndo:
			r.undo = true
		case opEnd:
			r.ended = true
		case opRolledBack:
			r.rolledBack = true
		case opCreated:
			if rec.ScriptName != "" {
				r.createdNames[glob.NameKey(rec.Name)] = rec.ScriptName
			}
		}
	})
	if err != nil {
		return runLog{}, err
	}
	return r, nil
}

// resumable returns the newest unfinished run of the same import (same
// target, same bundle) that may have written to the target: its undo bundle
// is written, and it has neither ended (every item succeeded) nor been rolled
// back. Such a run was interrupted (crash, Ctrl-C, kill) or stopped with
// failed items; a run whose every item succeeded, including a later run
// that finished it, has ended and is never continued.
func resumable(runs []runLog, target, bundleID string) (runLog, bool) {
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if r.undo && !r.ended && !r.rolledBack && tenant.SameURL(r.begin.Target, target) && r.begin.Bundle == bundleID {
			return r, true
		}
	}
	return runLog{}, false
}

// createdEarlier returns, by glob.NameKey of the name, the scriptNames that earlier
// runs into target created, newest first: candidates to probe when the list
// cannot show a connector.
func createdEarlier(stateDir, target string) (map[string][]string, error) {
	runs, err := readRuns(stateDir)
	if err != nil {
		return nil, err
	}
	var live []runLog
	for _, r := range runs {
		if !r.rolledBack {
			live = append(live, r)
		}
	}
	return earlierCreates(live, target, ""), nil
}

// newRunID returns a run id that sorts by time and does not collide.
func newRunID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
