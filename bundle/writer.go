package bundle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/gofrs/flock"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// WriterOptions are what a Writer records in the manifest besides the connectors.
type WriterOptions struct {
	// CreatedAt is the manifest's createdAt and the modification time of every
	// archive entry, in UTC truncated to seconds. Zero means time.Now(); callers
	// normally pass CreatedAtFromEnv so that SOURCE_DATE_EPOCH is honoured.
	CreatedAt   time.Time
	ToolVersion string
	Source      Source
	// Options are the export options, recorded as they are. They must be valid
	// JSON and must never hold a secret.
	Options json.RawMessage
	// Scope is recorded as the manifest's scope (nil: none recorded).
	Scope *Scope
	// InMemory stages everything in memory instead of on disk, for a stream
	// that is encrypted on its way out (CreateStream only): no plaintext
	// copy then touches the disk, and memory grows with the content.
	InMemory bool
}

// form is the shape of a bundle on disk.
type form int

const (
	formArchive form = iota // a .tar.gz or .tgz file
	formDir                 // a directory
	formStream              // a .tar.gz written to an io.Writer
)

// Writer builds a bundle. Add stages every file on disk as it comes, so memory
// does not grow with the content; Commit writes the bundle and only then does
// anything appear at the destination. A Writer must end with Commit or Abort.
//
// For an archive, files are appended to one spool file (creating thousands of
// small files costs more than writing them); for a directory, they are staged
// in their final layout, so that Commit only renames. The manifest entries are
// staged too, in an entries file, so that what a Writer holds in memory per
// connector is its key and a few offsets; Commit streams manifest.json and the
// archive from the staged files.
type Writer struct {
	dest      string      // the destination; "" for a stream
	form      form        // archive, directory or stream
	out       io.Writer   // the stream, for formStream
	replace   bool        // formDir: dest exists, its content is swapped on Commit
	staging   string      // the staging directory
	spool     stagingFile // archive and stream forms: the staged content, file after file
	entries   stagingFile // the staged manifest entries, compact JSON one after another
	createdAt time.Time
	opts      WriterOptions

	// life is held shared by Add and exclusively by Commit and Abort, so that
	// these wait for the Adds in flight.
	life sync.RWMutex
	done bool // Commit or Abort has started; guarded by life

	mu       sync.Mutex
	keys     map[string]string // lower-case key → key, for case-insensitive uniqueness
	staged   []stagedEntry     // the connectors added, in no particular order
	errs     []ItemError
	coverage *Coverage

	// killAfterMove, set by tests, stops a directory swap after move i as
	// SIGKILL would (nothing undone, staging kept).
	killAfterMove func(i int) bool
	// lock is held on a stream's staging directory (see lockStaging).
	lock       *flock.Flock
	reads      *Reads
	ambiguous  []Ambiguity
	spoolEnd   int64 // where the next file goes in the spool
	entriesEnd int64 // where the next entry goes in the entries file
}

// stagedEntry is all a Writer holds in memory of a connector: its key, where
// its manifest entry is in the entries file and, for an archive, where its
// files are in the spool (one after another, in the order of the entry's files).
type stagedEntry struct {
	key    string
	entry  int64  // offset of the entry in the entries file
	data   int64  // offset of the first file in the spool
	length uint32 // length of the entry
}

