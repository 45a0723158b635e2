package importer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
)

// Errors of Apply refusing a plan.
var (
	// ErrConflicts: Apply was given a plan with conflicts and no SkipConflicts.
	ErrConflicts = errors.New("plan has conflicts")
	// ErrTooManyDeletes: the plan deletes more than Options.MaxDeletes.
	ErrTooManyDeletes = errors.New("too many deletions")
)

// Item statuses of a Result.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusSkipped = "skipped"
	StatusPartial = "partial" // done, but something could not be (rollback: an added locale, a new scriptName)
)

// Result is the outcome of Apply or Rollback. Per-item failures are here,
// not in the error.
type Result struct {
	Items []ItemResult `json:"items"`
	// Requests (HTTP requests, -1 if the target does not count them), Reads
	// and Writes count the whole operation, planning included when the plan
	// was made in this process, or the drift check of a saved plan.
	Requests int64 `json:"requests"`
	Reads    int64 `json:"reads"`
	Writes   int64 `json:"writes"`
	// Normalised says, once, that the tenant stores or serves what was
	// written in another form (line endings, XML declaration), which the
	// read-back accepted as equal in canonical form; "" when it does not.
	Normalised string `json:"normalised,omitempty"`
	// RunID names the run (its journal is StateDir/run-<id>.journal); "" when
	// Apply started none: the plan had no changes and no run was unfinished.
	RunID string `json:"runId,omitempty"`
	// Resumed: Apply continued an unfinished run of the same bundle into the
	// same target (one interrupted, or stopped with failed items) instead of
	// starting one. It then kept that run's undo bundle (UndoPath): the
	// pre-images it holds are the state before that run, and Apply added the
	// current pre-image of every connector it writes that the bundle did not
	// hold yet. An unfinished run is continued even by a plan with no changes,
	// which only finishes it.
	Resumed bool `json:"resumed,omitempty"`
	// UndoPath is the undo bundle that rolls the run back; "" when no run was
	// started (nothing written, so nothing to undo).
	UndoPath    string `json:"undoPath,omitempty"`
	MappingPath string `json:"mappingPath,omitempty"`
	// SourcesNote says why the target's sources could not be read, when they
	// could not (the plan's, or the rollback plan's, note).
	SourcesNote string `json:"sourcesNote,omitempty"`
	// Hidden are the connectors of the bundle that the target holds after
	// the run (created, or matched) with a status other than RELEASED: the
	// target's connector list hides them, so its exports and backups must
	// name them (--script-name) once; sorted by target scriptName.
	Hidden []HiddenConnector `json:"hidden,omitempty"`
	// Unwritten names the connectors the run created (in this attempt or an
	// earlier one it continues) whose content it has not finished writing:
	// a create leaves the tenant's defaults (default XML, no translations,
	// no metadata) until the connector's parts are written. They are there
	// when the run stopped first (interrupted, or a wait past
	// tenant.Options.MaxWait) or their write failed; a rerun of the same
	// import writes them, a rollback deletes them. A write cut off by the
	// interrupt may have reached the tenant all the same.
	Unwritten []string `json:"unwritten,omitempty"`
	// PartlyWritten names the other connectors the run wrote some parts of
	// but not all (their write stopped or failed in the middle); a rerun
	// writes the rest, a rollback restores what was written.
	PartlyWritten []string `json:"partlyWritten,omitempty"`
}

// HiddenConnector is a connector the target's list does not show.
type HiddenConnector struct {
	ScriptName       string `json:"scriptName"` // in the target
	Name             string `json:"name"`
	Status           string `json:"status"`
	SourceScriptName string `json:"sourceScriptName,omitempty"` // the bundle's, when it differs
}

// ItemResult is the outcome for one connector.
type ItemResult struct {
	Action           Action   `json:"action"`
	Name             string   `json:"name"`
	SourceScriptName string   `json:"sourceScriptName,omitempty"`
	TargetScriptName string   `json:"targetScriptName,omitempty"`
	Parts            []string `json:"parts,omitempty"` // written
	Status           string   `json:"status"`          // ok, failed, skipped, partial
	Error            string   `json:"error,omitempty"`
	TrackingID       string   `json:"trackingId,omitempty"`
	Notes            []string `json:"notes,omitempty"`
	// Sources are the target sources using the connector, when they were read.
	Sources []SourceRef `json:"sources,omitempty"`
	// Uploads are the connector files (jars) the bundle records on sources
	// that use this connector: each still to upload, or seen done.
	Uploads []Upload `json:"uploads,omitempty"`
	// ScriptNameChange is set when the import created the connector under a
	// scriptName other than the bundle's in a restore (the bundle came from
	// this tenant), or when target sources name the bundle's scriptName or
	// another connector has it. (In a migration to another tenant every
	// create gets a new scriptName: the mapping file records those.)
	ScriptNameChange *ScriptNameChange `json:"scriptNameChange,omitempty"`
	// Retryable: the item failed, but a plain rerun may succeed (a lost
	// answer, a 5xx, a network failure, an interruption). It is false for what
	// a rerun cannot fix: a create the tenant refused (a name already taken:
	// add a mapping entry), ErrUnresolvedCreate, content the tenant refused,
	// and anything a rollback cannot undo.
	Retryable bool `json:"retryable,omitempty"`
}

