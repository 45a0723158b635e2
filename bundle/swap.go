package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// A directory bundle replaces the previous one in an existing directory by a
// sequence of renames (see commitDir). A run killed in the middle leaves the
// directory without a manifest, the previous content in the staging
// directory's ".old", and there the list of moves (swapJournal), written and
// synced before the first rename. The next Create on that directory reads it
// and puts the previous bundle back (or, if the last move was done, keeps the
// new one), so that every kill point is recoverable.

// swapJournal is the file in the staging directory's ".old" listing the moves.
const swapJournal = "moves.json"

// swapMove is one rename, by paths relative to the destination directory.
type swapMove struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// errSimulatedKill stops a swap as SIGKILL would, for tests (killAfterMove).
var errSimulatedKill = errors.New("simulated kill")

// swap writes the journal of moves, then renames each in order; on a failure
// it renames back what it did. keepStaging is true when the previous content
// could not be put back (it is then in the staging directory).
func (w *Writer) swap(moves []swapMove) (keepStaging bool, err error) {
	old := filepath.Join(w.staging, ".old")
	data, err := json.Marshal(moves)
	if err != nil {
		return false, err
	}
	if err := writeFile(filepath.Join(old, swapJournal), data, true); err != nil {
		return false, err
	}
	if err := syncDir(old); err != nil {
		return false, err
	}
	for i, mv := range moves {
		if err := os.Rename(filepath.Join(w.dest, mv.From), filepath.Join(w.dest, mv.To)); err != nil {
			if uerr := undoMoves(w.dest, moves[:i]); uerr != nil {
				return true, fmt.Errorf("%w; and restoring the previous bundle failed (%v): it is in %s", err, uerr, old)
			}
			return false, err
		}
		if w.killAfterMove != nil && w.killAfterMove(i) {
			return true, errSimulatedKill
		}
	}
	return false, syncDir(w.dest)
}

// undoMoves renames back, in reverse order, the moves that were done.
func undoMoves(dest string, moves []swapMove) error {
	for i := len(moves) - 1; i >= 0; i-- {
		from, to := filepath.Join(dest, moves[i].From), filepath.Join(dest, moves[i].To)
		if !exists(to) || exists(from) {
			continue // not done
		}
		if err := os.Rename(to, from); err != nil {
			return err
		}
	}
	return nil
}

// recoverSwaps finishes what a killed swap into dest left: for each staging
// directory holding ".old", the previous bundle is put back unless the swap's
// last move (the new manifest.json) was done; then the staging directory goes.
func recoverSwaps(dest string) error {
	stale, _ := filepath.Glob(filepath.Join(dest, ".connvault-staging-*"))
	for _, staging := range stale {
		old := filepath.Join(staging, ".old")
		if !exists(old) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(old, swapJournal))
		switch {
		case errors.Is(err, os.ErrNotExist):
			// Killed before the journal (nothing was moved), or a swap by
			// a connvault that kept no journal.
			if err := recoverLegacySwap(dest, staging); err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("recover the interrupted swap in %s: %w", staging, err)
		default:
			var moves []swapMove
			if err := json.Unmarshal(data, &moves); err != nil {
				return fmt.Errorf("recover the interrupted swap in %s: %s: %w", staging, swapJournal, err)
			}
			last := len(moves) - 1
			finished := last >= 0 && exists(filepath.Join(dest, moves[last].To)) && !exists(filepath.Join(dest, moves[last].From))
			if !finished {
				if err := undoMoves(dest, moves); err != nil {
					return fmt.Errorf("recover the interrupted swap in %s: put the previous bundle back: %w (it is in %s)", dest, err, old)
				}
				if err := syncDir(dest); err != nil {
					return err
				}
			}
		}
		if err := os.RemoveAll(staging); err != nil {
			return fmt.Errorf("recover the interrupted swap in %s: %w", staging, err)
		}
	}
	return nil
}

// recoverLegacySwap puts back what a swap without a journal moved into
// staging/.old (the previous manifest.json and connectors/), unless the new
// manifest.json is already in place (the swap was done).
func recoverLegacySwap(dest, staging string) error {
	old := filepath.Join(staging, ".old")
	if exists(filepath.Join(dest, manifestName)) {
		return nil // done, or never started: what is at dest is whole
	}
	if prev := filepath.Join(old, connectorsDir); exists(prev) {
		cur := filepath.Join(dest, connectorsDir)
		if exists(cur) { // the new connectors/, without its manifest
			if err := os.Rename(cur, filepath.Join(staging, "new-"+connectorsDir)); err != nil {
				return fmt.Errorf("recover the interrupted swap in %s: %w (the previous bundle is in %s)", dest, err, old)
			}
		}
		if err := os.Rename(prev, cur); err != nil {
			return fmt.Errorf("recover the interrupted swap in %s: %w (the previous bundle is in %s)", dest, err, old)
		}
	}
	if prev := filepath.Join(old, manifestName); exists(prev) {
		if err := os.Rename(prev, filepath.Join(dest, manifestName)); err != nil {
			return fmt.Errorf("recover the interrupted swap in %s: %w (the previous bundle is in %s)", dest, err, old)
		}
	}
	return syncDir(dest)
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
