package importer

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// symbols of the plan table, as terraform plan draws them.
var symbols = map[Action]string{
	ActionCreate:    "+",
	ActionUpdate:    "~",
	ActionUnchanged: "=",
	ActionConflict:  "!",
	ActionDelete:    "-",
	ActionKeep:      " ",
	ActionSkip:      "!",
}

// WriteTable writes the plan as a table in the manner of terraform plan, one
// connector a line, notes indented below, and a summary line:
//
//	~ update     HR Feed [hr-feed-1a2b] (source-config, translations/de)
//	               note: adds locale de: cannot be undone (the API cannot delete a locale)
//	Plan: 3 to create, 2 to update, 0 to delete, 7 unchanged, 1 conflict.
func (p *Plan) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "Target: %s (%s)\n", p.Target.URL, p.Target.API)
	switch p.Bundle.Path {
	case "":
	case "-":
		fmt.Fprintln(w, "Bundle: standard input")
	default:
		fmt.Fprintf(w, "Bundle: %s\n", p.Bundle.Path)
	}
	if p.ScopeText != "" {
		fmt.Fprintf(w, "Scope: %s\n", p.ScopeText)
	}
	if p.SourcesNote != "" {
		fmt.Fprintf(w, "Sources: %s\n", p.SourcesNote)
	}
	fmt.Fprintln(w)
	width := 0
	for _, it := range p.Items {
		width = max(width, len(it.Action))
	}
	for _, it := range p.Items {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %-*s  %s", symbols[it.Action], width, it.Action, it.Name)
		if it.TargetScriptName != "" {
			fmt.Fprintf(&b, " [%s]", it.TargetScriptName)
		}
		switch it.Action {
		case ActionUpdate, ActionCreate:
			if len(it.Parts) > 0 {
				fmt.Fprintf(&b, " (%s)", strings.Join(it.Parts, ", "))
			}
		case ActionConflict:
			fmt.Fprintf(&b, ": %s", it.Reason)
		case ActionKeep:
			b.WriteString(": only in the target, kept")
			if it.WouldDelete {
				b.WriteString(" (--allow-delete deletes it)")
			}
		}
		if it.MatchedBy != "" && it.MatchedBy != MatchedByName {
			fmt.Fprintf(&b, " — matched by %s", it.MatchedBy)
		}
		if n := len(it.Sources); n > 0 && (it.Action == ActionUpdate || it.Action == ActionDelete) {
			fmt.Fprintf(&b, " — used by %d %s", n, plural(n, "source", "sources"))
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if len(it.StaleSources) > 0 {
			if it.OldHolder != "" {
				fmt.Fprintf(w, "  %*s  ! the new connector gets a new scriptName, not %s:\n", width, "", it.SourceScriptName)
			} else {
				// The tenant chooses a created connector's scriptName; it may
				// give the old one back (a slug of the name, now free).
				fmt.Fprintf(w, "  %*s  ! the tenant chooses the new connector's scriptName; unless it is %s again (the import says which):\n", width, "", it.SourceScriptName)
			}
			for _, l := range staleLines(it.SourceScriptName, it.StaleSources, it.OldHolder) {
				fmt.Fprintf(w, "  %*s  ! %s\n", width, "", l)
			}
		}
		for _, n := range it.Notes {
			fmt.Fprintf(w, "  %*s  note: %s\n", width, "", n)
		}
	}
	if len(p.Items) > 0 {
		fmt.Fprintln(w)
	}
	for _, warning := range p.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
	if len(p.Warnings) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, p.Summary())
	if p.InScope >= 0 {
		fmt.Fprintf(w, "%d of %d target connectors in scope would be deleted.\n", p.Count(ActionDelete), p.InScope)
	}
	if p.Normalised != "" {
		fmt.Fprintf(w, "Note: %s.\n", p.Normalised)
	}
}