// Failed returns how many items were not fully done (failed or partial, or
// skipped by a rollback: ActionSkip): the exit code is "partial" when it is
// not 0.
func (r Result) Failed() int {
	n := 0
	for _, it := range r.Items {
		if it.Status == StatusFailed || it.Status == StatusPartial || it.Action == ActionSkip {
			n++
		}
	}
	return n
}

// Retryable reports whether a plain rerun of the same command may succeed for
// every item that failed (ItemResult.Retryable), so that "rerun to continue"
// is sound advice. It is false if any item failed for a reason a rerun cannot
// fix (the item's error says what to do: typically add a mapping entry), or
// is partial (rollback: an effect the API cannot undo), and true when nothing
// failed.
func (r Result) Retryable() bool {
	for _, it := range r.Items {
		if it.Action == ActionSkip {
			return false
		}
		switch it.Status {
		case StatusPartial:
			return false
		case StatusFailed:
			if !it.Retryable {
				return false
			}
		}
	}
	return true
}

// Apply carries out a plan (docs/ARCHITECTURE.md, "The import algorithm"):
// it refuses a plan for another target or other input, with conflicts (unless SkipConflicts), with deletions
// (unless AllowDelete), or, when the plan was loaded from a file, made before
// the target drifted. Then it writes the undo bundle of every pre-image,
// creates the new connectors, and writes each connector's differing parts in
// the order source-config, source-template, correlation-config, translations,
// metadata, with Concurrency connectors at a time, reading each back to
// compare. Finally it writes the mapping file.
//
// A journal in StateDir records the run. If a run of the same bundle into the
// same target did not finish (crash, Ctrl-C, failed items), Apply continues it
// (Result.Resumed): it keeps that run's undo bundle, adding the current
// pre-image of every connector it writes that the bundle does not hold yet,
// and its record of created connectors, which it writes into the undo bundle.
// A run finishes when every item succeeded. A plan can be applied once.
//
// A plan with no changes (HasChanges false) writes nothing to the target and
// no undo bundle: Apply finishes an unfinished run of the same import if there
// is one (recording its end and completing its undo bundle), else starts no
// run at all; either way it writes the mapping file and returns one item per
// plan item.
//
// Apply consumes p: once drift is checked it drops the plan's spooled
// details and pre-image hashes (PreImages, PreImageParts), which the run
// never reads again.
func Apply(ctx context.Context, t Target, src Source, p *Plan, opts Options) (Result, error) {
	opts = opts.withDefaults()
	m := newMeter(t)
	if err := checkApplicable(t, src, p, opts, m.want); err != nil {
		return Result{}, err
	}
	unlock, err := lockUnlessHeld(opts, "an import into "+p.Target.URL)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	details, fresh := p.details, p.details != nil
	p.details = nil
	defer func() { details.close() }()
	result := func(r Result, err error) (Result, error) {
		r.Reads, r.Writes, r.Requests = m.reads.Load(), m.writes.Load(), m.requests()
		r.Normalised = m.norm.summary()
		if fresh {
			r.Reads += p.Reads
			if r.Requests >= 0 && p.Requests >= 0 {
				r.Requests += p.Requests
			}
		}
		return r, err
	}
	if !fresh {
		var err error
		if details, err = checkDrift(ctx, m, p, opts.Concurrency, opts.StateDir); err != nil {
			return result(Result{}, err)
		}
		if dels := deletions(p); len(dels) > 0 { // sources may use them since the plan was made
			if _, err := checkInUse(ctx, m, dels, opts); err != nil {
				return result(Result{}, err)
			}
		}
	}
	// Drift is checked: nothing of the run reads the pre-image hashes
	// again, and an import of 10,000 updates would hold some 10 MB of them
	// (a plan is applied once).
	p.PreImages, p.PreImageParts = nil, nil
	a := &applier{t: m, w: &writer{t: m}, opts: opts, plan: p, details: details, input: src, src: map[string]bundle.Connector{}, srcIndex: map[string]int{},
		results: make([]ItemResult, len(p.Items)), targets: make([]string, len(p.Items)),
		created: make([]*tenant.Connector, len(p.Items)), refused: make([]bool, len(p.Items)),
		adopted: make([]*tenant.ConnectorDetail, len(p.Items)), written: make([]*undoWritten, len(p.Items))}
	for i, c := range src.Connectors {
		a.src[c.ScriptName], a.srcIndex[c.ScriptName] = c, i
	}
	a.sameTenant = src.Manifest.Source.URL != "" && tenant.SameURL(src.Manifest.Source.URL, t.BaseURL())
	res, err := a.run(ctx)
	if err == nil {
		a.checklistUploads(ctx, &res, p.srcs)
	}
	res.SourcesNote = p.SourcesNote
	return result(res, err)
}

