package importer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
)

// ErrDrift means the target changed since a saved plan was made.
var ErrDrift = errors.New("the target changed since the plan was made")

// DriftError names every drifted connector and what changed.
type DriftError struct {
	Changes []string // e.g. `"HR Feed" (hr-feed-1a2b): source-config, translations/de changed`
}

// Error lists the changes.
func (e *DriftError) Error() string {
	return ErrDrift.Error() + ": " + strings.Join(e.Changes, "; ") + "; make a new plan"
}

// Unwrap makes errors.Is(err, ErrDrift) true.
func (e *DriftError) Unwrap() error { return ErrDrift }

// CheckDrift re-reads every pre-image a plan recorded and the list, and
// returns a *DriftError naming each connector that changed (and how), was
// deleted, or was created under a name the plan would create. (Apply's own
// check also accepts what the unfinished run of the plan's import wrote:
// see checkDrift.)
func CheckDrift(ctx context.Context, t Target, p *Plan) error {
	details, err := checkDrift(ctx, newMeter(t), p, DefaultConcurrency, "")
	details.close()
	return err
}

// runWrites is what the unfinished run of a plan's import wrote, as its
// journal tells.
type runWrites struct {
	left    map[string]leftState   // by target scriptName
	created map[string]string      // target scriptName by glob.NameKey of the name
	creates map[string]createState // what its creates came to, by glob.NameKey of the name
}

// planRun reads the journal of the unfinished run that applying p would
// continue (resumable), if any.
func planRun(stateDir string, p *Plan) (runWrites, error) {
	if stateDir == "" {
		return runWrites{}, nil
	}
	runs, err := readRuns(stateDir)
	if err != nil {
		return runWrites{}, err
	}
	r, ok := resumable(runs, p.Target.URL, planBundleID(p))
	if !ok {
		return runWrites{}, nil
	}
	visitLeft, left := leftFold(p.PreImageParts)
	visitCreates, creates := createsFold()
	if err := r.scan(visitLeft, visitCreates); err != nil {
		return runWrites{}, err
	}
	return runWrites{left: left(), created: r.created(), creates: creates()}, nil
}

// wrote reports whether the run left d exactly as it is (its hashes, or
// what a write of unknown outcome may have set). Parts of a connector the
// run created that it never saw (the tenant's defaults) pass when
// createdByRun: the plan writes every part of a connector it creates.
func (w runWrites) wrote(d tenant.ConnectorDetail, createdByRun bool) bool {
	ls, ok := w.left[d.ScriptName]
	if !ok {
		return false
	}
	changed, unknown := ls.compare(nowHashes(d))
	return len(changed) == 0 && (len(unknown) == 0 || createdByRun)
}

// planBundleID identifies the bundle of a plan's import in journals.
func planBundleID(p *Plan) string {
	return firstNonEmpty(p.Bundle.ContentDigest, p.Bundle.InputDigest)
}

// checkDrift is CheckDrift, returning the connectors it read: the
// pre-images, and the connectors the run created that it accepted. Changes
// that the unfinished run of the plan's import in stateDir (interrupted, or
// stopped with failed items) wrote are not drift: a connector is accepted
// when the run's journal says it left it exactly as it is now (or as a
// write whose outcome is unknown would have), and a connector of a name to
// create when the run created it and left it so. Any other change is.
// "" stateDir consults no run. The details are spooled (detailStore); the
// caller closes the store.
func checkDrift(ctx context.Context, t Target, p *Plan, limit int, stateDir string) (*detailStore, error) {
	details := newDetailStore()
	out, err := checkDriftInto(ctx, t, p, limit, stateDir, details)
	if err != nil {
		details.close()
		return nil, err
	}
	return out, nil
}