// Create starts a bundle at path. A path ending in ".tar.gz" or ".tgz" is an
// archive; an existing directory or a path ending in "/" is the directory form
// (see the package documentation). Files are staged beside the destination
// (inside it, for an existing directory) so that Commit can rename them into
// place; nothing appears at path until Commit.
func Create(path string, opts WriterOptions) (*Writer, error) {
	w, err := newWriter(opts)
	if err != nil {
		return nil, fmt.Errorf("create bundle %s: %w", path, err)
	}
	w.dest = filepath.Clean(path)
	info, statErr := os.Stat(w.dest)
	exists := statErr == nil
	if statErr != nil && !errors.Is(statErr, os.ErrNotExist) {
		return nil, fmt.Errorf("create bundle %s: %w", path, statErr)
	}
	lower := strings.ToLower(w.dest)
	// A run killed outright (SIGKILL, power loss) leaves its staging behind;
	// the next run to the same destination removes it. Two runs must not
	// write one destination at once.
	removeStale(filepath.Join(filepath.Dir(w.dest), "."+filepath.Base(w.dest)+".connvault-*"))
	if exists && info.IsDir() {
		// A run killed while swapping a directory bundle: put it right.
		if err := recoverSwaps(w.dest); err != nil {
			return nil, fmt.Errorf("create bundle %s: %w", path, err)
		}
		removeStale(filepath.Join(w.dest, ".connvault-staging-*"))
	}
	switch {
	case strings.HasSuffix(lower, ".tar.gz") || strings.HasSuffix(lower, ".tgz"):
		if exists && info.IsDir() {
			return nil, fmt.Errorf("create bundle %s: an archive path names an existing directory", path)
		}
		w.form = formArchive
		w.staging, err = os.MkdirTemp(filepath.Dir(w.dest), "."+filepath.Base(w.dest)+".connvault-staging-*")
	case exists && info.IsDir():
		if err := checkReplaceable(w.dest); err != nil {
			return nil, fmt.Errorf("create bundle %s: %w", path, err)
		}
		w.form, w.replace = formDir, true
		w.staging, err = os.MkdirTemp(w.dest, ".connvault-staging-*")
	case !exists && (strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(filepath.Separator))):
		w.form = formDir
		w.staging, err = os.MkdirTemp(filepath.Dir(w.dest), "."+filepath.Base(w.dest)+".connvault-staging-*")
	default:
		return nil, fmt.Errorf("create bundle %s: want a path ending in .tar.gz or .tgz, or a directory (end it with /)", path)
	}
	if err == nil {
		err = w.openSpool(w.form == formArchive)
	}
	if err != nil {
		return nil, fmt.Errorf("create bundle %s: staging: %w", path, err)
	}
	return w, nil
}

// checkReplaceable refuses to write a bundle into an existing directory whose
// connectors/ or manifest.json is not a bundle's: replacing them would destroy
// files that connvault did not write (think `--out .` in a repository).
func checkReplaceable(dir string) error {
	data, merr := os.ReadFile(filepath.Join(dir, manifestName))
	_, cerr := os.Lstat(filepath.Join(dir, connectorsDir))
	hasConnectors := cerr == nil
	switch {
	case merr == nil:
		var m struct {
			Format string `json:"format"`
		}
		if json.Unmarshal(data, &m) != nil || m.Format != Format {
			return fmt.Errorf("%s is not a connvault manifest; refusing to replace it (choose an empty or new directory)", filepath.Join(dir, manifestName))
		}
	case !errors.Is(merr, os.ErrNotExist):
		return merr
	case hasConnectors:
		return fmt.Errorf("%s exists but %s does not: it is not a connvault bundle; refusing to replace it (choose an empty or new directory)",
			filepath.Join(dir, connectorsDir), manifestName)
	default:
		// No bundle here: only an empty directory may become one (what a
		// killed run left behind does not count).
		des, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, de := range des {
			if !strings.HasPrefix(de.Name(), ".connvault-staging-") {
				return fmt.Errorf("%s is not empty and holds no connvault bundle (it has %s); refusing to write a bundle into it (choose an empty or new directory)",
					dir, de.Name())
			}
		}
	}
	return nil
}

// CreateStream starts an archive bundle that Commit writes to out, for
// `--out -`. Files are staged in tempDir ("" means os.TempDir()).
func CreateStream(out io.Writer, tempDir string, opts WriterOptions) (*Writer, error) {
	w, err := newWriter(opts)
	if err != nil {
		return nil, fmt.Errorf("create bundle stream: %w", err)
	}
	w.form, w.out = formStream, out
	if opts.InMemory {
		w.spool, w.entries = &memFile{}, &memFile{}
		return w, nil
	}
	removeAbandonedStaging(tempDir)
	if w.staging, w.lock, err = newStaging(tempDir); err == nil {
		err = w.openSpool(true)
	}
	if err != nil {
		return nil, fmt.Errorf("create bundle stream: staging: %w", err)
	}
	return w, nil
}

// Names of the staging files of a Writer, in its staging directory.
const (
	spoolName   = "spool"
	entriesName = "entries"
)