// checkApplicable refuses what must not be applied, before any request.
// want is given each bundle connector, with its content, as the input
// digest is computed (meter.want).
func checkApplicable(t Target, src Source, p *Plan, opts Options, want func(...bundle.Connector)) error {
	if p.Format != PlanFormat || p.FormatVersion != PlanFormatVersion {
		return fmt.Errorf("not a plan this connvault applies (format %q version %d)", p.Format, p.FormatVersion)
	}
	if err := p.CheckTarget(t.BaseURL()); err != nil {
		return err
	}
	if got, err := inputDigest(src, want); err != nil {
		return err
	} else if got != p.Bundle.InputDigest {
		return fmt.Errorf("the bundle (after transforms) is not the one the plan was made from (%s); make a new plan", p.Bundle.Path)
	}
	if err := checkSource(src, opts); err != nil {
		return err
	}
	var conflicts, deletes []string
	for _, it := range p.Items {
		switch it.Action {
		case ActionConflict:
			conflicts = append(conflicts, fmt.Sprintf("%q (%s)", it.Name, it.Reason))
		case ActionDelete:
			deletes = append(deletes, fmt.Sprintf("%q (%s)", it.Name, it.TargetScriptName))
		}
	}
	if len(conflicts) > 0 && !opts.SkipConflicts {
		return fmt.Errorf("%w: %s; resolve them, or import the rest with --skip-conflicts", ErrConflicts, strings.Join(conflicts, ", "))
	}
	if len(deletes) > 0 && !p.ScopeChecked {
		return fmt.Errorf("the plan deletes %s, but it was made without checking the bundle's scope (an older connvault); make a new plan",
			strings.Join(deletes, ", "))
	}
	if len(deletes) > 0 && opts.AllowDelete && len(deletes) > max(opts.MaxDeletes, 0) {
		return fmt.Errorf("%w: the plan deletes %d connectors, more than --max-deletes %d allows: %s; check them, then raise --max-deletes to apply",
			ErrTooManyDeletes, len(deletes), max(opts.MaxDeletes, 0), strings.Join(deletes, ", "))
	}
	if len(deletes) > 0 && !opts.AllowDelete {
		return fmt.Errorf("the plan deletes %s: apply it with --allow-delete", strings.Join(deletes, ", "))
	}
	if len(deletes) > 0 && !src.Manifest.Complete {
		return fmt.Errorf("the plan deletes %s, but the bundle is incomplete: they may be connectors its export failed to capture; make a new plan (it keeps them)",
			strings.Join(deletes, ", "))
	}
	return nil
}

type applier struct {
	t          *meter
	w          *writer
	opts       Options
	plan       *Plan
	details    *detailStore // pre-images by target scriptName
	input      Source
	src        map[string]bundle.Connector // by source scriptName: heads only when input.Load is set
	srcIndex   map[string]int              // by source scriptName: index in input.Connectors
	sameTenant bool

	// Per plan item, each written only by the item's own goroutine.
	results []ItemResult
	targets []string                  // target scriptName (matched, or created)
	created []*tenant.Connector       // create response
	adopted []*tenant.ConnectorDetail // found after a lost create answer, not provably created: its pre-image
	written []*undoWritten            // what the item wrote, as read back

	undoDirty bool                  // the undo bundle changed in memory beyond what syncUndo tracks
	stopped   atomic.Pointer[error] // the first wait past MaxWait: no item starts after it

	refused []bool // the item's create definitively created nothing

	j           *journal
	undo        *undoSet
	runID       string
	undoPath    string
	mappingPath string
	resumed     bool
	prevCreates map[string]createState // the continued run's creates, by glob.NameKey of the name
	earlier     map[string][]string    // scriptNames earlier runs created, by glob.NameKey of the name
}

