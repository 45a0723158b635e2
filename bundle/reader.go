package bundle

import (
	"archive/tar"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/connvault/connvault/internal/tempfile"
)

// Default limits of ReadOptions.
const (
	DefaultMaxEntrySize = 64 << 20 // 64 MiB
	DefaultMaxTotalSize = 4 << 30  // 4 GiB
)

// ReadOptions are the limits that stop a decompression bomb.
type ReadOptions struct {
	// MaxEntrySize caps every file, manifest.json included (0 means 64 MiB).
	MaxEntrySize int64
	// MaxTotalSize caps the files of the bundle together and, for an archive,
	// its uncompressed tar stream, headers included (0 means 4 GiB).
	MaxTotalSize int64
	// TempDir is where an archive is extracted ("" means os.TempDir()).
	TempDir string
	// InMemory extracts an archive into memory instead of TempDir, for a
	// decrypted stream that must never have a plaintext copy on disk; memory
	// then grows with the bundle's content.
	InMemory bool
	// Name is how errors name the bundle ("" means its path), e.g.
	// "standard input" for a private copy of what was piped in.
	Name string
}

func (o ReadOptions) withDefaults() ReadOptions {
	if o.MaxEntrySize <= 0 {
		o.MaxEntrySize = DefaultMaxEntrySize
	}
	if o.MaxTotalSize <= 0 {
		o.MaxTotalSize = DefaultMaxTotalSize
	}
	return o
}

// Bundle is a verified bundle. Its content is read with Load and LoadAll, which
// may be called concurrently; Close releases it.
type Bundle struct {
	// Manifest is the verified manifest.json. Complete and Errors say whether
	// the export missed items; an incomplete bundle opens all the same.
	Manifest Manifest

	root    string         // the directory holding connectors/ (directory form)
	spool   stagingFile    // the extracted files of an archive, one after another
	spoolAt string         // the spool's file name, "" in memory or when unlinked at once (tempfile.Spool)
	offsets []int64        // offset in spool of each file, by number (layout)
	first   []int32        // number of the first file of each entry
	index   map[string]int // key → index in Manifest.Connectors
}

// Open identifies the bundle at path (a gzip-compressed tar, whatever its name,
// or a directory), verifies all of it and returns it. Nothing of the bundle is
// usable before everything is verified: the format and version, the manifest,
// every path, entry type, size and SHA-256, and that the files are exactly those
// of the manifest. An archive is extracted, while it is verified, into a private
// temporary spool file that Close removes. An error about the bundle's content
// names the file and the reason and wraps ErrInvalid (and ErrNewerFormat for a
// newer format version).
func Open(ctx context.Context, path string, opts ReadOptions) (*Bundle, error) {
	opts = opts.withDefaults()
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open bundle: %w", err)
	}
	name := cmp.Or(opts.Name, path)
	var b *Bundle
	if info.IsDir() {
		b, err = openDir(ctx, path, opts)
	} else {
		b, err = openArchive(ctx, path, opts)
	}
	if err != nil {
		var ie *invalidError
		if errors.As(err, &ie) {
			ie.bundle = name
			return nil, err
		}
		return nil, fmt.Errorf("open bundle %s: %w", name, err)
	}
	if err := b.finishOpen(); err != nil {
		_ = b.Close()
		var ie *invalidError
		if errors.As(err, &ie) {
			ie.bundle = name
		}
		return nil, err
	}
	return b, nil
}

// finishOpen indexes the connectors of a bundle whose files are verified and
// checks the manifest's entries against their connector.json.
func (b *Bundle) finishOpen() error {
	b.index = make(map[string]int, len(b.Manifest.Connectors))
	b.first = make([]int32, len(b.Manifest.Connectors))
	n := 0
	for i, e := range b.Manifest.Connectors {
		b.index[e.Key] = i
		b.first[i] = int32(n)
		n += len(e.Files)
	}
	return b.checkEntries()
}

