package bundle

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Commit writes the bundle and returns its manifest. An archive is written to a
// temporary file beside the destination, synced, made 0600 and renamed over the
// destination; a directory is swapped in as the package documentation
// describes. Whatever the outcome, the staging files are removed and the Writer
// is closed: on error the destination is as it was.
//
// manifest.json and the archive are streamed from the staging files; the
// manifest returned is built from them once the bundle is written.
func (w *Writer) Commit(ctx context.Context) (Manifest, error) {
	w.life.Lock()
	defer w.life.Unlock()
	if w.done {
		return Manifest{}, errors.New("commit bundle: bundle writer already closed")
	}
	w.done = true
	m, keepStaging, err := w.commit(ctx)
	if cerr := w.closeSpool(); cerr != nil && err == nil {
		err = cerr
	}
	if !keepStaging && w.staging != "" {
		if rerr := removeStaging(w.staging); rerr != nil && err == nil {
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

// commit writes the bundle and returns its manifest. keepStaging is true when
// the staging directory must survive (it holds the previous content of a
// directory bundle that could not be put back).
func (w *Writer) commit(ctx context.Context) (m Manifest, keepStaging bool, err error) {
	if err := ctx.Err(); err != nil {
		return Manifest{}, false, err
	}
	// Every Add is over (Commit holds life): the staged entries are w's alone.
	slices.SortFunc(w.staged, func(a, b stagedEntry) int { return strings.Compare(a.key, b.key) })
	errs := slices.Clone(w.errs)
	slices.SortFunc(errs, func(a, b ItemError) int {
		return strings.Compare(
			a.ScriptName+"\x00"+a.Name+"\x00"+a.Part+"\x00"+a.Error,
			b.ScriptName+"\x00"+b.Name+"\x00"+b.Part+"\x00"+b.Error)
	})
	m = Manifest{
		Format:        Format,
		FormatVersion: FormatVersion,
		ToolVersion:   w.opts.ToolVersion,
		CreatedAt:     w.createdAt,
		Source:        w.opts.Source,
		Options:       w.opts.Options,
		Scope:         w.opts.Scope,
		Connectors:    []Entry{},
		Complete:      len(errs) == 0,
		Errors:        errs,
		Coverage:      w.coverage,
		Reads:         w.reads,
		Ambiguous:     slices.Clone(w.ambiguous),
	}
	slices.SortFunc(m.Ambiguous, func(a, b Ambiguity) int { return strings.Compare(a.ScriptName, b.ScriptName) })
	if m.ContentDigest, err = w.stagedDigest(); err != nil {
		return Manifest{}, false, err
	}
	var manifest stagingFile = &memFile{}
	if w.staging != "" {
		f, err := os.OpenFile(filepath.Join(w.staging, manifestName), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return Manifest{}, false, fmt.Errorf("write manifest: %w", err)
		}
		manifest = f
	}
	size, err := w.writeManifest(manifest, m, w.form == formDir)
	if err != nil {
		_ = manifest.Close()
		return Manifest{}, false, fmt.Errorf("write manifest: %w", err)
	}
	switch w.form {
	case formStream:
		err = w.writeArchive(ctx, w.out, manifest, size)
	case formArchive:
		err = w.commitArchive(ctx, manifest, size)
	}
	if cerr := manifest.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Manifest{}, false, err
	}
	// The bundle is written (or, for a directory, staged): only now is the
	// manifest held in memory whole.
	if m.Connectors, err = w.stagedEntries(); err != nil {
		return Manifest{}, false, err
	}
	if w.form == formDir {
		// The staging directory becomes the bundle, or part of it: the
		// entries file must go first.
		if err := w.closeSpool(); err != nil {
			return Manifest{}, false, err
		}
		if err := os.Remove(filepath.Join(w.staging, entriesName)); err != nil {
			return Manifest{}, false, err
		}
		if keepStaging, err = w.commitDir(ctx); err != nil {
			return Manifest{}, keepStaging, err
		}
	}
	return m, keepStaging, nil
}

// readEntry reads the manifest entry of s from the entries file into buf
// (grown as needed) and decodes it into e, unless e is nil. It returns the
// entry's compact JSON, which stays valid until buf is used again.
func (w *Writer) readEntry(s stagedEntry, buf *[]byte, e *Entry) ([]byte, error) {
	if cap(*buf) < int(s.length) {
		*buf = make([]byte, s.length)
	}
	rec := (*buf)[:s.length]
	if _, err := w.entries.ReadAt(rec, s.entry); err != nil {
		return nil, fmt.Errorf("read staged entry %s: %w", s.key, err)
	}
	if e != nil {
		*e = Entry{}
		if err := json.Unmarshal(rec, e); err != nil {
			return nil, fmt.Errorf("read staged entry %s: %w", s.key, err)
		}
		if e.Key != s.key {
			return nil, fmt.Errorf("staged entry %s changed since it was added", s.key)
		}
	}
	return rec, nil
}

// stagedEntries reads back every staged entry, sorted by key.
func (w *Writer) stagedEntries() ([]Entry, error) {
	entries := make([]Entry, len(w.staged))
	var buf []byte
	for i, s := range w.staged {
		if _, err := w.readEntry(s, &buf, &entries[i]); err != nil {
			return nil, err
		}
	}
	return entries, nil
}

// stagedDigest is the contentDigest of the staged entries (see contentDigest),
// computed one entry at a time. The paths of a connector all begin with
// "connectors/<key>/" and keys hold no "/", so the paths sorted are the
// connectors sorted by key+"/", each with its files (sorted by path); and a
// line sorts as its path does, since the "  " after a path sorts before any
// byte a path can hold.
func (w *Writer) stagedDigest() (string, error) {
	order := make([]int32, len(w.staged))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return compareDirs(w.staged[a].key, w.staged[b].key) })
	h := sha256.New()
	var buf []byte
	var e Entry
	for _, i := range order {
		if _, err := w.readEntry(w.staged[i], &buf, &e); err != nil {
			return "", err
		}
		for _, f := range e.Files {
			_, _ = io.WriteString(h, f.Path)
			_, _ = io.WriteString(h, "  ")
			_, _ = io.WriteString(h, f.SHA256)
			_, _ = io.WriteString(h, "\n")
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// compareDirs compares a+"/" with b+"/", keys that hold no "/", without
// building them.
func compareDirs(a, b string) int {
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	switch {
	case len(a) == len(b):
		return 0
	case len(a) < len(b):
		return cmp.Compare('/', b[n])
	default:
		return cmp.Compare(a[n], '/')
	}
}

// connectorsMark is where the connectors are in the encoding of a manifest
// without any: a top-level key is the only thing indented by exactly two spaces
// and followed by a quote (strings hold no raw newline), so it is found once.
const connectorsMark = "\n  \"connectors\": []"

// optionsPlaceholder stands for the options in the encoding of a manifest
// (writeManifest), found as optionsMark: the value of the top-level key
// "options", which a quote cannot precede inside a string.
const (
	optionsPlaceholder = `"connvault-options-placeholder"`
	optionsMark        = "\n  \"options\": " + optionsPlaceholder
)

// writeManifest writes to f (new and empty): the encoding of m (whose
// Connectors are empty) with the staged entries in its connectors, synced if
// durable and f is a file. It is what encodeJSON gives for the whole manifest: the
// entries are encoded one at a time and indented at their depth, as that does.
// It returns the size written.
func (w *Writer) writeManifest(f stagingFile, m Manifest, durable bool) (int64, error) {
	// The options are spliced in where a placeholder stands, indented at
	// their depth as encodeJSON would: encoding them inside the skeleton
	// would hold three copies of them at once (an import's undo bundle
	// records what it wrote to each connector there: megabytes).
	options := m.Options
	if len(options) > 0 {
		m.Options = json.RawMessage(optionsPlaceholder)
	}
	skeleton, err := encodeJSON(m)
	if err != nil {
		return 0, err
	}
	i := bytes.Index(skeleton, []byte(connectorsMark))
	if i < 0 {
		return 0, errors.New("no connectors in the manifest encoding")
	}
	split := i + len(connectorsMark) - 1 // at the "]"
	head := skeleton[:split]
	var afterOptions []byte
	if len(options) > 0 {
		o := bytes.Index(head, []byte(optionsMark))
		if o < 0 {
			return 0, errors.New("no options in the manifest encoding")
		}
		o += len(optionsMark) - len(optionsPlaceholder)
		head, afterOptions = skeleton[:o], skeleton[o+len(optionsPlaceholder):split]
	}
	cw := &countWriter{w: f}
	bw := bufio.NewWriterSize(cw, 64<<10)
	_, _ = bw.Write(head)
	if len(options) > 0 {
		var indented bytes.Buffer
		// Indent keeps trailing white space, which encodeJSON drops.
		if err := json.Indent(&indented, bytes.TrimRight(options, " \t\r\n"), "  ", "  "); err != nil {
			return 0, fmt.Errorf("manifest options: %w", err)
		}
		_, _ = bw.Write(indented.Bytes())
		head = afterOptions
	} else {
		head = nil
	}
	err = w.writeManifestBody(bw, head, skeleton[split:])
	if err == nil {
		err = bw.Flush()
	}
	if file, ok := f.(*os.File); ok && err == nil && durable {
		err = file.Sync()
	}
	return cw.n, err
}

func (w *Writer) writeManifestBody(bw *bufio.Writer, head, tail []byte) error {
	_, _ = bw.Write(head)
	var buf []byte
	var indented bytes.Buffer
	for i, s := range w.staged {
		rec, err := w.readEntry(s, &buf, nil)
		if err != nil {
			return err
		}
		if i > 0 {
			_ = bw.WriteByte(',')
		}
		_, _ = bw.WriteString("\n    ")
		indented.Reset()
		if err := json.Indent(&indented, rec, "    ", "  "); err != nil {
			return fmt.Errorf("staged entry %s: %w", s.key, err)
		}
		if _, err := bw.Write(indented.Bytes()); err != nil {
			return err
		}
	}
	if len(w.staged) > 0 {
		_, _ = bw.WriteString("\n  ")
	}
	_, err := bw.Write(tail)
	return err
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeArchive writes the archive to out: manifest.json, of size bytes, from
// manifest, then the staged files in manifest order.
func (w *Writer) writeArchive(ctx context.Context, out io.Writer, manifest io.ReaderAt, size int64) error {
	return writeArchive(ctx, out, io.NewSectionReader(manifest, 0, size), size, w.createdAt, w.walkStaged)
}

// walkStaged calls visit for every staged file in manifest order, with its
// content in the spool.
func (w *Writer) walkStaged(visit func(File, io.Reader) error) error {
	var buf []byte
	var e Entry
	for _, s := range w.staged {
		if _, err := w.readEntry(s, &buf, &e); err != nil {
			return err
		}
		off := s.data
		for _, f := range e.Files {
			if err := visit(f, io.NewSectionReader(w.spool, off, f.Size)); err != nil {
				return err
			}
			off += f.Size
		}
	}
	return nil
}

// commitArchive writes the archive to a temporary file beside the destination,
// then renames it into place.
func (w *Writer) commitArchive(ctx context.Context, manifest io.ReaderAt, size int64) error {
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
	if err := w.writeArchive(ctx, tmp, manifest, size); err != nil {
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
// failure, the previous content is moved back. manifest.json is already in the
// staging directory, synced.
func (w *Writer) commitDir(ctx context.Context) (keepStaging bool, err error) {
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
	rel := func(p string) string { r, _ := filepath.Rel(w.dest, p); return r }
	var moves []swapMove
	for _, name := range []string{manifestName, connectorsDir} {
		cur := filepath.Join(w.dest, name)
		if _, err := os.Lstat(cur); errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return false, err
		}
		moves = append(moves, swapMove{name, rel(filepath.Join(old, name))})
	}
	if hasConnectors {
		moves = append(moves, swapMove{rel(newConnectors), connectorsDir})
	}
	moves = append(moves, swapMove{rel(filepath.Join(w.staging, manifestName)), manifestName})
	return w.swap(moves)
}

// PendingDigest returns the contentDigest that Commit would record for what
// was added so far, and whether the bundle would be complete (no Fail). It
// waits for the Adds in flight and may be called before Commit or Abort, for
// instance to skip writing a bundle whose content a previous one already has.
func (w *Writer) PendingDigest() (digest string, complete bool, err error) {
	w.life.Lock()
	defer w.life.Unlock()
	if w.done {
		return "", false, errors.New("bundle digest: bundle writer already closed")
	}
	digest, err = w.stagedDigest()
	if err != nil {
		return "", false, fmt.Errorf("bundle digest: %w", err)
	}
	return digest, len(w.errs) == 0, nil
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
	if w.staging == "" {
		return nil
	}
	if err := removeStaging(w.staging); err != nil {
		return fmt.Errorf("abort bundle: remove staging: %w", err)
	}
	return nil
}

// closeSpool closes the spool and entries files, if open.
func (w *Writer) closeSpool() error {
	var err error
	for _, f := range []*stagingFile{&w.spool, &w.entries} {
		if *f == nil {
			continue
		}
		if cerr := (*f).Close(); err == nil {
			err = cerr
		}
		*f = nil
	}
	if w.lock != nil {
		_ = w.lock.Close() // the staging directory is about to go
		w.lock = nil
	}
	return err
}