func (a *applier) run(ctx context.Context) (Result, error) {
	var work, creates []int
	for i, it := range a.plan.Items {
		a.targets[i] = it.TargetScriptName
		r := ItemResult{Action: it.Action, Name: it.Name, SourceScriptName: it.SourceScriptName,
			TargetScriptName: it.TargetScriptName, Notes: it.Notes, Sources: it.Sources}
		switch it.Action {
		case ActionUnchanged:
			r.Status = StatusOK
		case ActionConflict:
			r.Status, r.Error = StatusSkipped, "conflict: "+it.Reason
		case ActionKeep:
			r.Status = StatusSkipped
			r.Notes = append(r.Notes, "only in the target: kept")
		case ActionCreate:
			creates = append(creates, i)
			work = append(work, i)
		default:
			work = append(work, i)
		}
		a.results[i] = r
	}
	if len(work) == 0 {
		// Nothing to write, so no undo bundle and no run; but an unfinished
		// run of this import is finished now, its undo bundle completed.
		resume, err := a.hasResumable()
		if err != nil {
			return a.result(), err
		}
		if !resume {
			a.opts.Progress.SetTotal(0)
			a.mappingPath = firstNonEmpty(a.opts.MappingPath,
				filepath.Join(a.opts.StateDir, "mapping-"+newRunID(a.opts.Now())+".json"))
			if err := refuseExisting("mapping file", a.mappingPath, ""); err != nil {
				return a.result(), err
			}
			return a.result(), a.writeMapping()
		}
	}
	if err := a.begin(ctx); err != nil {
		return a.result(), err
	}
	defer a.j.close()
	a.opts.Progress.SetTotal(len(work))

	forEach(ctx, a.opts.Concurrency, creates, a.unlessStopped(a.create))
	// The undo bundle lists what was created before anything else is
	// written, so that it alone rolls back even a run killed from here on.
	if err := a.syncUndo(context.WithoutCancel(ctx)); err != nil {
		return a.result(), err
	}
	remap := a.remapTable()
	forEach(ctx, a.opts.Concurrency, work, a.unlessStopped(func(ctx context.Context, i int) {
		switch {
		case a.results[i].Status == StatusFailed:
			return // its create failed, already reported
		case a.plan.Items[i].Action == ActionDelete:
			a.delete(ctx, i)
		default:
			a.write(ctx, i, remap)
		}
		report(a.opts.Progress, a.results[i])
	}))
	a.recordLeft(ctx) // created connectors not read back: their state, for a rollback
	if err := ctx.Err(); err != nil {
		return a.result(), err // interrupted: the journal lets a rerun continue
	}
	return a.result(), a.finish(ctx)
}

// forEach runs f for every index, limit at a time; f records failures in
// results, so one connector failing does not stop the others. Nothing new
// starts once ctx is done.
func forEach(ctx context.Context, limit int, idx []int, f func(context.Context, int)) {
	var g errgroup.Group
	g.SetLimit(limit)
	for _, i := range idx {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			f(ctx, i)
			return nil
		})
	}
	_ = g.Wait()
}

func (a *applier) result() Result {
	res := Result{Items: a.results, RunID: a.runID, Resumed: a.resumed, UndoPath: a.undoPath, MappingPath: a.mappingPath}
	for i, it := range a.plan.Items {
		r := a.results[i]
		// A create's TargetScriptName is set once the tenant created it.
		if it.Status == "" || it.Status == string(tenant.StatusReleased) || r.TargetScriptName == "" ||
			it.Action == ActionDelete || it.Action == ActionKeep {
			continue
		}
		h := HiddenConnector{ScriptName: r.TargetScriptName, Name: it.Name, Status: it.Status}
		if it.SourceScriptName != r.TargetScriptName {
			h.SourceScriptName = it.SourceScriptName
		}
		res.Hidden = append(res.Hidden, h)
	}
	slices.SortFunc(res.Hidden, func(a, b HiddenConnector) int { return strings.Compare(a.ScriptName, b.ScriptName) })
	for i, it := range a.plan.Items {
		r := a.results[i]
		switch {
		case r.Status == StatusOK || it.Action == ActionDelete || it.Action == ActionKeep || it.Action == ActionConflict:
		case a.created[i] != nil || a.createdByRun(it.Name, a.targets[i]):
			res.Unwritten = append(res.Unwritten, it.Name)
		case len(r.Parts) > 0:
			res.PartlyWritten = append(res.PartlyWritten, it.Name)
		}
	}
	return res
}