// Summary returns the plan's summary line, e.g.
// "Plan: 3 to create, 2 to update, 0 to delete, 7 unchanged, 1 conflict."
func (p *Plan) Summary() string {
	conflicts := p.Count(ActionConflict)
	s := fmt.Sprintf("Plan: %d to create, %d to update, %d to delete, %d unchanged, %d %s.",
		p.Count(ActionCreate), p.Count(ActionUpdate), p.Count(ActionDelete), p.Count(ActionUnchanged),
		conflicts, plural(conflicts, "conflict", "conflicts"))
	if k := p.Count(ActionKeep); k > 0 {
		s += fmt.Sprintf(" %d only in the target, kept.", k)
	}
	finishing := 0
	for _, it := range p.Items {
		if it.ContinuesCreate && it.Action == ActionUpdate {
			finishing++
		}
	}
	if finishing > 0 {
		s += fmt.Sprintf(" %d of the updates finish connectors the interrupted run created.", finishing)
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// WriteTable writes a Result as a table: one line per item with its action,
// status, target scriptName and the parts written; errors (with the tenant's
// tracking id) and notes indented below; then a summary line.
func (r Result) WriteTable(w io.Writer) {
	if r.SourcesNote != "" {
		fmt.Fprintf(w, "Sources: %s\n\n", r.SourcesNote)
	}
	width := 0
	for _, it := range r.Items {
		width = max(width, len(it.Action))
	}
	count := map[string]int{}
	orphans := map[string][]string{} // source the target lacks → its files
	for _, it := range r.Items {
		count[it.Status]++
		var b strings.Builder
		fmt.Fprintf(&b, "%s %-*s  %-7s  %s", symbols[it.Action], width, it.Action, it.Status, it.Name)
		if it.TargetScriptName != "" {
			fmt.Fprintf(&b, " [%s]", it.TargetScriptName)
		}
		if len(it.Parts) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(it.Parts, ", "))
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if it.Error != "" {
			fmt.Fprintf(w, "  %*s  error: %s", width, "", it.Error)
			if it.TrackingID != "" && !strings.Contains(it.Error, it.TrackingID) {
				fmt.Fprintf(w, " (trackingId %s)", it.TrackingID)
			}
			fmt.Fprintln(w)
		}
		if it.ScriptNameChange != nil {
			for _, l := range it.ScriptNameChange.Lines() {
				fmt.Fprintf(w, "  %*s  ! %s\n", width, "", l)
			}
		}
		for _, u := range it.Uploads {
			if u.SourceID == "" { // summed up below, not repeated per connector
				orphans[u.Source] = append(orphans[u.Source], u.File)
				continue
			}
			fmt.Fprintf(w, "  %*s  jar %s\n", width, "", u.Line())
		}
		for _, n := range it.Notes {
			fmt.Fprintf(w, "  %*s  note: %s\n", width, "", n)
		}
	}
	if len(r.Items) > 0 {
		fmt.Fprintln(w)
	}
	if len(orphans) > 0 {
		files := 0
		for _, fs := range orphans {
			files += len(fs)
		}
		fmt.Fprintf(w, "Jars: %d %s uploaded to %d %s of the bundle's tenant that this tenant does not have (%s): recreate %s (SP-Config import; spconfig-remap rewrites connectorScriptName), then upload the files (--json lists each under the connector's uploads).\n\n",
			files, plural(files, "file was", "files were"), len(orphans), plural(len(orphans), "source", "sources"),
			firstFew(quoted(slices.Sorted(maps.Keys(orphans))), 5), plural(len(orphans), "it", "them"))
	}
	fmt.Fprintf(w, "Result: %d ok, %d failed, %d partial, %d skipped.\n",
		count[StatusOK], count[StatusFailed], count[StatusPartial], count[StatusSkipped])
	if r.Normalised != "" {
		fmt.Fprintf(w, "Note: %s.\n", r.Normalised)
	}
}

// WriteTable writes a rollback plan, one connector a line, what changed
// since the import and notes indented below, then a summary line:
//
//   - delete     HR Feed [hr-feed-1a2b]
//     ~ update     Payroll [payroll-3c4d] (source-config, metadata)
//     ! skip       Ledger [ledger-5e6f]: changed since the import
//     changed: translations/fr added
//     Rollback: 1 to delete, 1 to restore, 0 to recreate, 1 skipped (changed since the import; --force overrides), 0 kept. 1 connector will not be fully undone (see the notes): the rollback will exit 3.
func (p *RollbackPlan) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "Target: %s (%s)\nUndo bundle: %s\n", p.Target.URL, p.Target.API, p.UndoPath)
	if p.SourcesNote != "" {
		fmt.Fprintf(w, "Sources: %s\n", p.SourcesNote)
	}
	if p.JournalNote != "" {
		fmt.Fprintf(w, "Journal: %s\n", p.JournalNote)
	}
	fmt.Fprintln(w)
	counts := map[string]int{}
	for _, it := range p.Items {
		action, sym := string(it.Action), symbols[it.Action]
		switch {
		case it.Skipped(p.Force):
			action, sym = "skip", "!"
		case it.Action == ActionCreate:
			action = "recreate"
		case it.Action == ActionUpdate:
			action = "restore"
		case it.Action == ActionUnchanged:
			action = "keep"
		}
		counts[action]++
		var b strings.Builder
		fmt.Fprintf(&b, "%s %-8s  %s", sym, action, it.Name)
		if it.ScriptName != "" {
			fmt.Fprintf(&b, " [%s]", it.ScriptName)
		}
		if parts := it.Restored(p.Force); len(parts) > 0 && action != "skip" {
			fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
		}
		fmt.Fprintln(w, b.String())
		for _, c := range it.Changed {
			fmt.Fprintf(w, "            changed since the import: %s\n", c)
		}
		for _, n := range it.Notes {
			fmt.Fprintf(w, "            note: %s\n", n)
		}
	}
	if len(p.Items) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Rollback: %d to delete, %d to restore, %d to recreate, %d skipped", counts["delete"], counts["restore"], counts["recreate"], counts["skip"])
	if counts["skip"] > 0 {
		fmt.Fprint(w, " (changed since the import; --force overrides)")
	}
	fmt.Fprintf(w, ", %d kept.", counts["keep"])
	if n := p.Incomplete(); n > 0 {
		fmt.Fprintf(w, " %s not be fully undone (see the notes): the rollback will exit 3.", plural(n, "1 connector will", fmt.Sprintf("%d connectors will", n)))
	}
	fmt.Fprintln(w)
}

// firstFew joins the first n of ss with commas, saying how many more there are.
func firstFew(ss []string, n int) string {
	if len(ss) <= n {
		return strings.Join(ss, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ss[:n], ", "), len(ss)-n)
}