func checkDriftInto(ctx context.Context, t Target, p *Plan, limit int, stateDir string, details *detailStore) (*detailStore, error) {
	if err := p.CheckTarget(t.BaseURL()); err != nil {
		return nil, err
	}
	run, err := planRun(stateDir, p)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, it := range p.Items {
		if it.TargetScriptName != "" {
			names[it.TargetScriptName] = it.Name
		}
	}
	var (
		mu      sync.Mutex
		changes []string
	)
	note := func(s string) {
		mu.Lock()
		changes = append(changes, s)
		mu.Unlock()
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, s := range slices.Sorted(maps.Keys(p.PreImages)) {
		g.Go(func() error {
			d, err := t.GetConnector(gctx, s)
			if tenant.IsNotFound(err) {
				note(fmt.Sprintf("%q (%s): deleted", names[s], s))
				return nil
			}
			if err != nil {
				return fmt.Errorf("check drift of %q: %w", s, err)
			}
			if err := details.put(d); err != nil {
				return err
			}
			if detailHash(d) != p.PreImages[s] && !run.wrote(d, false) {
				note(fmt.Sprintf("%q (%s): %s", names[s], s, describeDrift(p.PreImageParts[s], partHashes(d))))
			}
			return nil
		})
	}
	if len(p.Absent) > 0 {
		g.Go(func() error {
			ls, err := t.ListAllConnectors(gctx, "", nil)
			if err != nil {
				return fmt.Errorf("check drift: list connectors: %w", err)
			}
			absent := map[string]bool{}
			for _, n := range p.Absent {
				absent[glob.NameKey(n)] = true
			}
			for _, l := range ls {
				if !absent[glob.NameKey(l.Name)] {
					continue
				}
				if run.created[glob.NameKey(l.Name)] == l.ScriptName {
					// Created by the interrupted run of this plan: the
					// run continues it if nothing else changed it.
					d, err := t.GetConnector(gctx, l.ScriptName)
					if err != nil && !tenant.IsNotFound(err) {
						return fmt.Errorf("check drift of %q: %w", l.ScriptName, err)
					}
					if err == nil && run.wrote(d, true) {
						if err := details.put(d); err != nil {
							return err
						}
						continue
					}
					note(fmt.Sprintf("%q (%s): created by the interrupted run of this plan, and changed since", l.Name, l.ScriptName))
					continue
				}
				if st := run.creates[glob.NameKey(l.Name)]; st.ambiguous {
					// The interrupted run sent a create of this name and
					// its answer was lost (a kill, a lost connection):
					// the connector is that create's when notOwnCreate
					// finds nothing against it, and the run adopts it.
					d, err := t.GetConnector(gctx, l.ScriptName)
					if err != nil && !tenant.IsNotFound(err) {
						return fmt.Errorf("check drift of %q: %w", l.ScriptName, err)
					}
					why := "it is gone again"
					if err == nil {
						why = notOwnCreate(d, st)
					}
					if why == "" {
						if err := details.put(d); err != nil {
							return err
						}
						continue
					}
					note(fmt.Sprintf("%q (%s): created since the plan was made; the interrupted import of this plan sent a create of this name whose answer was lost, "+
						"but %s, so it cannot be proven that create's work; check the connector in ISC: a new plan (connvault plan … --out plan.json) updates it as an existing connector, and a rollback will not delete it",
						l.Name, l.ScriptName, why))
					continue
				}
				note(fmt.Sprintf("%q (%s): created since, the plan would create it", l.Name, l.ScriptName))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if len(changes) > 0 {
		slices.Sort(changes)
		return nil, &DriftError{Changes: changes}
	}
	return details, nil
}

// describeDrift names the parts whose hashes differ.
func describeDrift(before, after map[string]string) string {
	if before == nil {
		return "changed"
	}
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	sorted := slices.SortedFunc(maps.Keys(keys), comparePartNames)
	var changed, added, removed []string
	for _, k := range sorted {
		b, inB := before[k]
		a, inA := after[k]
		name := k
		if k == "fields" {
			name = "other fields"
		}
		switch {
		case !inB:
			added = append(added, name)
		case !inA:
			removed = append(removed, name)
		case a != b:
			changed = append(changed, name)
		}
	}
	var out []string
	if len(changed) > 0 {
		out = append(out, strings.Join(changed, ", ")+" changed")
	}
	if len(added) > 0 {
		out = append(out, strings.Join(added, ", ")+" added")
	}
	if len(removed) > 0 {
		out = append(out, strings.Join(removed, ", ")+" removed")
	}
	if len(out) == 0 {
		return "changed"
	}
	return strings.Join(out, "; ")
}

// SamePlan checks that fresh, a plan made now, does what saved, a plan made
// earlier and approved, does: same target, same input after transforms, same
// actions on the same connectors with the same parts. The error (wrapping
// ErrDrift) names every difference.
func SamePlan(saved, fresh *Plan) error {
	var diffs []string
	if !tenant.SameURL(saved.Target.URL, fresh.Target.URL) {
		diffs = append(diffs, fmt.Sprintf("target is %s, the plan's %s", fresh.Target.URL, saved.Target.URL))
	}
	if saved.Bundle.InputDigest != fresh.Bundle.InputDigest {
		diffs = append(diffs, "the bundle (after transforms) is not the plan's")
	}
	key := func(it Item) string {
		if it.SourceScriptName != "" {
			return "s:" + it.SourceScriptName
		}
		return "t:" + it.TargetScriptName
	}
	now := map[string]Item{}
	for _, it := range fresh.Items {
		now[key(it)] = it
	}
	seen := map[string]bool{}
	for _, was := range saved.Items {
		k := key(was)
		seen[k] = true
		it, ok := now[k]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%q: no longer planned", was.Name))
		case it.Action != was.Action:
			diffs = append(diffs, fmt.Sprintf("%q: now %s, the plan says %s", was.Name, it.Action, was.Action))
		case it.TargetScriptName != was.TargetScriptName:
			diffs = append(diffs, fmt.Sprintf("%q: now matches %q, in the plan %q", was.Name, it.TargetScriptName, was.TargetScriptName))
		case !slices.Equal(it.Parts, was.Parts):
			diffs = append(diffs, fmt.Sprintf("%q: now writes %s, the plan %s", was.Name, orNone(it.Parts), orNone(was.Parts)))
		}
	}
	for _, it := range fresh.Items {
		if !seen[key(it)] {
			diffs = append(diffs, fmt.Sprintf("%q: now planned (%s), not in the plan", it.Name, it.Action))
		}
	}
	if len(diffs) > 0 {
		return &DriftError{Changes: diffs}
	}
	return nil
}

func orNone(parts []string) string {
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}