// unlessStopped runs f for an item unless an earlier item hit a wait
// longer than tenant.Options.MaxWait: the run then stops as export does,
// instead of sending request after request into the same rate limit, and
// the items not started fail with the wait's error (retryable: a rerun
// after that time continues).
func (a *applier) unlessStopped(f func(context.Context, int)) func(context.Context, int) {
	return func(ctx context.Context, i int) {
		if err := a.stopped.Load(); err != nil {
			if a.results[i].Status != StatusFailed {
				a.fail(i, fmt.Errorf("not started, the run stopped: %w", *err))
			}
			return
		}
		f(ctx, i)
	}
}

func (a *applier) fail(i int, err error) {
	if errors.Is(err, tenant.ErrWaitTooLong) {
		a.stopped.CompareAndSwap(nil, &err)
	}
	r := &a.results[i]
	r.Status, r.Error, r.TrackingID, r.Retryable = StatusFailed, err.Error(), trackingID(err), retryable(err)
	a.opts.Logger.Debug("import item failed", "name", r.Name, "error", err)
	if a.j != nil {
		_ = a.j.add(record{Op: opFailed, Name: r.Name, SourceScriptName: r.SourceScriptName, ScriptName: a.targets[i], Error: err.Error()}, false)
	}
}

func (a *applier) bundleID() string { return planBundleID(a.plan) }

// hasResumable reports whether an interrupted run of this import exists.
func (a *applier) hasResumable() (bool, error) {
	runs, err := readRuns(a.opts.StateDir)
	if err != nil {
		return false, err
	}
	_, ok := resumable(runs, a.plan.Target.URL, a.bundleID())
	return ok, nil
}

// begin opens the run's journal (continuing an unfinished run of the same
// import if there is one) and writes the undo bundle before any write.
func (a *applier) begin(ctx context.Context) error {
	dir := a.opts.StateDir
	runs, err := readRuns(dir)
	if err != nil {
		return err
	}
	a.earlier = map[string][]string{}
	for _, r := range runs {
		if !r.rolledBack && tenant.SameURL(r.begin.Target, a.plan.Target.URL) {
			for name, s := range r.created() {
				a.earlier[name] = append(a.earlier[name], s)
			}
		}
	}
	bundleID := a.bundleID()
	now := a.opts.Now()
	prev, resume := resumable(runs, a.plan.Target.URL, bundleID)
	changed := true // a new run's undo bundle is written in any case
	if resume {
		a.resumed, a.runID, a.undoPath = true, prev.begin.RunID, prev.begin.UndoPath
		a.mappingPath = firstNonEmpty(a.opts.MappingPath, prev.begin.MappingPath)
		if err := refuseExisting("mapping file", a.mappingPath, prev.begin.MappingPath); err != nil {
			return err
		}
		if a.opts.UndoPath != "" && a.opts.UndoPath != a.undoPath {
			a.opts.Logger.Warn("continuing an interrupted import: keeping its undo bundle", "undo", a.undoPath, "ignored", a.opts.UndoPath)
		}
		if a.undo, err = readUndo(ctx, a.undoPath); err != nil {
			return fmt.Errorf("continue interrupted import %s: %w; it is needed to roll that import back: restore it, or move %s away to start afresh",
				a.runID, err, prev.path)
		}
		visitCreates, creates := createsFold()
		visitWritten, earlierWrites := writtenFold()
		if err := prev.scan(visitCreates, visitWritten); err != nil {
			return err
		}
		a.prevCreates = creates()
		for s, w := range earlierWrites() {
			a.undo.addWritten(s, w) // what earlier attempts wrote, recorded at finish
		}
		if a.j, err = openJournal(prev.path, a.opts.Now); err != nil {
			return err
		}
		if err := a.j.add(record{Op: opResume, RunID: a.runID}, false); err != nil {
			a.j.close()
			return err
		}
		if err := a.recogniseOwnCreates(ctx); err != nil {
			a.j.close()
			return err
		}
		changed = a.reconcileCreates()
	} else {
		a.runID = newRunID(now)
		a.undoPath = firstNonEmpty(a.opts.UndoPath, filepath.Join(dir, "undo-"+a.runID+".tar.gz"))
		a.mappingPath = firstNonEmpty(a.opts.MappingPath, filepath.Join(dir, "mapping-"+a.runID+".json"))
		if err := refuseExisting("undo bundle", a.undoPath, ""); err != nil {
			return err
		}
		if err := refuseExisting("mapping file", a.mappingPath, ""); err != nil {
			return err
		}
		a.undo = newUndoSet(a.runID, a.plan.Target, now)
		a.prevCreates = map[string]createState{}
		if a.j, err = openJournal(journalPath(dir, a.runID), a.opts.Now); err != nil {
			return err
		}
		if err := a.j.add(record{Op: opBegin, RunID: a.runID, Target: a.plan.Target.URL, Bundle: bundleID,
			UndoPath: a.undoPath, MappingPath: a.mappingPath}, true); err != nil {
			a.j.close()
			return err
		}
	}
	if err := a.recordPreImages(ctx, changed); err != nil {
		a.j.close()
		return err
	}
	if err := a.j.add(record{Op: opUndo, UndoPath: a.undoPath}, true); err != nil {
		a.j.close()
		return err
	}
	a.opts.Logger.Debug("import run", "run", a.runID, "resumed", a.resumed, "undo", a.undoPath,
		"preImages", len(a.undo.pre), "creates", len(a.undo.info.Creates))
	return nil
}