// openSpool creates the entries file and, with content, the spool file in the
// staging directory.
func (w *Writer) openSpool(content bool) error {
	f, err := os.OpenFile(filepath.Join(w.staging, entriesName), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		w.entries = f
		if content {
			w.spool, err = os.OpenFile(filepath.Join(w.staging, spoolName), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		}
	}
	if err != nil {
		_ = w.closeSpool()
		_ = removeStaging(w.staging)
		return err
	}
	return nil
}

func newWriter(opts WriterOptions) (*Writer, error) {
	if len(opts.Options) > 0 && !json.Valid(opts.Options) {
		return nil, errors.New("export options are not valid JSON")
	}
	createdAt := opts.CreatedAt
	if createdAt.IsZero() {
		createdAt = time.Now()
	}
	return &Writer{
		createdAt: createdAt.UTC().Truncate(time.Second),
		opts:      opts,
		keys:      make(map[string]string),
	}, nil
}

// CreatedAtFromEnv returns the createdAt of a new bundle: SOURCE_DATE_EPOCH (a
// decimal number of seconds since 1970, see reproducible-builds.org) when
// getenv returns it non-empty, else now; in UTC, truncated to seconds. The caller
// passes os.Getenv, so that no package reads the environment itself.
func CreatedAtFromEnv(getenv func(string) string, now time.Time) (time.Time, error) {
	v := strings.TrimSpace(getenv("SOURCE_DATE_EPOCH"))
	if v == "" {
		return now.UTC().Truncate(time.Second), nil
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	// The upper bound is the end of year 9999, the last a JSON time (RFC 3339)
	// can hold.
	if err != nil || secs < 0 || secs > 253402300799 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds since 1970 between 0 and 253402300799 (year 9999)", v)
	}
	return time.Unix(secs, 0).UTC(), nil
}

// stagedPart is one file of a connector before it is staged.
type stagedPart struct {
	kind, locale string
	data         []byte
}

// Add stages the files of c and returns its manifest entry. It is safe for
// concurrent use. It refuses an empty scriptName, a key already taken (also by a
// key that differs only in letter case), a locale that is not a safe path
// segment, and a Detail that is not a JSON object (an empty Detail is written as
// {}). Nil parts are absent from the bundle; empty ones are empty files.
func (w *Writer) Add(c Connector) (Entry, error) {
	w.life.RLock()
	defer w.life.RUnlock()
	if w.done {
		return Entry{}, fmt.Errorf("add connector %q: bundle writer already closed", c.ScriptName)
	}
	if c.ScriptName == "" {
		return Entry{}, fmt.Errorf("add connector %q: empty scriptName", c.Name)
	}
	parts, err := connectorParts(c)
	if err != nil {
		return Entry{}, fmt.Errorf("add connector %q: %w", c.ScriptName, err)
	}
	key := KeyFor(c.ScriptName)
	if err := w.reserve(key); err != nil {
		return Entry{}, fmt.Errorf("add connector %q: %w", c.ScriptName, err)
	}
	e := Entry{Key: key, Name: c.Name, Type: c.Type, ClassName: c.ClassName, Status: c.Status, ScriptName: c.ScriptName,
		Sources: c.Sources}
	var data int64
	if w.spool != nil {
		e.Files, data, err = w.spoolParts(key, parts)
	} else {
		e.Files, err = w.stageParts(key, parts)
	}
	if err == nil {
		err = w.stageEntry(e, data)
	}
	if err != nil {
		_ = os.RemoveAll(filepath.Join(w.staging, connectorsDir, key))
		w.mu.Lock()
		delete(w.keys, strings.ToLower(key))
		w.mu.Unlock()
		return Entry{}, fmt.Errorf("add connector %q: stage: %w", c.ScriptName, err)
	}
	return e, nil
}

// stageEntry appends e to the entries file and records where it is, and where
// its files are in the spool (data).
func (w *Writer) stageEntry(e Entry, data int64) error {
	rec, err := compactJSON(e)
	if err != nil {
		return err
	}
	if len(rec) > math.MaxUint32 {
		return errors.New("manifest entry too large")
	}
	w.mu.Lock()
	off := w.entriesEnd
	w.entriesEnd += int64(len(rec))
	w.mu.Unlock()
	if _, err := w.entries.WriteAt(rec, off); err != nil {
		return err
	}
	w.mu.Lock()
	w.staged = append(w.staged, stagedEntry{key: e.Key, entry: off, data: data, length: uint32(len(rec))})
	w.mu.Unlock()
	return nil
}

// removeStale removes what a killed run left behind, by glob pattern, except
// a staging directory holding a previous bundle's content (".old": the run
// was killed while swapping a directory bundle), which may be all that is left
// of it.
func removeStale(pattern string) {
	stale, _ := filepath.Glob(pattern)
	for _, p := range stale {
		if _, err := os.Lstat(filepath.Join(p, ".old")); err == nil {
			continue
		}
		_ = os.RemoveAll(p)
	}
}

// ErrKeyTaken is wrapped by Add's error when a connector's key is already
// taken in another letter case: that connector cannot be added, the others can.
var ErrKeyTaken = errors.New("bundle key taken")

// reserve claims key, refusing one taken, also in another letter case.
func (w *Writer) reserve(key string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	lower := strings.ToLower(key)
	if other, ok := w.keys[lower]; ok {
		if other == key {
			return fmt.Errorf("duplicate key %q", key)
		}
		return fmt.Errorf("key %q collides with %q on case-insensitive file systems: %w", key, other, ErrKeyTaken)
	}
	w.keys[lower] = key
	return nil
}

// connectorParts validates c and lists its files, connector.json first.
func connectorParts(c Connector) ([]stagedPart, error) {
	detail, err := canonicalDetail(c.Detail)
	if err != nil {
		return nil, fmt.Errorf("connector.json: %w", err)
	}
	if err := checkAnnounced(detail, func(kind, locale string) bool {
		switch kind {
		case KindSourceConfig:
			return c.SourceConfig != nil
		case KindSourceTemplate:
			return c.SourceTemplate != nil
		case KindCorrelationConfig:
			return c.CorrelationConfig != nil
		}
		return c.Translations[locale] != nil
	}); err != nil {
		return nil, fmt.Errorf("connector.json: %w", err)
	}
	parts := []stagedPart{{kind: KindConnector, data: detail}}
	for _, p := range []stagedPart{
		{kind: KindSourceConfig, data: c.SourceConfig},
		{kind: KindSourceTemplate, data: c.SourceTemplate},
		{kind: KindCorrelationConfig, data: c.CorrelationConfig},
	} {
		if p.data != nil {
			parts = append(parts, p)
		}
	}
	locales := make(map[string]string, len(c.Translations))
	for l, data := range c.Translations {
		if !safeSegment(l) {
			return nil, fmt.Errorf("translations: locale %q is not a safe path segment", l)
		}
		if other, ok := locales[strings.ToLower(l)]; ok {
			return nil, fmt.Errorf("translations: locales %q and %q differ only in letter case", l, other)
		}
		locales[strings.ToLower(l)] = l
		if data != nil {
			parts = append(parts, stagedPart{kind: KindTranslations, locale: l, data: data})
		}
	}
	return parts, nil
}

// canonicalDetail re-encodes a connector's detail canonically: object keys
// sorted, two-space indent, no HTML escaping, a trailing newline.
func canonicalDetail(raw json.RawMessage) ([]byte, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return []byte("{}\n"), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("detail is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("detail has data after its JSON value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("detail is not a JSON object")
	}
	return encodeJSON(obj)
}

// encodeJSON encodes v with a two-space indent, no HTML escaping and a trailing
// newline; map keys come out sorted.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// compactJSON encodes v without indentation, HTML escaping or a trailing
// newline: indented by json.Indent, it is what encodeJSON gives for v.
func compactJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// spoolParts appends parts to the spool, sorted by path, and returns their
// manifest files, sorted by path, and the offset of the first. The space is
// reserved under the lock; the writes, at their own offsets, run concurrently.
func (w *Writer) spoolParts(key string, parts []stagedPart) ([]File, int64, error) {
	files := make([]File, len(parts))
	order := make([]int, len(parts))
	var size int64
	for i, p := range parts {
		files[i] = fileOf(key, p)
		order[i] = i
		size += int64(len(p.data))
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(files[a].Path, files[b].Path) })
	w.mu.Lock()
	start := w.spoolEnd
	w.spoolEnd += size
	w.mu.Unlock()
	sorted := make([]File, 0, len(parts))
	off := start
	for _, i := range order {
		if _, err := w.spool.WriteAt(parts[i].data, off); err != nil {
			return nil, 0, err
		}
		off += files[i].Size
		sorted = append(sorted, files[i])
	}
	return sorted, start, nil
}

