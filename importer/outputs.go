package importer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/connvault/connvault/internal/atomicfile"
)

// OutputExistsError refuses a file an import would write (its undo bundle or
// mapping file) that exists already and is not the file of the run it
// continues. Such a file may be an earlier import's undo bundle, the only
// way to roll that import back, or anything else: an import never replaces
// it.
type OutputExistsError struct {
	What string // "undo bundle" or "mapping file"
	Path string // as given
}

func (e *OutputExistsError) Error() string {
	return fmt.Sprintf("the %s would be written to %s, which exists already (an earlier import's %s is its only way back, and connvault never replaces a file it did not write in this run); choose a path that does not exist, or move %s away",
		e.What, e.Path, e.What, e.Path)
}

// CheckOutputs refuses, before anything is read, an explicit undo bundle or
// mapping file path (Options.UndoPath, Options.MappingPath) that exists and is
// not the same file of an unfinished run recorded in stateDir, which a rerun
// may continue: a *OutputExistsError. Apply checks again once it knows which
// run it continues (or that it starts a new one).
func CheckOutputs(stateDir, undoPath, mappingPath string) error {
	runs, err := readRuns(firstNonEmpty(stateDir, DefaultStateDir))
	if err != nil {
		return err
	}
	check := func(what, path string, recorded func(runLog) string) error {
		if !exists(path) {
			return nil
		}
		for _, r := range runs {
			if r.undo && !r.ended && !r.rolledBack && atomicfile.SameFile(path, recorded(r)) {
				return nil
			}
		}
		return &OutputExistsError{What: what, Path: path}
	}
	if err := check("undo bundle", undoPath, func(r runLog) string { return r.begin.UndoPath }); err != nil {
		return err
	}
	return check("mapping file", mappingPath, func(r runLog) string { return r.begin.MappingPath })
}

// refuseExisting refuses a path a new run would write that exists already.
// ownOf is the file of the same kind that the run being continued wrote
// ("" for a new run): the path may be that file.
func refuseExisting(what, path, ownOf string) error {
	if exists(path) && !atomicfile.SameFile(path, ownOf) {
		return &OutputExistsError{What: what, Path: path}
	}
	return nil
}

// exists reports whether anything (a file, a directory, a dangling link) is
// at path; "" is nothing.
func exists(path string) bool {
	if path == "" {
		return false
	}
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