// reconcileCreates brings the continued run's undo bundle up to date with its
// journal, which earlier attempts (killed, perhaps) may not have written into
// it: the scriptName of every connector they created, and no entry for a
// create that created nothing (refused, or never sent) and is not planned
// again. It reports whether the undo bundle changed.
func (a *applier) reconcileCreates() bool {
	changed := false
	for _, st := range a.prevCreates {
		if st.scriptName != "" {
			changed = a.undo.markCreated(st.name, st.source, st.scriptName) || changed
		}
	}
	planned := map[string]bool{}
	for _, it := range a.plan.Items {
		if it.Action == ActionCreate {
			planned[glob.NameKey(it.Name)] = true
		}
	}
	for _, uc := range slices.Clone(a.undo.info.Creates) {
		k := glob.NameKey(uc.Name)
		if uc.ScriptName == "" && !planned[k] && !a.prevCreates[k].ambiguous {
			changed = a.undo.dropCreate(uc.Name) || changed
		}
	}
	return changed
}

// createdByRun reports whether the run provably created the connector name
// as target scriptName: one of its creates was answered with that
// scriptName, or found it after a lost answer equal to what was sent (the
// journal's created records). Anything else is pre-existing: found through
// the mapping, by name, by a later lookup, or made by a create whose outcome
// stayed unknown.
func (a *applier) createdByRun(name, scriptName string) bool {
	if scriptName == "" {
		return false
	}
	if i := a.undo.createIndex(name); i >= 0 && a.undo.info.Creates[i].ScriptName == scriptName {
		return true
	}
	return a.prevCreates[glob.NameKey(name)].scriptName == scriptName
}

// recordPreImages adds to the undo bundle what this run will touch and the
// bundle does not hold yet, and writes it if anything was added (or changed
// is already true).
func (a *applier) recordPreImages(ctx context.Context, changed bool) error {
	for _, it := range a.plan.Items {
		t := it.TargetScriptName
		if it.Action == ActionCreate {
			changed = a.undo.addCreate(it.Name, it.SourceScriptName) || changed
			continue
		}
		if it.Action != ActionUpdate && it.Action != ActionUnchanged && it.Action != ActionDelete {
			continue
		}
		if _, ok := a.undo.pre[t]; !ok && a.createdByRun(it.Name, t) {
			// Created by an earlier attempt of the run: a rollback deletes it.
			changed = a.undo.markCreated(it.Name, it.SourceScriptName, t) || changed
			continue
		}
		// Not provably the run's: it is pre-existing. If a create of the
		// name had its answer lost, the run may have made it; the undo
		// bundle says so, and a rollback restores it but never deletes it.
		if a.prevCreates[glob.NameKey(it.Name)].ambiguous {
			changed = a.undo.addUnproven(it.Name) || changed
		}
		changed = a.undo.dropCreate(it.Name) || changed
		if it.Action == ActionDelete {
			changed = a.undo.addDelete(t) || changed
		}
		if _, ok := a.undo.pre[t]; !ok && it.Action != ActionUnchanged {
			d, ok, err := a.details.get(t)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("no pre-image of %q (%s) was read", it.Name, t)
			}
			a.undo.pre[t] = spooledPreImage(a.details, d)
			changed = true
		}
		if it.Action != ActionUpdate {
			continue
		}
		pre, ok := a.undo.pre[t]
		if !ok {
			continue
		}
		c, err := a.connector(it.SourceScriptName)
		if err != nil {
			return err
		}
		want, err := bundleContent(c)
		if err != nil {
			return err
		}
		for _, l := range want.locales() {
			if _, had := slices.BinarySearch(pre.locales, l); !had {
				changed = a.undo.addLocale(undoLocale{ScriptName: t, Name: it.Name, Locale: l}) || changed
			}
		}
	}
	if !changed {
		return nil
	}
	return a.undo.write(ctx, a.undoPath, a.opts.ToolVersion)
}

