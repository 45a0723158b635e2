package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every error that says a bundle is malformed, corrupt,
// incomplete on disk or unsafe: errors.Is(err, ErrInvalid).
var ErrInvalid = errors.New("invalid bundle")

// ErrNewerFormat is wrapped by the error for a bundle whose formatVersion is
// newer than FormatVersion. Its message names both versions, e.g. "bundle format
// version 2 is newer than this connvault reads (1); upgrade connvault". That
// error wraps ErrInvalid too: this connvault cannot use the bundle.
var ErrNewerFormat = errors.New("newer bundle format")

// invalidError says what is wrong with a bundle: the file (a path in the bundle,
// or "" for the bundle as a whole) and the reason.
type invalidError struct {
	bundle string // the bundle's path on disk, set by Open
	name   string
	reason string
	newer  bool
}

func (e *invalidError) Error() string {
	var b strings.Builder
	if e.newer {
		b.WriteString("bundle")
	} else {
		b.WriteString(ErrInvalid.Error())
	}
	if e.bundle != "" {
		b.WriteString(" " + e.bundle)
	}
	if e.name != "" {
		b.WriteString(": " + e.name)
	}
	b.WriteString(": " + e.reason)
	return b.String()
}

func (e *invalidError) Is(target error) bool {
	return target == ErrInvalid || e.newer && target == ErrNewerFormat
}

// invalid returns an invalidError about the file name.
func invalid(name, format string, args ...any) error {
	return &invalidError{name: name, reason: fmt.Sprintf(format, args...)}
}

// checkPath checks the shape of a path in the bundle (other than manifest.json):
// relative, clean, slash-separated, inside connectors/. A directory may end in "/".
func checkPath(p string, isDir bool) error {
	if isDir {
		p = strings.TrimSuffix(p, "/")
	}
	switch {
	case p == "":
		return invalid(p, "empty path")
	case strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || len(p) >= 2 && p[1] == ':':
		return invalid(p, "absolute path")
	case strings.Contains(p, `\`):
		return invalid(p, "backslash in path")
	case !utf8.ValidString(p) || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return invalid(fmt.Sprintf("%q", p), "path is not printable UTF-8")
	}
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "..":
			return invalid(p, "path escapes the bundle root")
		case ".", "":
			return invalid(p, "path is not clean")
		}
	}
	if p != connectorsDir && !strings.HasPrefix(p, connectorsDir+"/") {
		return invalid(p, "path is outside connectors/")
	}
	return nil
}

// layout is what a verified manifest says must be in the bundle. Files are
// numbered in manifest order (entry by entry), which is also their order in
// the array pack puts them in.
type layout struct {
	files   map[string]int32 // path → number
	all     []*File          // by number, pointing into the manifest
	parents map[string]bool  // every directory above a file, without a trailing "/"
}

// parseManifest decodes and checks manifest.json: format and version first (so
// that a newer version is reported as such whatever else changed), then every
// entry and file, the size limits and the content digest. It returns the files
// that the bundle must hold.
func parseManifest(data []byte, opts ReadOptions) (Manifest, layout, error) {
	// Only the two members are kept: the others are checked and skipped,
	// not copied (the connectors are most of the manifest).
	var probe struct {
		Format        json.RawMessage `json:"format"`
		FormatVersion json.RawMessage `json:"formatVersion"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			err = fmt.Errorf("it is a JSON %s", te.Value)
		}
		return Manifest{}, layout{}, invalid(manifestName, "not a JSON object: %v", err)
	}
	var format string
	if err := json.Unmarshal(probe.Format, &format); err != nil || format != Format {
		return Manifest{}, layout{}, invalid(manifestName, "format is %s, want %q", probe.Format, Format)
	}
	var version int
	if err := json.Unmarshal(probe.FormatVersion, &version); err != nil {
		return Manifest{}, layout{}, invalid(manifestName, "formatVersion %s is not an integer", probe.FormatVersion)
	}
	switch {
	case version > FormatVersion:
		return Manifest{}, layout{}, &invalidError{name: manifestName, newer: true, reason: fmt.Sprintf(
			"bundle format version %d is newer than this connvault reads (%d); upgrade connvault", version, FormatVersion)}
	case version < 1:
		return Manifest{}, layout{}, invalid(manifestName, "unknown formatVersion %d", version)
	}

	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return Manifest{}, layout{}, invalid(manifestName, "decoding: %v", err)
	}
	pack(&m)
	l, err := checkManifest(m, opts)
	if err != nil {
		return Manifest{}, layout{}, err
	}
	return m, l, nil
}

