package bundle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Commit writes the bundle and returns its manifest. An archive is written to a
// temporary file beside the destination, synced, made 0600 and renamed over the
// destination; a directory is swapped in as the package documentation
// describes. Whatever the outcome, the staging files are removed and the Writer
// is closed: on error the destination is as it was.
func (w *Writer) Commit(ctx context.Context) (Manifest, error) {
	w.life.Lock()
	defer w.life.Unlock()
	if w.done {
		return Manifest{}, errors.New("commit bundle: bundle writer already closed")
	}
	w.done = true
	m := w.manifest()
	keepStaging, err := w.commit(ctx, m)
	if cerr := w.closeSpool(); cerr != nil && err == nil {
		err = cerr
	}
	if !keepStaging {
		if rerr := os.RemoveAll(w.staging); rerr != nil && err == nil {
			err = fmt.Errorf("remove staging: %w", rerr)
		}
	}
	if err != nil {
		if w.form == formStream {
			return Manifest{}, fmt.Errorf("commit bundle stream: %w", err)
		}
		return Manifest{}, fmt.Errorf("commit bundle %s: %w", w.dest, err)
	}
	return m, nil
}

// commit writes the bundle of manifest m. keepStaging is true when the staging
// directory must survive (it holds the previous content of a directory bundle
// that could not be put back).
func (w *Writer) commit(ctx context.Context, m Manifest) (keepStaging bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	manifest, err := encodeJSON(m)
	if err != nil {
		return false, fmt.Errorf("encode manifest: %w", err)
	}
	switch w.form {
	case formStream:
		return false, writeArchive(ctx, w.out, manifest, m, w.createdAt, w.openStaged)
	case formArchive:
		return false, w.commitArchive(ctx, manifest, m)
	default:
		return w.commitDir(ctx, manifest)
	}
}

// commitArchive writes the archive to a temporary file beside the destination,
// then renames it into place.
func (w *Writer) commitArchive(ctx context.Context, manifest []byte, m Manifest) error {
	dir := filepath.Dir(w.dest)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(w.dest)+".connvault-tmp-*")
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if err := writeArchive(ctx, tmp, manifest, m, w.createdAt, w.openStaged); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), w.dest); err != nil {
		return err
	}
	committed = true
	return syncDir(dir)
}

// commitDir puts the staged directory bundle in place. A new directory is the
// staging directory renamed. An existing one keeps its other entries: its
// manifest.json and connectors/ are moved into the staging directory, the new
// connectors/ is moved in, then the new manifest.json, last. A reader in between
// finds no manifest (never a manifest that does not match the files); on
// failure, the previous content is moved back.
func (w *Writer) commitDir(ctx context.Context, manifest []byte) (keepStaging bool, err error) {
	if err := writeFile(filepath.Join(w.staging, manifestName), manifest, true); err != nil {
		return false, err
	}
	newConnectors := filepath.Join(w.staging, connectorsDir)
	hasConnectors := true
	if _, err := os.Lstat(newConnectors); errors.Is(err, os.ErrNotExist) {
		hasConnectors = false
	} else if err != nil {
		return false, err
	} else if err := syncDir(newConnectors); err != nil {
		return false, err
	}
	if err := syncDir(w.staging); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if !w.replace {
		if err := os.Rename(w.staging, w.dest); err != nil {
			return false, err
		}
		return true, syncDir(filepath.Dir(w.dest)) // the staging directory is now the bundle
	}

	old := filepath.Join(w.staging, ".old")
	if err := os.Mkdir(old, 0o700); err != nil {
		return false, err
	}
	// moves are done in order and undone in reverse on failure.
	type move struct{ from, to string }
	var done []move
	undo := func(cause error) (bool, error) {
		for i := len(done) - 1; i >= 0; i-- {
			if err := os.Rename(done[i].to, done[i].from); err != nil {
				return true, fmt.Errorf("%w; and restoring the previous bundle failed (%v): it is in %s", cause, err, old)
			}
		}
		return false, cause
	}
	var moves []move
	for _, name := range []string{manifestName, connectorsDir} {
		cur := filepath.Join(w.dest, name)
		if _, err := os.Lstat(cur); errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return false, err
		}
		moves = append(moves, move{cur, filepath.Join(old, name)})
	}
	if hasConnectors {
		moves = append(moves, move{newConnectors, filepath.Join(w.dest, connectorsDir)})
	}
	moves = append(moves, move{filepath.Join(w.staging, manifestName), filepath.Join(w.dest, manifestName)})
	for _, mv := range moves {
		if err := os.Rename(mv.from, mv.to); err != nil {
			return undo(err)
		}
		done = append(done, mv)
	}
	return false, syncDir(w.dest)
}

// Abort removes the staging files; the destination is untouched. It waits for
// the Adds in flight. After Commit or another Abort it does nothing.
func (w *Writer) Abort() error {
	w.life.Lock()
	defer w.life.Unlock()
	if w.done {
		return nil
	}
	w.done = true
	_ = w.closeSpool()
	if err := os.RemoveAll(w.staging); err != nil {
		return fmt.Errorf("abort bundle: remove staging: %w", err)
	}
	return nil
}

// closeSpool closes the spool file, if any.
func (w *Writer) closeSpool() error {
	if w.spool == nil {
		return nil
	}
	err := w.spool.Close()
	w.spool = nil
	return err
}
