package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
)

// An undo bundle is an ordinary bundle (format version 1) of the target's
// pre-images: every connector an import updates or deletes, as it was before
// the first write, keyed by its target scriptName. The manifest's options
// hold an undoInfo: which connectors the import creates (deleted by a
// rollback; listed before the creates are sent, given their scriptNames once
// known, and dropped when the tenant refused the create), which it deletes,
// and which locales it adds to existing connectors (a rollback cannot remove
// those).
const (
	undoKind          = "connvault-undo"
	undoFormatVersion = 1
)

type undoInfo struct {
	Kind          string       `json:"kind"`
	FormatVersion int          `json:"formatVersion"`
	RunID         string       `json:"runId"`
	Target        TargetRef    `json:"target"`
	Creates       []undoCreate `json:"creates,omitempty"`
	Deletes       []string     `json:"deletes,omitempty"`
	AddedLocales  []undoLocale `json:"addedLocales,omitempty"`
	// Unproven names connectors a create of the run may have made (its
	// answer was lost) that were matched later (by the mapping the user
	// added): pre-existing as far as the run can prove, so restored by a
	// rollback, never deleted, and reported.
	Unproven []string `json:"unproven,omitempty"`
	// Written records, by target scriptName, what the import wrote to each
	// connector (created or updated), as read back; WrittenRecorded is set
	// once the run recorded it for every connector (at the end of a run).
	Written         map[string]undoWritten `json:"written,omitempty"`
	WrittenRecorded bool                   `json:"writtenRecorded,omitempty"`
}

// undoWritten is what an import wrote to one connector: the parts, and the
// SHA-256 of each part (partHashes's keys: part names, "metadata",
// "fields"). With ReadBack the hashes are of the whole connector as read
// back after the writes; without, of the parts as they were sent (a run
// that stopped before reading back).
type undoWritten struct {
	Parts    []string          `json:"parts"`
	Hashes   map[string]string `json:"hashes"`
	ReadBack bool              `json:"readBack,omitempty"`
}

// merge adds a later write to w: the parts accumulate; hashes read back
// replace all earlier ones, sent hashes only those of their parts (unless
// w was read back since). w takes later's hashes as they are: the caller
// gives later up (a 10,000-connector import would otherwise hold two
// copies of every connector's hashes while it writes its undo bundle).
func (w *undoWritten) merge(later undoWritten) {
	for _, p := range later.Parts {
		if !slices.Contains(w.Parts, p) {
			w.Parts = append(w.Parts, p)
		}
	}
	slices.SortFunc(w.Parts, comparePartNames)
	switch {
	case later.ReadBack:
		w.Hashes, w.ReadBack = later.Hashes, true
	default:
		if w.Hashes == nil {
			w.Hashes = map[string]string{}
		}
		maps.Copy(w.Hashes, later.Hashes)
		w.ReadBack = false
	}
}

func (u *undoSet) addWritten(scriptName string, w undoWritten) {
	if u.info.Written == nil {
		u.info.Written = map[string]undoWritten{}
	}
	cur := u.info.Written[scriptName]
	cur.merge(w)
	u.info.Written[scriptName] = cur
}

// undoCreate is a connector the import creates. ScriptName is "" until the
// create succeeded (the journal has it meanwhile).
type undoCreate struct {
	Name             string `json:"name"`
	SourceScriptName string `json:"sourceScriptName,omitempty"`
	ScriptName       string `json:"scriptName,omitempty"`
}

// undoLocale is a locale the import adds to an existing connector.
type undoLocale struct {
	ScriptName string `json:"scriptName"`
	Name       string `json:"name"`
	Locale     string `json:"locale"`
}

// undoSet is an undo bundle being written, or read.
type undoSet struct {
	info      undoInfo
	pre       map[string]preImage // pre-images by target scriptName
	createdAt time.Time
}

// preImage is one connector of an undo bundle: held in memory (read from an
// undo bundle, or found after a lost create answer), or the detail a plan
// read, spooled in a detailStore and read back whenever the undo bundle is
// written, so that an import of thousands of updates does not hold their
// pre-images.
type preImage struct {
	locales    []string          // of its translations, sorted
	c          *bundle.Connector // in memory; nil when spooled
	store      *detailStore
	scriptName string // in store
}

func heldPreImage(c bundle.Connector) preImage {
	return preImage{locales: slices.Sorted(maps.Keys(c.Translations)), c: &c}
}

func spooledPreImage(store *detailStore, d tenant.ConnectorDetail) preImage {
	return preImage{locales: slices.Sorted(maps.Keys(d.TranslationProperties)), store: store, scriptName: d.ScriptName}
}

// load returns the pre-image as an undo bundle holds it.
func (p preImage) load() (bundle.Connector, error) {
	if p.c != nil {
		return *p.c, nil
	}
	d, ok, err := p.store.get(p.scriptName)
	if err != nil {
		return bundle.Connector{}, err
	}
	if !ok {
		return bundle.Connector{}, fmt.Errorf("pre-image of %s: no longer spooled", p.scriptName)
	}
	return toBundle(d)
}