// checkManifest checks the entries, files, limits and digest of m.
func checkManifest(m Manifest, opts ReadOptions) (layout, error) {
	if m.Complete != (len(m.Errors) == 0) {
		return layout{}, invalid(manifestName, "complete is %t with %d item errors", m.Complete, len(m.Errors))
	}
	l := layout{files: map[string]int32{}, parents: map[string]bool{}}
	keys := map[string]string{}  // lower-case key → key
	paths := map[string]string{} // lower-case path → path
	var total int64
	for i, e := range m.Connectors {
		switch {
		case !validKey(e.Key):
			return layout{}, invalid(manifestName, "connector %d: key %q is not a safe path segment", i, e.Key)
		case e.ScriptName == "":
			return layout{}, invalid(manifestName, "connector %q: empty scriptName", e.Key)
		}
		if other, ok := keys[strings.ToLower(e.Key)]; ok {
			return layout{}, invalid(manifestName, "connector keys %q and %q are not unique (ignoring letter case)", other, e.Key)
		}
		keys[strings.ToLower(e.Key)] = e.Key
		hasDetail := false
		for j, f := range e.Files {
			if err := checkFile(e.Key, f, opts); err != nil {
				return layout{}, err
			}
			if other, ok := paths[strings.ToLower(f.Path)]; ok {
				return layout{}, invalid(f.Path, "listed twice in the manifest (with %s)", other)
			}
			paths[strings.ToLower(f.Path)] = f.Path
			hasDetail = hasDetail || f.Kind == KindConnector
			total += f.Size
			if total > opts.MaxTotalSize {
				return layout{}, invalid(f.Path, "the bundle's files exceed the total size limit of %d bytes", opts.MaxTotalSize)
			}
			l.files[f.Path] = int32(len(l.all))
			l.all = append(l.all, &e.Files[j])
			for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
				l.parents[d] = true
			}
		}
		if !hasDetail {
			return layout{}, invalid(manifestName, "connector %q has no connector.json", e.Key)
		}
	}
	if got := contentDigest(m.Connectors); m.ContentDigest != got {
		return layout{}, invalid(manifestName, "contentDigest %q does not match the files it lists (%s)", m.ContentDigest, got)
	}
	return l, nil
}

// pack puts the files of every entry of m into one array, in manifest
// order, and keeps one copy of each kind and locale string: a manifest of
// 10,000 connectors decodes into some 70,000 files, in slices the decoder
// over-allocates and with a kind string allocated for each. An entry
// without files keeps its Files as decoded (nil or empty).
func pack(m *Manifest) {
	n := 0
	for _, e := range m.Connectors {
		n += len(e.Files)
	}
	all := make([]File, 0, n)
	names := map[string]string{}
	intern := func(s string) string {
		if v, ok := names[s]; ok {
			return v
		}
		names[s] = s
		return s
	}
	for i := range m.Connectors {
		e := &m.Connectors[i]
		if len(e.Files) == 0 {
			continue
		}
		start := len(all)
		for _, f := range e.Files {
			f.Kind, f.Locale = intern(f.Kind), intern(f.Locale)
			all = append(all, f)
		}
		e.Files = all[start:len(all):len(all)]
	}
}

// checkFile checks one file of the entry with key.
func checkFile(key string, f File, opts ReadOptions) error {
	if err := checkPath(f.Path, false); err != nil {
		return err
	}
	if f.Kind == KindTranslations {
		if !safeSegment(f.Locale) {
			return invalid(f.Path, "locale %q is not a safe path segment", f.Locale)
		}
	} else if f.Locale != "" {
		return invalid(f.Path, "locale %q on a file of kind %q", f.Locale, f.Kind)
	}
	want, ok := filePath(key, f.Kind, f.Locale)
	switch {
	case !ok:
		return invalid(f.Path, "unknown kind %q", f.Kind)
	case f.Path != want:
		return invalid(f.Path, "path does not fit its connector and kind (want %s)", want)
	case f.Size < 0:
		return invalid(f.Path, "negative size %d", f.Size)
	case f.Size > opts.MaxEntrySize:
		return invalid(f.Path, "size %d exceeds the entry size limit of %d bytes", f.Size, opts.MaxEntrySize)
	case !validSHA256(f.SHA256):
		return invalid(f.Path, "sha256 %q is not 64 lower-case hex digits", f.SHA256)
	}
	return nil
}

func validSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// copyChecked copies the content of the file want from r to dst, reading at most
// one byte more than its size, and checks its size and SHA-256. A failure to
// read r is returned as is, one to write dst as a *writeError.
func copyChecked(dst io.Writer, r io.Reader, want File) error {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tagWriter{dst}, h), io.LimitReader(r, want.Size+1))
	if err != nil {
		return err
	}
	switch {
	case n > want.Size:
		return invalid(want.Path, "larger than its size in the manifest (%d bytes)", want.Size)
	case n < want.Size:
		return invalid(want.Path, "%d bytes, smaller than its size in the manifest (%d bytes)", n, want.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.SHA256 {
		return invalid(want.Path, "content does not match its sha256 in the manifest (got %s, want %s)", got, want.SHA256)
	}
	return nil
}

// writeError is a failure to write where a bundle is extracted: the machine's
// fault, not the bundle's.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// tagWriter wraps the errors of w in writeError.
type tagWriter struct{ w io.Writer }

func (t tagWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if err != nil {
		err = &writeError{err}
	}
	return n, err
}