// stageParts writes parts into staging/connectors/<key>/, synced, and returns
// their manifest files, sorted by path.
func (w *Writer) stageParts(key string, parts []stagedPart) ([]File, error) {
	files := make([]File, 0, len(parts))
	dirs := map[string]bool{}
	for _, p := range parts {
		f := fileOf(key, p)
		name := filepath.Join(w.staging, filepath.FromSlash(f.Path))
		if dir := filepath.Dir(name); !dirs[dir] {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, err
			}
			dirs[dir] = true
		}
		if err := writeFile(name, p.data, true); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	for dir := range dirs {
		if err := syncDir(dir); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// fileOf returns the manifest file of part p of the connector with key.
func fileOf(key string, p stagedPart) File {
	rel, _ := filePath(key, p.kind, p.locale)
	sum := sha256.Sum256(p.data)
	return File{Path: rel, Kind: p.kind, Locale: p.locale, Size: int64(len(p.data)), SHA256: hex.EncodeToString(sum[:])}
}

// writeFile creates name (0600, which must not exist) holding data, synced if durable.
func writeFile(name string, data []byte, durable bool) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if durable {
		if err := f.Sync(); err != nil {
			_ = f.Close()
			return err
		}
	}
	return f.Close()
}

// syncDir makes the entries of dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Fail records an item that could not be exported; the bundle is then
// complete:false. It is safe for concurrent use.
func (w *Writer) Fail(e ItemError) {
	w.mu.Lock()
	w.errs = append(w.errs, e)
	w.mu.Unlock()
}

// SetReads records how the export read the connectors' parts (see Reads).
// It is safe for concurrent use; the last call wins.
func (w *Writer) SetReads(r Reads) {
	r.Sample = slices.Clone(r.Sample)
	r.Switched = slices.Clone(r.Switched)
	r.Unproven = slices.Clone(r.Unproven)
	w.mu.Lock()
	w.reads = &r
	w.mu.Unlock()
}

// SetCoverage records what the export knew of the tenant besides the
// connectors it added (see Coverage); the manifest holds it sorted. It is
// safe for concurrent use; the last call wins.
func (w *Writer) SetCoverage(c Coverage) {
	c.Hidden = slices.Clone(c.Hidden)
	c.LeftOut = slices.Clone(c.LeftOut)
	if c.Hidden == nil {
		c.Hidden = []string{}
	}
	if c.LeftOut == nil {
		c.LeftOut = []LeftOut{}
	}
	slices.Sort(c.Hidden)
	slices.SortFunc(c.LeftOut, func(a, b LeftOut) int {
		return strings.Compare(a.ScriptName+"\x00"+string(a.Reason), b.ScriptName+"\x00"+string(b.Reason))
	})
	w.mu.Lock()
	w.coverage = &c
	w.mu.Unlock()
}

// Ambiguous records translations of a connector that were not stored
// because the tenant's answers cannot tell whether they exist. It does not
// make the bundle incomplete: everything stored is what the tenant holds.
func (w *Writer) Ambiguous(a Ambiguity) {
	w.mu.Lock()
	w.ambiguous = append(w.ambiguous, a)
	w.mu.Unlock()
}

// WriteAll writes a complete bundle at path from connectors held in memory,
// recording errs as failed items. Used by tests.
func WriteAll(ctx context.Context, path string, opts WriterOptions, cs []Connector, errs []ItemError) (Manifest, error) {
	w, err := createWith(ctx, path, opts, cs)
	if err != nil {
		return Manifest{}, err
	}
	for _, e := range errs {
		w.Fail(e)
	}
	return w.Commit(ctx)
}

// createWith creates a bundle at path and adds cs to it; on an error
// (ctx's included) nothing is left behind.
func createWith(ctx context.Context, path string, opts WriterOptions, cs []Connector) (*Writer, error) {
	w, err := Create(path, opts)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if err := ctx.Err(); err != nil {
			_ = w.Abort()
			return nil, err
		}
		if _, err := w.Add(c); err != nil {
			_ = w.Abort()
			return nil, fmt.Errorf("write bundle %s: %w", path, err)
		}
	}
	return w, nil
}

