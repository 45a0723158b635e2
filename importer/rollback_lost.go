package importer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
)

// noteUnknownSinceCreate explains parts of a connector the import created
// that it cannot vouch for: the tenant's defaults set them on create, and
// the run stopped (killed) before it wrote them or read them back.
func noteUnknownSinceCreate(parts []string) string {
	return fmt.Sprintf("%s: set by the tenant's defaults on create, and the import stopped before it wrote or read them, so changes since cannot be ruled out; check the connector, then delete it by hand or use --force",
		strings.Join(parts, ", "))
}

// earlierCreates returns, by glob.NameKey of the name, the scriptNames the runs
// into target other than runID created: where a connector the list cannot
// show may be found by name.
func earlierCreates(runs []runLog, target, runID string) map[string][]string {
	out := map[string][]string{}
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].begin.RunID == runID || !tenant.SameURL(runs[i].begin.Target, target) {
			continue
		}
		for name, s := range runs[i].created() {
			if !slices.Contains(out[name], s) {
				out[name] = append(out[name], s)
			}
		}
	}
	return out
}

// lostAnswer plans a connector whose create was sent but whose answer was
// lost (the journal has no outcome): it looks the name up (the list, the
// scriptNames the journals know, the bundle's own) and says precisely what
// it found. A connector is the import's, and planned for deletion, only as
// safeCreate would adopt it: absent when the import planned, as the create
// sent it, and RELEASED (listed: its absence from the plan's list proves it
// did not exist then; an unlisted one proves nothing).
func (pl *rollbackPlanner) lostAnswer(ctx context.Context, it RollbackItem, uc undoCreate, st createState) (RollbackItem, error) {
	cands := slices.Clone(pl.earlier[glob.NameKey(uc.Name)])
	if uc.SourceScriptName != "" && !slices.Contains(cands, uc.SourceScriptName) {
		cands = append(cands, uc.SourceScriptName)
	}
	found, ok, err := lookupName(ctx, pl.t, uc.Name, cands)
	if err != nil {
		it.Notes = append(it.Notes, fmt.Sprintf("not deleted: the answer to its create was lost, and looking the name %q up failed (%v); rerun the rollback", uc.Name, err))
		return it, nil
	}
	if !ok {
		if st.body != nil && st.body.Status == tenant.StatusReleased {
			it.Notes = append(it.Notes, fmt.Sprintf("the answer to its create was lost, but no connector named %q is listed, as a RELEASED one would be: the create made nothing", uc.Name))
			return it, nil
		}
		it.Notes = append(it.Notes, fmt.Sprintf("not deleted: the answer to its create was lost and no connector named %q was found (the list does not show a %s connector, and none of the scriptNames known for it (%s) has that name); if the tenant has one (ISC UI: Connectors, name %q) that nobody else made, delete it by hand; the API gives no creation time",
			uc.Name, createdStatus(st), strings.Join(cands, ", "), uc.Name))
		return it, nil
	}
	it.ScriptName = found.ScriptName
	why := ""
	switch {
	case st.body == nil || !st.absentAtPlan:
		why = "its journal does not record the create's request and that the plan saw no connector of the name (an older connvault)"
	case found.Status != tenant.StatusReleased:
		why = fmt.Sprintf("a %s connector is not listed, so that the plan did not see it proves nothing", found.Status)
	case !sameAsSent(found, *st.body):
		why = "it is not as the create sent it (status, type, className or directConnect differ)"
	}
	if why != "" {
		it.Notes = append(it.Notes, fmt.Sprintf("not deleted: the answer to its create was lost; the tenant has a connector named %q (scriptName %s, status %s), but the import cannot prove it made it: %s; if nobody else made it, delete it by hand (the API gives no creation time)",
			found.Name, found.ScriptName, found.Status, why))
		return it, nil
	}
	d, err := pl.t.GetConnector(ctx, found.ScriptName)
	if tenant.IsNotFound(err) {
		it.Notes = append(it.Notes, "already deleted")
		return it, nil
	}
	if err != nil {
		return it, fmt.Errorf("read %q: %w", found.ScriptName, err)
	}
	it.Action = ActionDelete
	it.Notes = append(it.Notes, fmt.Sprintf("found by name after its create's answer was lost (%s): absent when the import planned, and as the create sent it", found.ScriptName))
	if it.Sources = pl.srcs.uses(found.ScriptName); len(it.Sources) > 0 && !pl.forceInUse {
		n := len(it.Sources)
		it.Action = ActionUnchanged
		it.Notes = append(it.Notes, fmt.Sprintf("not deleted: in use by %d %s: %s; %s", n, plural(n, "source", "sources"), usedBy(it.Sources), noteForceDeleteInUse))
		return it, nil
	}
	// What the create left is unknown (its answer was lost): the import
	// cannot vouch for any part the connector holds.
	var parts []string
	for k := range partHashes(d) {
		if k != "fields" {
			parts = append(parts, k)
		}
	}
	if len(parts) > 0 {
		slices.SortFunc(parts, comparePartNames)
		it.Changed = append(it.Changed, noteUnknownSinceCreate(parts))
	}
	return it, nil
}

// createdStatus names the status a create asked for ("non-RELEASED" when
// the journal does not say).
func createdStatus(st createState) string {
	if st.body == nil {
		return "non-RELEASED"
	}
	return statusOrDefault(st.body.Status)
}