// create creates the connector of a create item (phase 1).
func (a *applier) create(ctx context.Context, i int) {
	if a.resumeCreated(ctx, i) {
		return
	}
	it := a.plan.Items[i]
	c, err := a.connector(it.SourceScriptName)
	if err != nil {
		a.fail(i, permanent(err))
		report(a.opts.Progress, a.results[i])
		return
	}
	name := glob.NameKey(it.Name)
	cands := a.earlier[name]
	if a.sameTenant {
		cands = append(cands, c.ScriptName)
	}
	got, provable, err := safeCreate(ctx, a.t, a.j, createRequest{nc: newConnector(c), source: c.ScriptName,
		candidates: cands, mayExist: a.prevCreates[name].ambiguous, absentAtPlan: true})
	if err != nil {
		var re *refusedError
		a.refused[i] = errors.As(err, &re)
		a.fail(i, err)
		report(a.opts.Progress, a.results[i])
		return
	}
	a.targets[i] = got.ScriptName
	a.results[i].TargetScriptName = got.ScriptName
	if got.ScriptName != it.SourceScriptName && (a.sameTenant || len(it.StaleSources) > 0 || it.OldHolder != "") {
		a.results[i].ScriptNameChange = &ScriptNameChange{From: it.SourceScriptName, To: got.ScriptName,
			Sources: it.StaleSources, TakenBy: it.OldHolder}
	}
	if provable {
		a.created[i] = &got
		return
	}
	// Found after a lost answer, but not as it was sent: it is not provably
	// this run's. It is updated like a pre-existing connector, from its
	// pre-image, which syncUndo saves before any write.
	d, err := a.t.GetConnector(ctx, got.ScriptName)
	if err == nil {
		if reason := conflictReason(c, d); reason != "" {
			err = permanent(errors.New(reason))
		}
	}
	if err != nil {
		a.fail(i, fmt.Errorf("%q was found as %s after a create whose answer was lost, but not as it was sent: %w", it.Name, got.ScriptName, err))
		report(a.opts.Progress, a.results[i])
		return
	}
	a.adopted[i] = &d
	a.results[i].Notes = append(a.results[i].Notes, noteAdopted)
}

// connector returns the bundle connector of a source scriptName with its
// content.
func (a *applier) connector(scriptName string) (bundle.Connector, error) {
	i, ok := a.srcIndex[scriptName]
	if !ok {
		return bundle.Connector{}, fmt.Errorf("bundle connector %s: not in the bundle", scriptName)
	}
	return a.input.load(i)
}

// noteAdopted explains a create item written as a pre-existing connector.
const noteAdopted = "found after a create whose answer was lost, but not as the create sent it (status, type or className differ): treated as pre-existing, its pre-image saved; a rollback restores it and never deletes it"

// remapTable maps every bundle connector's source scriptName to its target
// scriptName, after the creates, plus the plan's mapping.
func (a *applier) remapTable() map[string]string {
	out := map[string]string{}
	for s, t := range a.plan.Mapping {
		if s != t {
			out[s] = t
		}
	}
	for i, it := range a.plan.Items {
		if it.Action == ActionConflict || it.SourceScriptName == "" || a.targets[i] == "" {
			continue
		}
		if it.SourceScriptName != a.targets[i] {
			out[it.SourceScriptName] = a.targets[i]
		}
	}
	return out
}