func newUndoSet(runID string, target TargetRef, createdAt time.Time) *undoSet {
	return &undoSet{
		info:      undoInfo{Kind: undoKind, FormatVersion: undoFormatVersion, RunID: runID, Target: target},
		pre:       map[string]preImage{},
		createdAt: createdAt,
	}
}

// write writes the undo bundle atomically, one pre-image at a time.
func (u *undoSet) write(ctx context.Context, path, toolVersion string) error {
	opts, err := json.Marshal(u.info)
	if err != nil {
		return fmt.Errorf("encode undo information: %w", err)
	}
	w, err := bundle.Create(path, bundle.WriterOptions{
		CreatedAt:   u.createdAt,
		ToolVersion: toolVersion,
		Source:      bundle.Source{URL: u.info.Target.URL, API: u.info.Target.API},
		Options:     opts,
	})
	if err != nil {
		return fmt.Errorf("write undo bundle %s: %w", path, err)
	}
	for _, s := range slices.Sorted(maps.Keys(u.pre)) {
		c, err := u.pre[s].load()
		if err == nil {
			err = ctx.Err()
		}
		if err == nil {
			_, err = w.Add(c)
		}
		if err != nil {
			_ = w.Abort()
			return fmt.Errorf("write undo bundle %s: %w", path, err)
		}
	}
	if _, err := w.Commit(ctx); err != nil {
		return fmt.Errorf("write undo bundle %s: %w", path, err)
	}
	return nil
}

// held returns the pre-images of an undo bundle that was read.
func (u *undoSet) held() map[string]bundle.Connector {
	out := make(map[string]bundle.Connector, len(u.pre))
	for s, p := range u.pre {
		if p.c != nil {
			out[s] = *p.c
		}
	}
	return out
}

// readUndo opens and verifies an undo bundle.
func readUndo(ctx context.Context, path string) (*undoSet, error) {
	b, err := bundle.Open(ctx, path, bundle.ReadOptions{})
	if err != nil {
		return nil, fmt.Errorf("open undo bundle: %w", err)
	}
	defer b.Close()
	var info undoInfo
	if len(b.Manifest.Options) > 0 {
		if err := json.Unmarshal(b.Manifest.Options, &info); err != nil {
			return nil, fmt.Errorf("undo bundle %s: decode its undo information: %w", path, err)
		}
	}
	if info.Kind != undoKind {
		return nil, fmt.Errorf("%s is a bundle but not an undo bundle (written by import)", path)
	}
	if info.FormatVersion > undoFormatVersion {
		return nil, fmt.Errorf("undo bundle %s has undo format version %d, newer than this connvault reads (%d); upgrade connvault",
			path, info.FormatVersion, undoFormatVersion)
	}
	cs, err := b.LoadAll()
	if err != nil {
		return nil, fmt.Errorf("read undo bundle %s: %w", path, err)
	}
	u := &undoSet{info: info, pre: make(map[string]preImage, len(cs)), createdAt: b.Manifest.CreatedAt}
	for _, c := range cs {
		u.pre[c.ScriptName] = heldPreImage(c)
	}
	return u, nil
}

func (u *undoSet) createIndex(name string) int {
	return slices.IndexFunc(u.info.Creates, func(c undoCreate) bool { return glob.SameName(c.Name, name) })
}

// addCreate records a connector the import creates; false if already there.
func (u *undoSet) addCreate(name, sourceScriptName string) bool {
	if u.createIndex(name) >= 0 {
		return false
	}
	u.info.Creates = append(u.info.Creates, undoCreate{Name: name, SourceScriptName: sourceScriptName})
	return true
}

// markCreated records the scriptName of a connector the import created,
// adding it to the creates if missing; false if already known.
func (u *undoSet) markCreated(name, sourceScriptName, scriptName string) bool {
	i := u.createIndex(name)
	if i < 0 {
		u.info.Creates = append(u.info.Creates, undoCreate{Name: name, SourceScriptName: sourceScriptName, ScriptName: scriptName})
		return true
	}
	if u.info.Creates[i].ScriptName == scriptName {
		return false
	}
	u.info.Creates[i].ScriptName = scriptName
	return true
}

// dropCreate removes a connector the import planned to create but did not
// (the tenant refused it, or it was never sent): a rollback must neither
// delete nor look for it. One already created (a scriptName recorded) stays.
// It returns false if there was nothing to remove.
func (u *undoSet) dropCreate(name string) bool {
	i := u.createIndex(name)
	if i < 0 || u.info.Creates[i].ScriptName != "" {
		return false
	}
	u.info.Creates = slices.Delete(u.info.Creates, i, i+1)
	return true
}

func (u *undoSet) addLocale(l undoLocale) bool {
	if slices.Contains(u.info.AddedLocales, l) {
		return false
	}
	u.info.AddedLocales = append(u.info.AddedLocales, l)
	return true
}

func (u *undoSet) addDelete(scriptName string) bool {
	if slices.Contains(u.info.Deletes, scriptName) {
		return false
	}
	u.info.Deletes = append(u.info.Deletes, scriptName)
	return true
}

func (u *undoSet) addUnproven(name string) bool {
	if slices.ContainsFunc(u.info.Unproven, func(n string) bool { return glob.SameName(n, name) }) {
		return false
	}
	u.info.Unproven = append(u.info.Unproven, name)
	return true
}
