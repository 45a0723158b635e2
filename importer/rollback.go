package importer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
)

// Rollback returns a target to the state an undo bundle recorded: it deletes
// the connectors the import created, then restores every pre-image (parts
// and metadata that differ are written back and read back).
//
// Two effects cannot be undone through the API and are reported as partial
// items: a locale the import added to an existing connector (there is no way
// to delete one locale's translations), and a connector the import deleted,
// which is recreated with a new scriptName (the tenant derives it). Rollback
// can be rerun: what is already restored is left alone, and a connector
// already recreated is found by name.
//
// Created connectors are found by the scriptName the undo bundle records,
// else by the run's journal in StateDir, else by name in the list.
func Rollback(ctx context.Context, t Target, undoPath string, opts Options) (Result, error) {
	opts = opts.withDefaults()
	m := newMeter(t)
	u, err := readUndo(ctx, undoPath)
	if err != nil {
		return Result{}, err
	}
	if !sameURL(u.info.Target.URL, t.BaseURL()) {
		return Result{}, fmt.Errorf("undo bundle %s belongs to %s, not %s", undoPath, u.info.Target.URL, t.BaseURL())
	}
	rb := &rollbacker{t: m, w: &writer{t: m}, opts: opts, undo: u}
	runs, err := readRuns(opts.StateDir)
	if err != nil {
		return Result{}, err
	}
	var journalPath string
	for _, r := range runs {
		if r.begin.RunID == u.info.RunID {
			rb.journal, rb.journalCreates = true, r.creates()
			journalPath = r.path
		}
	}
	pres := slices.Sorted(maps.Keys(u.pre))
	rb.results = make([]ItemResult, len(u.info.Creates)+len(pres))
	opts.Progress.SetTotal(len(rb.results))
	idx := make([]int, len(rb.results))
	for i := range idx {
		idx[i] = i
	}
	// Deletes first: they free the names of connectors to recreate.
	forEach(ctx, opts.Concurrency, idx[:len(u.info.Creates)], func(ctx context.Context, i int) {
		rb.results[i] = rb.deleteCreated(ctx, u.info.Creates[i])
		report(opts.Progress, rb.results[i])
	})
	forEach(ctx, opts.Concurrency, idx[len(u.info.Creates):], func(ctx context.Context, i int) {
		rb.results[i] = rb.restore(ctx, u.pre[pres[i-len(u.info.Creates)]])
		report(opts.Progress, rb.results[i])
	})
	res := Result{Items: rb.results, RunID: u.info.RunID, UndoPath: undoPath,
		Reads: m.reads.Load(), Writes: m.writes.Load(), Requests: m.requests()}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if journalPath != "" {
		// The run is undone: a later import must neither continue it nor
		// probe the scriptNames it created.
		return res, markRolledBack(journalPath, opts.Now)
	}
	return res, nil
}

func markRolledBack(path string, now func() time.Time) error {
	j, err := openJournal(path, now)
	if err != nil {
		return err
	}
	err = j.add(record{Op: opRolledBack}, true)
	return errors.Join(err, j.close())
}

type rollbacker struct {
	t    *meter
	w    *writer
	opts Options
	undo *undoSet

	journal        bool // the run's journal was found
	journalCreates map[string]createState
	results        []ItemResult

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
		if strings.EqualFold(l.Name, name) {
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
func (rb *rollbacker) deleteCreated(ctx context.Context, uc undoCreate) ItemResult {
	r := ItemResult{Action: ActionDelete, Name: uc.Name, SourceScriptName: uc.SourceScriptName}
	st := rb.journalCreates[strings.ToLower(uc.Name)]
	s := firstNonEmpty(uc.ScriptName, st.scriptName)
	if s == "" {
		if rb.journal && !st.ambiguous {
			// Never sent, or refused: a connector of that name (listed or
			// not) is not the import's.
			r.Status = StatusSkipped
			r.Notes = append(r.Notes, "the import did not create it (its create was never sent, or the tenant refused it)")
			return r
		}
		// Only provable creates are deleted: a connector of that name may
		// have existed before, or been made by someone else.
		r.Status = StatusPartial
		r.Notes = append(r.Notes, fmt.Sprintf("not deleted: the answer to its create was lost and the import cannot prove it created a connector named %q; if the tenant has one that nobody else made, delete it by hand", uc.Name))
		return r
	}
	r.TargetScriptName = s
	d, err := rb.t.GetConnector(ctx, s)
	if tenant.IsNotFound(err) {
		r.Status = StatusOK
		r.Notes = append(r.Notes, "already deleted")
		return r
	}
	if err != nil {
		return failed(r, fmt.Errorf("read %q: %w", s, err))
	}
	if !strings.EqualFold(d.Name, uc.Name) {
		return failed(r, permanent(fmt.Errorf("connector %q is now named %q, not %q: not deleted", s, d.Name, uc.Name)))
	}
	if err := rb.t.DeleteConnector(ctx, s); err != nil && !tenant.IsNotFound(err) {
		return failed(r, fmt.Errorf("delete %q (%s): %w", uc.Name, s, err))
	}
	r.Status = StatusOK
	return r
}

// noteUnproven is the note of a restored connector that a create of the
// import may have made.
const noteUnproven = "restored, not deleted: a create of the import whose answer was lost may have made it, but the import cannot prove it; if nobody else made it, delete it by hand"

// restore writes a pre-image back, recreating the connector if it is gone.
func (rb *rollbacker) restore(ctx context.Context, pre bundle.Connector) ItemResult {
	r := ItemResult{Action: ActionUpdate, Name: pre.Name, TargetScriptName: pre.ScriptName}
	want, err := bundleContent(pre)
	if err != nil {
		return failed(r, err)
	}
	target := pre.ScriptName
	d, err := rb.t.GetConnector(ctx, target)
	var have content
	switch {
	case tenant.IsNotFound(err):
		r.Action = ActionCreate
		target, have, err = rb.recreate(ctx, pre)
		if err != nil {
			return failed(r, err)
		}
		r.TargetScriptName = target
		r.Notes = append(r.Notes, fmt.Sprintf("deleted by the import and recreated as %q (was %q): the tenant gives a new scriptName; sources referring to %q need the new one",
			target, pre.ScriptName, pre.ScriptName))
	case err != nil:
		return failed(r, fmt.Errorf("read %q: %w", target, err))
	default:
		have = detailContent(d)
	}
	parts := changes(want, have, true)
	written, answer, err := rb.w.write(ctx, target, want, have, parts)
	r.Parts = written
	if err != nil {
		return failed(r, fmt.Errorf("restore %q: %w", pre.Name, err))
	}
	if len(written) > 0 || r.Action == ActionCreate {
		if err := rb.w.verify(ctx, target, want, true, answer); err != nil {
			return failed(r, fmt.Errorf("restore %q: %w", pre.Name, err))
		}
	}
	r.Status = StatusOK
	if slices.ContainsFunc(rb.undo.info.Unproven, func(n string) bool { return strings.EqualFold(n, pre.Name) }) {
		r.Status = StatusPartial
		r.Notes = append(r.Notes, noteUnproven)
	}
	wantLocales := want.locales()
	for _, l := range have.locales() {
		if !slices.Contains(wantLocales, l) {
			r.Notes = append(r.Notes, fmt.Sprintf("locale %s was added by the import and cannot be removed (the API cannot delete a locale)", l))
			r.Status = StatusPartial
		}
	}
	if r.Action == ActionCreate {
		r.Status = StatusPartial
	}
	return r
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