// checkEntries checks that each manifest entry says of its connector what its
// connector.json says: the manifest's name, type, className, status and
// scriptName are not covered by any file hash, so a manifest edited by hand
// must not rename a connector unnoticed. A field connector.json lacks is not
// compared (bundles written from partial details).
func (b *Bundle) checkEntries() error {
	for i, e := range b.Manifest.Connectors {
		for j, f := range e.Files {
			if f.Kind != KindConnector {
				continue
			}
			data, err := b.read(i, j)
			if err != nil {
				return err
			}
			var detail map[string]any
			if err := json.Unmarshal(data, &detail); err != nil {
				return invalid(f.Path, "not a JSON object: %v", err)
			}
			if err := checkAnnounced(data, func(kind, locale string) bool {
				return slices.ContainsFunc(e.Files, func(g File) bool { return g.Kind == kind && g.Locale == locale })
			}); err != nil {
				return invalid(f.Path, "%v", err)
			}
			for _, field := range []struct{ key, manifest string }{
				{"name", e.Name}, {"type", e.Type}, {"className", e.ClassName}, {"status", e.Status}, {"scriptName", e.ScriptName},
			} {
				v, ok := detail[field.key]
				if !ok {
					continue
				}
				if s, _ := v.(string); s != field.manifest {
					return invalid(manifestName, "connector %q: the manifest says %s %q, its connector.json says %q", e.Key, field.key, field.manifest, v)
				}
			}
		}
	}
	return nil
}

// Verify opens and verifies the bundle at path, closes it and returns its
// manifest: `connvault verify`.
func Verify(ctx context.Context, path string, opts ReadOptions) (Manifest, error) {
	b, err := Open(ctx, path, opts)
	if err != nil {
		return Manifest{}, err
	}
	m := b.Manifest
	return m, b.Close()
}

// Close removes the extracted files of an archive. It must not be called while
// Load runs; a second Close does nothing.
func (b *Bundle) Close() error {
	b.root = ""
	if b.spool == nil {
		return nil
	}
	spool := b.spool
	b.spool = nil
	err := spool.Close()
	if b.spoolAt != "" {
		if rerr := os.Remove(b.spoolAt); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = rerr
		}
	}
	if err != nil {
		return fmt.Errorf("close bundle: %w", err)
	}
	return nil
}

// Load returns the content of the connector with key. ScriptName, Name, Type,
// ClassName and Status come from the manifest; every file is read again and
// checked against its size and SHA-256.
func (b *Bundle) Load(key string) (Connector, error) {
	i, ok := b.index[key]
	if !ok {
		return Connector{}, fmt.Errorf("load connector %q: no such key in the bundle", key)
	}
	if b.root == "" && b.spool == nil {
		return Connector{}, fmt.Errorf("load connector %q: bundle closed", key)
	}
	e := b.Manifest.Connectors[i]
	c := Connector{ScriptName: e.ScriptName, Name: e.Name, Type: e.Type, ClassName: e.ClassName, Status: e.Status, Sources: e.Sources}
	for j, f := range e.Files {
		data, err := b.read(i, j)
		if err != nil {
			return Connector{}, fmt.Errorf("load connector %q: %w", key, err)
		}
		switch f.Kind {
		case KindConnector:
			c.Detail = data
		case KindSourceConfig:
			c.SourceConfig = data
		case KindSourceTemplate:
			c.SourceTemplate = data
		case KindCorrelationConfig:
			c.CorrelationConfig = data
		case KindTranslations:
			if c.Translations == nil {
				c.Translations = map[string][]byte{}
			}
			c.Translations[f.Locale] = data
		}
	}
	return c, nil
}

