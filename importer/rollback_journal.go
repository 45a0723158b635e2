package importer

import (
	"fmt"
	"slices"
)

// What a rollback undid, journaled in the run's journal as it goes, so that
// the run's undo bundle used again knows that what is there now is no longer
// the run's doing: a later import may have created the same scriptName with
// the same content, or written the same parts, and hashes cannot tell.
const (
	opRemoved  = "removed"  // a rollback deleted this connector the run created
	opRestored = "restored" // a rollback restored these parts (or recreated the connector the run deleted)
)

// undone is what earlier rollbacks of a run undid to one connector, since
// the run last wrote to it.
type undone struct {
	removed  bool     // the connector the run created was deleted
	restored []string // parts written back (all of them, for a recreated connector)
}

// undoneFold replays a run's records, in order (a fold: visit each, then
// result): a rollback's removed and restored records add to what is undone,
// and a later write of the run (a rerun continuing an interrupted
// rollback's run) makes it the run's again.
func undoneFold() (visit func(record), result func() map[string]undone) {
	out := map[string]undone{}
	return func(rec record) {
		if rec.ScriptName == "" {
			return
		}
		u := out[rec.ScriptName]
		switch rec.Op {
		case opRemoved:
			u.removed = true
		case opRestored:
			for _, p := range rec.Parts {
				if !slices.Contains(u.restored, p) {
					u.restored = append(u.restored, p)
				}
			}
		case opCreated:
			u.removed = false
		case opWrite, opDone:
			u.restored = slices.DeleteFunc(u.restored, func(p string) bool { return slices.Contains(rec.Parts, p) })
		default:
			return
		}
		out[rec.ScriptName] = u
	}, func() map[string]undone { return out }
}

// noteNoJournal is the plan's note when the run's journal is not in the
// state directory.
func noteNoJournal(runID, stateDir string) string {
	return fmt.Sprintf("no journal of run %s in %s: without it the rollback cannot tell whether the run was already rolled back, "+
		"or a later import created or wrote the same connectors since (the same scriptNames and content), so it deletes and restores nothing; "+
		"give the --state-dir the import used (the default, %s, is relative to the working directory), or --force to roll back by the undo bundle alone",
		runID, stateDir, DefaultStateDir)
}

// changedNoJournal is what a rollback without the run's journal says of a
// connector or part it would otherwise delete or restore.
const changedNoJournal = "cannot be ruled out without the run's journal"
