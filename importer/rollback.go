package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
)

// RollbackPlan is what a rollback will do, computed by PlanRollback from an
// undo bundle, the import's journal and the target's current state.
type RollbackPlan struct {
	UndoPath string    `json:"undoPath"`
	RunID    string    `json:"runId"`
	Target   TargetRef `json:"target"`
	// Items, in order: the connectors the import created (to delete), then
	// those it changed or deleted (to restore or recreate).
	Items []RollbackItem `json:"items"`
	// Force: parts and connectors changed since the import are restored or
	// deleted all the same (Options.Force).
	Force bool `json:"force,omitempty"`
	// SourcesNote says why the target's sources could not be read, when they
	// could not: connectors to delete were then not checked for use.
	SourcesNote string `json:"sourcesNote,omitempty"`
	// Journal is the path of the run's journal, "" when StateDir has none;
	// JournalNote then says what that means: nothing is deleted or
	// restored without Force.
	Journal     string `json:"journal,omitempty"`
	JournalNote string `json:"journalNote,omitempty"`

	pre  map[string]bundle.Connector
	undo *undoSet
}

// RollbackItem is one connector of a rollback plan.
type RollbackItem struct {
	// Action: delete (the import created it), update (restore the parts it
	// wrote), create (it deleted the connector: recreate it), or unchanged
	// (nothing of what it wrote is left to restore).
	Action     Action   `json:"action"`
	Name       string   `json:"name"`
	ScriptName string   `json:"scriptName,omitempty"`
	Parts      []string `json:"parts,omitempty"` // to restore
	// Changed names what changed since the import: those parts (or, for a
	// connector to delete, the connector) are skipped unless Force.
	Changed []string `json:"changed,omitempty"`
	Notes   []string `json:"notes,omitempty"`
	// Sources are the target sources that use a connector to delete (when
	// they were read).
	Sources []SourceRef `json:"sources,omitempty"`

	create  *undoCreate
	have    content
	partial bool // something of it cannot be undone (an added locale)
}

// Restored returns the parts a rollback writes back: Parts, less those
// changed since the import unless force.
func (it RollbackItem) Restored(force bool) []string {
	if force {
		return it.Parts
	}
	changed := map[string]bool{}
	for _, c := range it.Changed {
		changed[strings.Fields(c)[0]] = true
	}
	var out []string
	for _, p := range it.Parts {
		if !changed[p] {
			out = append(out, p)
		}
	}
	return out
}

// Skipped reports whether the item is left alone because of later changes
// (or changes that cannot be ruled out): a connector to delete, or one of
// which no part to restore is left once those are set aside.
func (it RollbackItem) Skipped(force bool) bool {
	return len(it.Changed) > 0 && !force && (it.Action == ActionDelete || len(it.Restored(false)) == 0)
}

// Incomplete reports whether the rollback leaves something of what the
// import did to the connector in place: it is skipped, some parts to
// restore changed since, or it holds what the API cannot undo (a locale the
// import added), a create the import cannot prove, or a connector in use
// that is not deleted. Its result is then skipped or partial (exit code 3).
// A connector to recreate may come back under a new scriptName, which only
// the rollback itself can tell.
func (it RollbackItem) Incomplete(force bool) bool {
	return len(it.Changed) > 0 && !force || it.partial || hasUnproven(it.Notes) ||
		it.Action == ActionUnchanged && strings.Contains(strings.Join(it.Notes, " "), "not deleted:")
}

// Incomplete returns how many items the rollback will leave not fully
// undone (RollbackItem.Incomplete).
func (p *RollbackPlan) Incomplete() int {
	n := 0
	for _, it := range p.Items {
		if it.Incomplete(p.Force) {
			n++
		}
	}
	return n
}

// Rollback plans (PlanRollback) and applies (ApplyRollback) a rollback.
func Rollback(ctx context.Context, t Target, undoPath string, opts Options) (Result, error) {
	p, err := PlanRollback(ctx, t, undoPath, opts)
	if err != nil {
		return Result{}, err
	}
	return ApplyRollback(ctx, t, p, opts)
}