// LoadAll loads every connector, in manifest order.
func (b *Bundle) LoadAll() ([]Connector, error) {
	cs := make([]Connector, 0, len(b.Manifest.Connectors))
	for _, e := range b.Manifest.Connectors {
		c, err := b.Load(e.Key)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// read reads file j of entry i and checks it against the manifest.
func (b *Bundle) read(i, j int) ([]byte, error) {
	f := b.Manifest.Connectors[i].Files[j]
	var r io.Reader
	if b.spool != nil {
		r = io.NewSectionReader(b.spool, b.offsets[int(b.first[i])+j], f.Size)
	} else {
		file, err := os.Open(filepath.Join(b.root, filepath.FromSlash(f.Path)))
		if err != nil {
			return nil, err
		}
		defer file.Close()
		r = file
	}
	buf := bytes.NewBuffer(make([]byte, 0, f.Size))
	if err := copyChecked(buf, r, f); err != nil {
		var ie *invalidError
		if errors.As(err, &ie) {
			ie.reason += " (changed since the bundle was verified)"
			return nil, err
		}
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	return buf.Bytes(), nil
}

// openArchive verifies the archive at path while extracting its files, one
// after another, into a temporary spool file: one file however many entries,
// which keeps opening a bundle of thousands of files fast (creating thousands
// of small files costs more than reading them).
func openArchive(ctx context.Context, path string, opts ReadOptions) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readArchive(ctx, f, opts)
}

// OpenStream verifies the archive bundle read from r, as Open does, and
// returns it; with opts.InMemory its files are kept in memory, else in a
// temporary spool file in opts.TempDir. Errors about the content wrap
// ErrInvalid and name the file and the reason; name says which bundle.
func OpenStream(ctx context.Context, r io.Reader, name string, opts ReadOptions) (*Bundle, error) {
	b, err := readArchive(ctx, r, opts.withDefaults())
	if err == nil {
		err = b.finishOpen()
		if err != nil {
			_ = b.Close()
		}
	}
	if err != nil {
		var ie *invalidError
		if errors.As(err, &ie) {
			ie.bundle = name
			return nil, err
		}
		return nil, fmt.Errorf("open bundle %s: %w", name, err)
	}
	return b, nil
}

// readArchive verifies and extracts the archive read from r.
func readArchive(ctx context.Context, r io.Reader, opts ReadOptions) (*Bundle, error) {
	var spool stagingFile = &memFile{}
	spoolAt := ""
	if !opts.InMemory {
		// Unlinked at once where the system allows: a reader killed or
		// ended by SIGPIPE leaves no copy of the bundle behind.
		f, at, err := tempfile.Spool(opts.TempDir, "connvault-bundle-*")
		if err != nil {
			return nil, fmt.Errorf("extract: %w", err)
		}
		spool, spoolAt = f, at
	}
	x := &extraction{spool: spool, opts: opts, seenDirs: map[string]bool{}}
	err := extractArchive(ctx, r, opts.MaxTotalSize, x.visit)
	if err == nil {
		err = x.finish()
	}
	if err != nil {
		_ = spool.Close()
		if spoolAt != "" {
			_ = os.Remove(spoolAt)
		}
		return nil, err
	}
	return &Bundle{Manifest: x.manifest, spool: spool, spoolAt: spoolAt, offsets: x.offsets}, nil
}

// extraction is the state of verifying an archive entry by entry.
type extraction struct {
	spool    stagingFile
	offsets  []int64 // offset in spool of each file, by number (layout)
	end      int64   // bytes written to spool
	opts     ReadOptions
	started  bool // manifest.json has been read
	manifest Manifest
	layout   layout
	seen     []bool          // files already read, by number
	seenDirs map[string]bool // directory entries already read
}

// visit checks one archive entry and extracts it if it is a file.
func (x *extraction) visit(e archiveEntry) error {
	name := e.hdr.Name
	if !x.started {
		if name != manifestName {
			return invalid(manifestName, "missing: it must be the first entry of the archive (found %q first)", name)
		}
		if e.hdr.Typeflag != tar.TypeReg {
			return invalid(manifestName, "not a regular file")
		}
		data, err := readManifest(e.r, e.hdr.Size, x.opts.MaxEntrySize)
		if err != nil {
			return err
		}
		x.manifest, x.layout, err = parseManifest(data, x.opts)
		x.started = true
		x.seen, x.offsets = make([]bool, len(x.layout.all)), make([]int64, len(x.layout.all))
		return err
	}
	if name == manifestName {
		return invalid(name, "duplicate entry")
	}
	isDir := e.hdr.Typeflag == tar.TypeDir
	if err := checkPath(name, isDir); err != nil {
		return err
	}
	switch e.hdr.Typeflag {
	case tar.TypeReg:
	case tar.TypeDir:
		dir := strings.TrimSuffix(name, "/")
		if n, ok := x.layout.files[dir]; x.seenDirs[dir] || ok && x.seen[n] {
			return invalid(name, "duplicate entry")
		}
		x.seenDirs[dir] = true
		if !x.layout.parents[dir] {
			return invalid(name, "directory that holds no file of the manifest")
		}
		return nil
	case tar.TypeSymlink:
		return invalid(name, "symbolic link (to %q): links are not allowed", e.hdr.Linkname)
	case tar.TypeLink:
		return invalid(name, "hard link (to %q): links are not allowed", e.hdr.Linkname)
	default:
		return invalid(name, "special file (tar type %q): only regular files are allowed", e.hdr.Typeflag)
	}
	n, ok := x.layout.files[name]
	switch {
	case !ok:
		if x.seenDirs[name] {
			return invalid(name, "duplicate entry")
		}
		return invalid(name, "not in the manifest")
	case x.seen[n]:
		return invalid(name, "duplicate entry")
	}
	x.seen[n] = true
	want := *x.layout.all[n]
	switch {
	case e.hdr.Size > x.opts.MaxEntrySize:
		return invalid(name, "size %d exceeds the entry size limit of %d bytes", e.hdr.Size, x.opts.MaxEntrySize)
	case e.hdr.Size != want.Size:
		return invalid(name, "size %d does not match the manifest (%d bytes)", e.hdr.Size, want.Size)
	}
	return x.extract(e.r, n, want)
}

// extract writes the content of the file want, number n, at the end of the
// spool file, checking it on the way.
func (x *extraction) extract(r io.Reader, n int32, want File) error {
	x.offsets[n] = x.end
	if err := copyChecked(x.spool, r, want); err != nil {
		return readFailure(want.Path, err)
	}
	x.end += want.Size
	return nil
}

// finish checks, after the last entry, that the manifest was there and that
// every file it lists was.
func (x *extraction) finish() error {
	if !x.started {
		return invalid(manifestName, "missing: the archive is empty")
	}
	return checkMissing(x.layout, x.seen)
}

// checkMissing reports the first file of the manifest that was not seen
// (seen by number).
func checkMissing(l layout, seen []bool) error {
	for n, f := range l.all {
		if !seen[n] {
			return invalid(f.Path, "listed in the manifest but missing from the bundle")
		}
	}
	return nil
}

// readManifest reads manifest.json, refusing more than limit bytes whatever
// size says.
func readManifest(r io.Reader, size, limit int64) ([]byte, error) {
	if size > limit {
		return nil, invalid(manifestName, "size %d exceeds the entry size limit of %d bytes", size, limit)
	}
	// Sized from the start: a manifest of 10,000 connectors is some 25 MB,
	// which growing by doubling would hold about twice.
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return nil, readFailure(manifestName, err)
	}
	if int64(buf.Len()) > limit {
		return nil, invalid(manifestName, "exceeds the entry size limit of %d bytes", limit)
	}
	return buf.Bytes(), nil
}

// openDir verifies the directory bundle at dir. Entries of dir other than
// manifest.json and connectors/ are ignored.
func openDir(ctx context.Context, dir string, opts ReadOptions) (*Bundle, error) {
	data, err := readDirManifest(dir, opts.MaxEntrySize)
	if err != nil {
		return nil, err
	}
	m, l, err := parseManifest(data, opts)
	if err != nil {
		return nil, err
	}
	seen := make([]bool, len(l.all))
	root := filepath.Join(dir, connectorsDir)
	if info, err := os.Lstat(root); errors.Is(err, os.ErrNotExist) {
		if err := checkMissing(l, seen); err != nil {
			return nil, err
		}
		return &Bundle{Manifest: m, root: dir}, nil
	} else if err != nil {
		return nil, err
	} else if !info.IsDir() {
		return nil, invalid(connectorsDir, "%s, not a directory", fileType(info.Mode()))
	}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if err := checkPath(name, d.IsDir()); err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if name != connectorsDir && !l.parents[name] {
				return invalid(name, "directory that holds no file of the manifest")
			}
			return nil
		case !d.Type().IsRegular():
			return invalid(name, "%s: only regular files are allowed", fileType(d.Type()))
		}
		n, ok := l.files[name]
		if !ok {
			return invalid(name, "not in the manifest")
		}
		seen[n] = true
		return verifyFile(p, *l.all[n])
	})
	if err != nil {
		return nil, err
	}
	if err := checkMissing(l, seen); err != nil {
		return nil, err
	}
	return &Bundle{Manifest: m, root: dir}, nil
}

// readDirManifest reads dir/manifest.json, which must be a regular file.
func readDirManifest(dir string, limit int64) ([]byte, error) {
	p := filepath.Join(dir, manifestName)
	info, err := os.Lstat(p)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, invalid(manifestName, "missing")
	case err != nil:
		return nil, err
	case !info.Mode().IsRegular():
		return nil, invalid(manifestName, "%s: only regular files are allowed", fileType(info.Mode()))
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", manifestName, err)
	}
	if int64(len(data)) > limit {
		return nil, invalid(manifestName, "exceeds the entry size limit of %d bytes", limit)
	}
	return data, nil
}

// verifyFile checks the file at p against want.
func verifyFile(p string, want File) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := copyChecked(io.Discard, f, want); err != nil {
		var ie *invalidError
		if errors.As(err, &ie) {
			return err
		}
		return fmt.Errorf("read %s: %w", want.Path, err)
	}
	return nil
}

// fileType names the type of a file that is not allowed in a bundle.
func fileType(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m.IsDir():
		return "directory"
	case m.IsRegular():
		return "regular file"
	}
	return "special file"
}