// contentDigest is "sha256:" and the hex SHA-256 of the lines
// "<path>  <sha256>\n" of every file, sorted by path. The lines are hashed
// in that order without being built: a manifest of 10,000 connectors holds
// some 70,000 files.
func contentDigest(entries []Entry) string {
	type ref struct{ e, f int32 }
	var refs []ref
	for i, e := range entries {
		for j := range e.Files {
			refs = append(refs, ref{int32(i), int32(j)})
		}
	}
	file := func(r ref) File { return entries[r.e].Files[r.f] }
	slices.SortFunc(refs, func(a, b ref) int { return compareLines(file(a), file(b)) })
	h := sha256.New()
	for _, r := range refs {
		f := file(r)
		_, _ = io.WriteString(h, f.Path)
		_, _ = io.WriteString(h, "  ")
		_, _ = io.WriteString(h, f.SHA256)
		_, _ = io.WriteString(h, "\n")
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// compareLines compares the content digest's lines of a and b,
// "<path>  <sha256>\n", building them only when one path is a prefix of the
// other (where the line's "  " takes part).
func compareLines(a, b File) int {
	n := min(len(a.Path), len(b.Path))
	if c := strings.Compare(a.Path[:n], b.Path[:n]); c != 0 {
		return c
	}
	return strings.Compare(a.Path+"  "+a.SHA256+"\n", b.Path+"  "+b.SHA256+"\n")
}