// PlanRollback reads an undo bundle, the import's journal (in StateDir, if
// there) and the target, and returns what a rollback would do. It writes
// nothing.
//
// A rollback changes only what the import wrote, and only where it is
// unchanged since: for each connector the import updated, the parts it
// wrote whose hash still equals the hash recorded as written are restored
// from the pre-image, and parts changed since are skipped and named in
// Changed; parts it did not write are left alone. A connector it provably
// created is deleted only if every part still has the hash recorded after
// the import. A connector it deleted is recreated (with a new scriptName).
// An undo bundle without written hashes (made by an older connvault, or by
// a run that stopped before recording them, with no journal at hand) gives
// no proof: every differing part is reported as changed.
func PlanRollback(ctx context.Context, t Target, undoPath string, opts Options) (*RollbackPlan, error) {
	opts = opts.withDefaults()
	u, err := readUndo(ctx, undoPath)
	if err != nil {
		return nil, err
	}
	if !tenant.SameURL(u.info.Target.URL, t.BaseURL()) {
		return nil, fmt.Errorf("undo bundle %s belongs to %s, not %s", undoPath, u.info.Target.URL, t.BaseURL())
	}
	p := &RollbackPlan{UndoPath: undoPath, RunID: u.info.RunID, Target: u.info.Target, Force: opts.Force, pre: u.held(), undo: u}
	runs, err := readRuns(opts.StateDir)
	if err != nil {
		return nil, err
	}
	var journalCreates map[string]createState
	var left map[string]leftState
	var undoneBy map[string]undone
	written := maps.Clone(u.info.Written)
	if written == nil {
		written = map[string]undoWritten{}
	}
	known := u.info.WrittenRecorded
	for _, r := range runs {
		if r.begin.RunID != u.info.RunID {
			continue
		}
		p.Journal, known = r.path, true
		// One read of the journal for the four folds.
		visitCreates, creates := createsFold()
		visitLeft, leftOf := leftFold(nil)
		visitUndone, undoneOf := undoneFold()
		visitWritten, runWritten := writtenFold()
		if err := r.scan(visitCreates, visitLeft, visitUndone, visitWritten); err != nil {
			return nil, err
		}
		journalCreates, left, undoneBy = creates(), leftOf(), undoneOf()
		for s, w := range runWritten() {
			cur := written[s]
			if cur.ReadBack && !w.ReadBack {
				continue // the undo bundle's record is the later one
			}
			cur.merge(w)
			written[s] = cur
		}
	}
	// Details must show every locale the import may have written (see
	// detailLocales), whatever the tenant's details hold.
	rt := newMeter(t)
	rt.locales.wantAll()
	rt.bytes.want(slices.Collect(maps.Values(p.pre))...)
	if p.Journal == "" {
		p.JournalNote = noteNoJournal(u.info.RunID, opts.StateDir)
	}
	pl := &rollbackPlanner{t: rt, journal: p.Journal != "", journalCreates: journalCreates, written: written, known: known, left: left, undone: undoneBy,
		earlier: earlierCreates(runs, u.info.Target.URL, u.info.RunID),
		srcs:    &sourceIndex{}, forceInUse: opts.ForceDeleteInUse}
	if len(u.info.Creates) > 0 {
		// Deleting a created connector that sources use now is refused, as
		// an import's deletions are.
		if pl.srcs, err = readSources(ctx, t, opts); err != nil {
			return nil, err
		}
		p.SourcesNote = pl.srcs.note
	}
	pres := slices.Sorted(maps.Keys(p.pre))
	p.Items = make([]RollbackItem, len(u.info.Creates)+len(pres))
	idx := make([]int, len(p.Items))
	for i := range idx {
		idx[i] = i
	}
	var mu sync.Mutex
	var errs []error
	forEach(ctx, opts.Concurrency, idx, func(ctx context.Context, i int) {
		var (
			it  RollbackItem
			err error
		)
		if i < len(u.info.Creates) {
			it, err = pl.created(ctx, u.info.Creates[i])
		} else {
			it, err = pl.restore(ctx, p.pre[pres[i-len(u.info.Creates)]], u.info)
		}
		if err != nil {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
		p.Items[i] = it
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("plan rollback: %w", err)
	}
	return p, nil
}

type rollbackPlanner struct {
	t              Target
	journal        bool // the run's journal was found
	journalCreates map[string]createState
	written        map[string]undoWritten
	left           map[string]leftState // the journal's record of what the run left, by scriptName
	earlier        map[string][]string  // scriptNames other runs into the target created, by glob.NameKey of the name
	known          bool                 // written is complete: a connector missing from it was not written
	undone         map[string]undone    // what earlier rollbacks of the run undid, by scriptName
	srcs           *sourceIndex
	forceInUse     bool
}

// created plans the deletion of a connector the import created.
func (pl *rollbackPlanner) created(ctx context.Context, uc undoCreate) (RollbackItem, error) {
	it := RollbackItem{Action: ActionDelete, Name: uc.Name, create: &uc}
	st := pl.journalCreates[glob.NameKey(uc.Name)]
	s := firstNonEmpty(uc.ScriptName, st.scriptName)
	if s == "" {
		it.Action = ActionUnchanged
		if pl.journal && !st.ambiguous {
			it.Notes = append(it.Notes, "the import did not create it (its create was never sent, or the tenant refused it)")
			return it, nil
		}
		return pl.lostAnswer(ctx, it, uc, st)
	}
	it.ScriptName = s
	d, err := pl.t.GetConnector(ctx, s)
	if tenant.IsNotFound(err) {
		it.Action = ActionUnchanged
		it.Notes = append(it.Notes, "already deleted")
		return it, nil
	}
	if err != nil {
		return it, fmt.Errorf("read %q: %w", s, err)
	}
	if pl.undone[s].removed {
		it.Action = ActionUnchanged
		it.Notes = append(it.Notes, fmt.Sprintf("already deleted by an earlier rollback of the run; the connector %q under scriptName %s now was made since (by a later import, or by hand): not the run's, left alone", d.Name, s))
		return it, nil
	}
	if !glob.SameName(d.Name, uc.Name) {
		it.Changed = append(it.Changed, fmt.Sprintf("renamed to %q", d.Name))
		return it, nil
	}
	if it.Sources = pl.srcs.uses(s); len(it.Sources) > 0 {
		n := len(it.Sources)
		if !pl.forceInUse {
			it.Action = ActionUnchanged
			it.Notes = append(it.Notes, fmt.Sprintf("not deleted: in use by %d %s: %s; %s",
				n, plural(n, "source", "sources"), usedBy(it.Sources), noteForceDeleteInUse))
			return it, nil
		}
		it.Notes = append(it.Notes, fmt.Sprintf("deleted although in use (--force-delete-in-use): %s will name a connector that no longer exists", usedBy(it.Sources)))
	}
	if !pl.journal {
		it.Changed = append(it.Changed, "that it is still the one the import created "+changedNoJournal)
	}
	if ls, ok := pl.left[s]; ok {
		changed, unknown := ls.compare(nowHashes(d))
		it.Changed = append(it.Changed, changed...)
		if len(unknown) > 0 {
			it.Changed = append(it.Changed, noteUnknownSinceCreate(unknown))
		}
		return it, nil
	}
	w, ok := pl.written[s]
	now := partHashes(d)
	switch {
	case !ok:
		it.Changed = append(it.Changed, "no record of what the import wrote to it, so changes since cannot be ruled out")
	case w.ReadBack:
		if c := describeDrift(w.Hashes, now); !maps.Equal(w.Hashes, now) {
			it.Changed = append(it.Changed, c)
		}
	default:
		for _, p := range w.Parts {
			if now[p] != w.Hashes[p] {
				it.Changed = append(it.Changed, p+" changed")
			}
		}
	}
	return it, nil
}

// restore plans putting back what the import wrote to a connector it
// updated or deleted.
func (pl *rollbackPlanner) restore(ctx context.Context, pre bundle.Connector, info undoInfo) (RollbackItem, error) {
	it := RollbackItem{Action: ActionUpdate, Name: pre.Name, ScriptName: pre.ScriptName}
	if slices.ContainsFunc(info.Unproven, func(n string) bool { return glob.SameName(n, pre.Name) }) {
		it.Notes = append(it.Notes, fmt.Sprintf("%s: connector %q (scriptName %s, status %s; the API gives no creation time) may be left behind by the import; check in ISC whether anyone else made it, and if nobody did, delete it by hand",
			noteUnproven, pre.Name, pre.ScriptName, statusOrDefault(tenant.Status(pre.Status))))
	}
	want, err := bundleContent(pre)
	if err != nil {
		return it, err
	}
	d, err := pl.t.GetConnector(ctx, pre.ScriptName)
	switch {
	case tenant.IsNotFound(err):
		if !slices.Contains(info.Deletes, pre.ScriptName) {
			it.Action = ActionUnchanged
			it.Changed = append(it.Changed, "deleted since the import")
			return it, nil
		}
		if len(pl.undone[pre.ScriptName].restored) > 0 {
			it.Action = ActionUnchanged
			it.Notes = append(it.Notes, "recreated by an earlier rollback of the run, and deleted again since: left alone")
			return it, nil
		}
		it.Action = ActionCreate
		it.Parts = allParts(want)
		it.Notes = append(it.Notes, "deleted by the import: recreated (the tenant may give it a new scriptName, and fields no API writes may differ: the result says)")
		if jars := uploadedFiles(pre); len(jars) > 0 {
			it.Notes = append(it.Notes, fmt.Sprintf("its uploaded files cannot come back (no API operation uploads them): %s; upload them again", strings.Join(jars, ", ")))
			it.partial = true
		}
		return it, nil
	case err != nil:
		return it, fmt.Errorf("read %q: %w", pre.ScriptName, err)
	}
	it.have = detailContent(d)
	now := partHashes(d)
	differs := changes(want, it.have, true)
	w, ok := pl.written[pre.ScriptName]
	if !ok && pl.known {
		it.Action = ActionUnchanged
		it.Notes = append(it.Notes, "the import wrote nothing to it")
		return it, nil
	}
	var undoneParts []string
	for _, p := range differs {
		switch {
		case !ok:
			it.Parts = append(it.Parts, p)
			it.Changed = append(it.Changed, p+" (no record of what the import wrote)")
		case !slices.Contains(w.Parts, p):
			// Not the import's doing: left alone.
		case slices.Contains(pl.undone[pre.ScriptName].restored, p):
			// Restored by an earlier rollback: what is there now is not
			// the import's doing either.
			undoneParts = append(undoneParts, p)
		case !pl.journal && pl.leftAs(pre.ScriptName, p, now[p], w):
			it.Parts = append(it.Parts, p)
			it.Changed = append(it.Changed, p+" "+changedNoJournal)
		case !pl.leftAs(pre.ScriptName, p, now[p], w):
			it.Parts = append(it.Parts, p)
			it.Changed = append(it.Changed, p+" changed since the import")
		default:
			it.Parts = append(it.Parts, p)
		}
	}
	wantLocales := want.locales()
	for _, l := range it.have.locales() {
		if !slices.Contains(wantLocales, l) && (!ok || slices.Contains(w.Parts, string(tenant.Translations)+"/"+l)) {
			it.Notes = append(it.Notes, fmt.Sprintf("locale %s was added by the import and cannot be removed (the API cannot delete a locale)", l))
			it.partial = true
		}
	}
	if len(undoneParts) > 0 {
		it.Notes = append(it.Notes, fmt.Sprintf("%s already restored by an earlier rollback of the run, and changed since: left alone", strings.Join(undoneParts, ", ")))
	}
	if len(it.Parts) == 0 && len(it.Changed) == 0 {
		it.Action = ActionUnchanged
	}
	return it, nil
}

// leftAs reports whether part p of connector s has hash got, a state the
// import left it in: per the journal (leftState: the last state known, or
// what a write of unknown outcome would have set, over all attempts), else
// per the undo bundle's record w.
func (pl *rollbackPlanner) leftAs(s, p, got string, w undoWritten) bool {
	if ls, ok := pl.left[s]; ok {
		return ls.allows(p, got)
	}
	return got == w.Hashes[p]
}

// ApplyRollback carries out a rollback plan: it deletes the created
// connectors that are unchanged since the import, then restores, per
// connector, the parts that are (everything planned, with Force), reading
// each back. What changed since is skipped and reported (ActionSkip items,
// StatusSkipped, counted by Result.Failed: exit code 3), and what the API
// cannot undo is reported as partial: a translation locale the import added
// (there is no way to delete one locale), and a connector the import deleted
// that came back with a new scriptName, without its uploaded files or
// otherwise than it was where no API writes. A rollback can be
// rerun: what is already restored is left alone, a connector already
// recreated is found by name. It holds StateDir's lock (Options.Lock, or
// its own) while it writes, and refuses with ErrStateDirBusy while another
// run holds it.
func ApplyRollback(ctx context.Context, t Target, p *RollbackPlan, opts Options) (Result, error) {
	opts = opts.withDefaults()
	unlock, err := lockUnlessHeld(opts, "a rollback of "+p.Target.URL)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	force := opts.Force || p.Force
	m := newMeter(t)
	m.locales.wantAll()
	m.bytes.want(slices.Collect(maps.Values(p.pre))...)
	rb := &rollbacker{t: m, w: &writer{t: m}}
	if p.Journal != "" {
		// What the rollback undoes is journaled as it goes: the undo
		// bundle used again then leaves alone what was made since.
		if rb.j, err = openJournal(p.Journal, opts.Now); err != nil {
			return Result{}, err
		}
		defer rb.j.close()
	}
	results := make([]ItemResult, len(p.Items))
	opts.Progress.SetTotal(len(results))
	var (
		mu   sync.Mutex
		jerr error
	)
	var deletes, restores []int
	for i, it := range p.Items {
		if it.Action == ActionDelete {
			deletes = append(deletes, i)
		} else {
			restores = append(restores, i)
		}
	}
	run := func(ctx context.Context, i int) {
		it := p.Items[i]
		r := ItemResult{Action: it.Action, Name: it.Name, TargetScriptName: it.ScriptName, Notes: slices.Clone(it.Notes), Sources: it.Sources}
		if it.create != nil {
			r.SourceScriptName = it.create.SourceScriptName
		}
		switch {
		case it.Skipped(force):
			// As the plan shows it: skipped, not a partial delete or restore.
			r.Action, r.Status = ActionSkip, StatusSkipped
			r.Notes = append(r.Notes, "not rolled back, changed since the import: "+strings.Join(it.Changed, "; ")+" (--force overrides)")
		case it.Action == ActionUnchanged:
			r.Status = StatusOK
			if it.Incomplete(force) {
				r.Status = StatusPartial
				r.Notes = append(r.Notes, it.Changed...)
			}
		case it.Action == ActionDelete:
			r = rb.deleteCreated(ctx, it, r)
		default:
			r = rb.restore(ctx, it, p.pre[it.ScriptName], force, r)
		}
		results[i] = r
		report(opts.Progress, r)
		if err := rb.journalUndone(it, r); err != nil {
			mu.Lock()
			jerr = errors.Join(jerr, err)
			mu.Unlock()
		}
	}
	// Deletes first: they free the names of connectors to recreate.
	forEach(ctx, opts.Concurrency, deletes, run)
	forEach(ctx, opts.Concurrency, restores, run)
	res := Result{Items: results, RunID: p.RunID, UndoPath: p.UndoPath, SourcesNote: p.SourcesNote,
		Reads: m.reads.Load(), Writes: m.writes.Load(), Requests: m.requests(), Normalised: m.norm.summary()}
	if err := errors.Join(ctx.Err(), jerr); err != nil {
		return res, err
	}
	if rb.j != nil {
		// The run is undone: a later import must neither continue it nor
		// probe the scriptNames it created.
		return res, rb.j.add(record{Op: opRolledBack}, true)
	}
	return res, nil
}

// journalUndone records in the run's journal what a rollback item undid:
// a created connector deleted, or the parts written back.
func (rb *rollbacker) journalUndone(it RollbackItem, r ItemResult) error {
	if rb.j == nil || r.Status == StatusFailed {
		return nil
	}
	switch {
	case it.Action == ActionDelete && r.Status == StatusOK:
		return rb.j.add(record{Op: opRemoved, Name: it.Name, ScriptName: it.ScriptName}, false)
	case (it.Action == ActionUpdate || it.Action == ActionCreate) && len(r.Parts) > 0:
		// Keyed by the pre-image's scriptName, as the next plan looks it up.
		return rb.j.add(record{Op: opRestored, Name: it.Name, ScriptName: it.ScriptName, Parts: r.Parts}, false)
	}
	return nil
}

type rollbacker struct {
	t *meter
	w *writer
	j *journal // the run's, nil when not found

	listMu   sync.Mutex
	listed   []tenant.Connector
	listErr  error
	listDone bool
}

// findListed looks a name up in the list, read once.
func (rb *rollbacker) findListed(ctx context.Context, name string) (tenant.Connector, bool, error) {
	rb.listMu.Lock()
	if !rb.listDone {
		rb.listed, rb.listErr = rb.t.ListAllConnectors(ctx, "", nil)
		rb.listDone = rb.listErr == nil
	}
	ls, err := rb.listed, rb.listErr
	rb.listMu.Unlock()
	if err != nil {
		return tenant.Connector{}, false, fmt.Errorf("list connectors: %w", err)
	}
	for _, l := range ls {
		if glob.SameName(l.Name, name) {
			return l, true, nil
		}
	}
	return tenant.Connector{}, false, nil
}

func failed(r ItemResult, err error) ItemResult {
	r.Status, r.Error, r.TrackingID, r.Retryable = StatusFailed, err.Error(), trackingID(err), retryable(err)
	return r
}

// deleteCreated deletes a connector the import created.
func (rb *rollbacker) deleteCreated(ctx context.Context, it RollbackItem, r ItemResult) ItemResult {
	if err := rb.t.DeleteConnector(ctx, it.ScriptName); err != nil && !tenant.IsNotFound(err) {
		return failed(r, fmt.Errorf("delete %q (%s): %w", it.Name, it.ScriptName, err))
	}
	r.Status = StatusOK
	if len(it.Changed) > 0 {
		r.Notes = append(r.Notes, "deleted with --force although changed since the import: "+strings.Join(it.Changed, "; "))
	}
	return r
}

// noteUnproven is the note of a restored connector that a create of the
// import may have made.
const noteUnproven = "restored, not deleted: a create of the import whose answer was lost may have made it, but the import cannot prove it"

func hasUnproven(notes []string) bool {
	return slices.ContainsFunc(notes, func(n string) bool { return strings.HasPrefix(n, noteUnproven) })
}

// restore writes back the planned parts of a pre-image (recreating the
// connector if the import deleted it) and reads them back.
func (rb *rollbacker) restore(ctx context.Context, it RollbackItem, pre bundle.Connector, force bool, r ItemResult) ItemResult {
	want, err := bundleContent(pre)
	if err != nil {
		return failed(r, err)
	}
	target, have := it.ScriptName, it.have
	if it.Action == ActionCreate {
		if target, have, err = rb.recreate(ctx, pre); err != nil {
			return failed(r, err)
		}
		r.TargetScriptName = target
		if target == pre.ScriptName {
			r.Notes = append(r.Notes, fmt.Sprintf("deleted by the import and recreated under its old scriptName %q", target))
		} else {
			r.Notes = append(r.Notes, fmt.Sprintf("deleted by the import and recreated as %q (was %q): the tenant gave a new scriptName; sources referring to %q need the new one",
				target, pre.ScriptName, pre.ScriptName))
		}
	}
	parts := it.Restored(force)
	var skipped []string
	for _, p := range it.Parts {
		if !slices.Contains(parts, p) {
			skipped = append(skipped, p)
		}
	}
	if it.Action == ActionCreate {
		parts = changes(want, have, true)
	}
	written, answer, err := rb.w.write(ctx, target, want, have, parts)
	r.Parts = written
	if err != nil {
		return failed(r, fmt.Errorf("restore %q: %w", pre.Name, err))
	}
	if len(written) > 0 {
		d, err := rb.w.readBack(ctx, target, want, answer)
		if err != nil {
			return failed(r, fmt.Errorf("restore %q: %w", pre.Name, err))
		}
		got := detailContent(d)
		noteNormalised(rb.t, pre.Name, want, got)
		for _, p := range written {
			if !partEqual(want, got, p) {
				return failed(r, permanent(fmt.Errorf("restore %q: read back %q: %s differs from what was written", pre.Name, target, p)))
			}
		}
	}
	r.Status = StatusOK
	if it.partial {
		r.Status = StatusPartial
	}
	if it.Action == ActionCreate {
		if diffs, err := rb.notRecreated(ctx, target, pre); err != nil {
			return failed(r, fmt.Errorf("restore %q: %w", pre.Name, err))
		} else if len(diffs) > 0 {
			r.Notes = append(r.Notes, "recreated, but the API cannot set everything it had: "+strings.Join(diffs, "; "))
			r.Status = StatusPartial
		}
		if target != pre.ScriptName {
			r.Status = StatusPartial
		}
	}
	if len(skipped) > 0 {
		r.Notes = append(r.Notes, "not restored, changed since the import: "+strings.Join(skipped, ", ")+" (--force overrides)")
		r.Status = StatusPartial
	} else if len(it.Changed) > 0 {
		r.Notes = append(r.Notes, "restored with --force although changed since the import: "+strings.Join(it.Changed, "; "))
	}
	if hasUnproven(it.Notes) {
		r.Status = StatusPartial
	}
	return r
}

// uploadedFiles returns the names of the connector files (jars) a
// pre-image's detail lists.
func uploadedFiles(pre bundle.Connector) []string {
	var d struct {
		UploadedFiles []string `json:"uploadedFiles"`
	}
	if json.Unmarshal(pre.Detail, &d) != nil {
		return nil
	}
	var out []string
	for _, f := range d.UploadedFiles {
		out = append(out, path.Base(f))
	}
	return out
}

// notRecreated says where a recreated connector differs from its
// pre-image in what no API operation writes (fileUpload, sourceConfigFrom,
// …: unwritableDifferences), as read back now; nil when it is the same.
func (rb *rollbacker) notRecreated(ctx context.Context, target string, pre bundle.Connector) ([]string, error) {
	d, err := rb.t.GetConnector(ctx, target)
	if err != nil {
		return nil, fmt.Errorf("read back %q: %w", target, err)
	}
	var out []string
	for _, n := range unwritableDifferences(pre, d) {
		out = append(out, strings.NewReplacer(" in the bundle, ", " before the import, ", " in the target: the API cannot change it", " now").Replace(n))
	}
	return out, nil
}

// partEqual reports whether want and got agree on one part ("metadata"
// included; absent metadata in want means none).
func partEqual(want, got content, p string) bool {
	if p == partMetadata {
		if want.metaJSON == nil {
			return got.metaJSON == nil || string(got.metaJSON) == "{}"
		}
		return string(want.metaJSON) == string(got.metaJSON)
	}
	return samePart(p, want.parts[p], got.parts[p])
}

// recreate creates a deleted connector again, or finds the one an earlier
// rollback recreated.
func (rb *rollbacker) recreate(ctx context.Context, pre bundle.Connector) (string, content, error) {
	l, ok, err := rb.findListed(ctx, pre.Name)
	if err != nil {
		return "", content{}, err
	}
	if ok {
		d, err := rb.t.GetConnector(ctx, l.ScriptName)
		if err != nil {
			return "", content{}, fmt.Errorf("read %q: %w", l.ScriptName, err)
		}
		return l.ScriptName, detailContent(d), nil
	}
	c, _, err := safeCreate(ctx, rb.t, nil, createRequest{nc: newConnector(pre), source: pre.ScriptName})
	if err != nil {
		return "", content{}, err
	}
	have := content{parts: map[string][]byte{}}
	if c.ConnectorMetadata != nil {
		have.setMetadata(c.ConnectorMetadata)
	}
	return c.ScriptName, have, nil
}