// write writes the differing parts of a created or updated connector and
// reads it back (phase 2).
func (a *applier) write(ctx context.Context, i int, remap map[string]string) {
	it := a.plan.Items[i]
	target := a.targets[i]
	c, err := a.connector(it.SourceScriptName)
	if err != nil {
		a.fail(i, permanent(err))
		return
	}
	want, err := bundleContent(remapped(c, remap))
	if err != nil {
		a.fail(i, permanent(err))
		return
	}
	var have content
	if d := a.adopted[i]; d != nil {
		have = detailContent(*d)
	} else if c := a.created[i]; c != nil {
		have = content{parts: map[string][]byte{}}
		if c.ConnectorMetadata != nil {
			have.setMetadata(c.ConnectorMetadata)
		}
	} else {
		d, _, err := a.details.get(target)
		if err != nil {
			a.fail(i, err)
			return
		}
		have = detailContent(d)
	}
	parts := changes(want, have, false)
	if len(parts) > 0 {
		// Intent first: a rollback after a crash in the middle still knows
		// which parts this run may have written, and what it wrote.
		_ = a.j.add(record{Op: opWrite, Name: it.Name, ScriptName: target, Parts: parts, Hashes: want.hashes(parts)}, false)
	}
	written, answer, err := a.w.write(ctx, target, want, have, parts)
	a.results[i].Parts = written
	if err != nil {
		a.fail(i, fmt.Errorf("%q: %w", it.Name, err))
		return
	}
	var asWritten map[string]string
	if len(written) > 0 || a.created[i] != nil {
		d, err := a.w.verify(ctx, target, want, false, answer)
		if err != nil {
			a.fail(i, fmt.Errorf("%q: %w", it.Name, err))
			return
		}
		asWritten = partHashes(d)
		a.written[i] = &undoWritten{Parts: written, Hashes: asWritten, ReadBack: true}
	}
	a.results[i].Status = StatusOK
	_ = a.j.add(record{Op: opDone, Name: it.Name, SourceScriptName: it.SourceScriptName, ScriptName: target,
		Parts: written, Hashes: asWritten}, false)
}

// delete deletes a target-only connector (phase 2). Gone already is done.
func (a *applier) delete(ctx context.Context, i int) {
	it := a.plan.Items[i]
	err := a.t.DeleteConnector(ctx, it.TargetScriptName)
	if err != nil && !tenant.IsNotFound(err) {
		a.fail(i, fmt.Errorf("delete %q (%s): %w", it.Name, it.TargetScriptName, err))
		return
	}
	a.results[i].Status = StatusOK
	_ = a.j.add(record{Op: opDeleted, Name: it.Name, ScriptName: it.TargetScriptName}, false)
}

// syncUndo records this run's creates in the undo bundle: the scriptName of
// each connector created, and no entry for one the tenant refused. It writes
// the undo bundle if that changed it. Called once the creates are done
// (before any other write), and by finish.
func (a *applier) syncUndo(ctx context.Context) error {
	changed := false
	for i, c := range a.created {
		it := a.plan.Items[i]
		switch {
		case c != nil:
			changed = a.undo.markCreated(it.Name, it.SourceScriptName, c.ScriptName) || changed
		case a.refused[i]:
			changed = a.undo.dropCreate(it.Name) || changed
		case a.adopted[i] != nil:
			changed = a.undo.dropCreate(it.Name) || changed
			if _, ok := a.undo.pre[a.targets[i]]; !ok {
				pc, err := toBundle(*a.adopted[i])
				if err != nil {
					return err
				}
				a.undo.pre[a.targets[i]], changed = heldPreImage(pc), true
			}
		}
	}
	if !changed && !a.undoDirty {
		return nil
	}
	a.undoDirty = false
	return a.undo.write(ctx, a.undoPath, a.opts.ToolVersion)
}

// finish completes the undo bundle, writes the mapping file, and marks the
// run finished if every item succeeded.
func (a *applier) finish(ctx context.Context) error {
	// The undo bundle records what the run wrote, as read back, so that it
	// alone (without the journal) lets a rollback check for later changes.
	for i, w := range a.written {
		if w != nil {
			a.undo.addWritten(a.targets[i], *w)
		}
	}
	a.undo.info.WrittenRecorded = true
	a.undoDirty = true
	if err := errors.Join(a.syncUndo(ctx), a.writeMapping()); err != nil {
		return err
	}
	if a.result().Failed() == 0 {
		return a.j.add(record{Op: opEnd, RunID: a.runID}, true)
	}
	return nil
}

func (a *applier) writeMapping() error {
	if a.mappingPath == "" {
		a.mappingPath = firstNonEmpty(a.opts.MappingPath, filepath.Join(a.opts.StateDir, "mapping-"+a.runID+".json"))
	}
	m := Mapping{FormatVersion: MappingFormatVersion, Target: a.plan.Target.URL}
	inBundle := map[string]bool{}
	for i, it := range a.plan.Items {
		if it.SourceScriptName == "" || it.Action == ActionConflict || a.targets[i] == "" {
			continue
		}
		inBundle[it.SourceScriptName] = true
		m.Entries = append(m.Entries, MappingEntry{SourceScriptName: it.SourceScriptName, TargetScriptName: a.targets[i], Name: it.Name})
	}
	for s, t := range a.plan.Mapping {
		if !inBundle[s] {
			m.Entries = append(m.Entries, MappingEntry{SourceScriptName: s, TargetScriptName: t})
		}
	}
	return WriteMapping(a.mappingPath, m)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
