package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestOpenRejectsArchive builds corrupt archives with archive/tar and
// compress/gzip and checks that Open refuses each, naming the file and the reason.
func TestOpenRejectsArchive(t *testing.T) {
	flip := func(b []byte) []byte {
		b = slices.Clone(b)
		b[len(b)/2] ^= 0x01
		return b
	}
	tests := []struct {
		name    string
		opts    ReadOptions
		edit    func(m *Manifest, es []tarEntry) []tarEntry
		trailer []byte
		file    string // the file the error must name; "" for any
		reason  string // "" means the bundle must open
	}{
		{
			name: "valid with parent directory entries",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry {
				dir := func(n string) tarEntry { return tarEntry{hdr: tar.Header{Name: n, Typeflag: tar.TypeDir, Mode: 0o755}} }
				return slices.Insert(es, 1, dir("connectors/"), dir("connectors/acme-ldap/"), dir("connectors/acme-ldap/translations/"))
			},
		},
		{
			name: "flipped byte",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry {
				i := entryIndex(t, es, ldapSource)
				es[i].body = flip(es[i].body)
				return es
			},
			file: ldapSource, reason: "content does not match its sha256 in the manifest",
		},
		{
			name: "truncated archive",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry {
				i := entryIndex(t, es, ldapSource)
				es[i].cut = len(es[i].body) / 2
				return es
			},
			file: ldapSource, reason: "archive truncated",
		},
		{
			name: "missing file",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry {
				return slices.Delete(es, entryIndex(t, es, ldapSource), entryIndex(t, es, ldapSource)+1)
			},
			file: ldapSource, reason: "listed in the manifest but missing from the bundle",
		},
		{
			name: "extra file",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry {
				return append(es, regular("connectors/acme-ldap/extra.txt", []byte("x")))
			},
			file: "connectors/acme-ldap/extra.txt", reason: "not in the manifest",
		},
		{
			name: "path escaping the root",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry { return append(es, regular("../x", []byte("x"))) },
			file: "../x", reason: "path escapes the bundle root",
		},
		{
			name: "path escaping through connectors",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry {
				return append(es, regular("connectors/../../x", []byte("x")))
			},
			file: "connectors/../../x", reason: "path escapes the bundle root",
		},
		{
			name: "absolute path",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry { return append(es, regular("/etc/cron.d/x", []byte("x"))) },
			file: "/etc/cron.d/x", reason: "absolute path",
		},
		{
			name: "path outside connectors",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry { return append(es, regular("README", []byte("x"))) },
			file: "README", reason: "path is outside connectors/",
		},
		{
			name: "unclean path",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry {
				return append(es, regular("connectors/./acme-ldap/x", []byte("x")))
			},
			file: "connectors/./acme-ldap/x", reason: "path is not clean",
		},
		{
			name: "symlink",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry {
				i := entryIndex(t, es, ldapSource)
				es[i] = tarEntry{hdr: tar.Header{Name: ldapSource, Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}}
				return es
			},
			file: ldapSource, reason: "symbolic link",
		},
		{
			name: "hard link",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry {
				i := entryIndex(t, es, ldapSource)
				es[i] = tarEntry{hdr: tar.Header{Name: ldapSource, Typeflag: tar.TypeLink, Linkname: ldapDetail}}
				return es
			},
			file: ldapSource, reason: "hard link",
		},
		{
			name: "special file",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry {
				i := entryIndex(t, es, ldapSource)
				es[i] = tarEntry{hdr: tar.Header{Name: ldapSource, Typeflag: tar.TypeFifo, Mode: 0o644}}
				return es
			},
			file: ldapSource, reason: "special file",
		},
		{
			name: "duplicate entry",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry {
				i := entryIndex(t, es, ldapSource)
				return slices.Insert(es, i+1, es[i])
			},
			file: ldapSource, reason: "duplicate entry",
		},
		{
			name: "duplicate manifest",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry { return append(es, es[0]) },
			file: manifestName, reason: "duplicate entry",
		},
		{
			name: "stray directory",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry {
				return append(es, tarEntry{hdr: tar.Header{Name: "connectors/other/", Typeflag: tar.TypeDir, Mode: 0o755}})
			},
			file: "connectors/other/", reason: "directory that holds no file of the manifest",
		},
		{
			name: "oversized entry",
			opts: ReadOptions{MaxEntrySize: 16 << 10},
			edit: func(_ *Manifest, es []tarEntry) []tarEntry { return es },
			file: ldapSource, reason: "exceeds the entry size limit of 16384 bytes",
		},
		{
			name: "entry larger than the manifest says",
			edit: func(m *Manifest, es []tarEntry) []tarEntry {
				m.Connectors[0].Files[2].Size = 10
				return es
			},
			file: ldapSource, reason: "does not match the manifest (10 bytes)",
		},
		{
			name: "files over the total limit",
			opts: ReadOptions{MaxTotalSize: 32 << 10},
			edit: func(_ *Manifest, es []tarEntry) []tarEntry { return es },
			file: ldapSource, reason: "exceed the total size limit of 32768 bytes",
		},
		{
			name: "uncompressed archive over the total limit",
			opts: ReadOptions{MaxTotalSize: 80 << 10},
			edit: func(_ *Manifest, es []tarEntry) []tarEntry { return es },
			// Zeros compress to almost nothing: a small bomb.
			trailer: make([]byte, 64<<10),
			reason:  "exceeds the total size limit of 81920 bytes",
		},
		{
			name: "future format version",
			edit: func(m *Manifest, es []tarEntry) []tarEntry { m.FormatVersion = 2; return es },
			file: manifestName, reason: "bundle format version 2 is newer than this connvault reads (1); upgrade connvault",
		},
		{
			name: "no manifest",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry { return es[1:] },
			file: manifestName, reason: "missing: it must be the first entry of the archive",
		},
		{
			name: "manifest not first",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry { return append(es[1:], es[0]) },
			file: manifestName, reason: "missing: it must be the first entry of the archive",
		},
		{
			name: "empty archive",
			edit: func(_ *Manifest, _ []tarEntry) []tarEntry { return nil },
			file: manifestName, reason: "missing: the archive is empty",
		},
		{
			name: "manifest is a symlink",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry {
				es[0] = tarEntry{hdr: tar.Header{Name: manifestName, Typeflag: tar.TypeSymlink, Linkname: "x"}}
				return es
			},
			file: manifestName, reason: "not a regular file",
		},
		{
			name: "manifest not JSON",
			edit: func(_ *Manifest, es []tarEntry) []tarEntry { es[0].body = []byte("not json"); return es },
			file: manifestName, reason: "not a JSON object",
		},
		{
			name: "data after the manifest",
			edit: func(m *Manifest, es []tarEntry) []tarEntry {
				body, _ := encodeJSON(m)
				es[0].body = append(body, "{}"...)
				return es
			},
			file: manifestName, reason: "not a JSON object: invalid character '{' after top-level value",
		},
		{
			name: "other format",
			edit: func(m *Manifest, es []tarEntry) []tarEntry { m.Format = "velero-backup"; return es },
			file: manifestName, reason: `format is "velero-backup", want "connvault-bundle"`,
		},
		{
			name: "format version zero",
			edit: func(m *Manifest, es []tarEntry) []tarEntry { m.FormatVersion = 0; return es },
			file: manifestName, reason: "unknown formatVersion 0",
		},
		{
			name: "content digest mismatch",
			edit: func(m *Manifest, es []tarEntry) []tarEntry { m.ContentDigest = "sha256:00"; return es },
			file: manifestName, reason: "contentDigest",
		},
		{
			name: "manifest path escaping the root",
			edit: func(m *Manifest, es []tarEntry) []tarEntry {
				m.Connectors[0].Files[2].Path = "connectors/../../etc/x"
				return es
			},
			file: "connectors/../../etc/x", reason: "path escapes the bundle root",
		},
		{
			name: "manifest path not of its kind",
			edit: func(m *Manifest, es []tarEntry) []tarEntry {
				m.Connectors[0].Files[2].Path = "connectors/acme-ldap/other.xml"
				return es
			},
			file: "connectors/acme-ldap/other.xml", reason: "path does not fit its connector and kind (want " + ldapSource + ")",
		},
		{
			name: "unsafe key",
			edit: func(m *Manifest, es []tarEntry) []tarEntry { m.Connectors[0].Key = ".."; return es },
			file: manifestName, reason: `key ".." is not a safe path segment`,
		},
		{
			name: "keys equal ignoring case",
			edit: func(m *Manifest, es []tarEntry) []tarEntry {
				e := m.Connectors[0]
				e.Key, e.Files = strings.ToUpper(e.Key), nil
				m.Connectors = append(m.Connectors, e)
				return es
			},
			file: manifestName, reason: "are not unique (ignoring letter case)",
		},
		{
			name: "empty scriptName",
			edit: func(m *Manifest, es []tarEntry) []tarEntry { m.Connectors[0].ScriptName = ""; return es },
			file: manifestName, reason: "empty scriptName",
		},
		{
			name: "no connector.json",
			edit: func(m *Manifest, es []tarEntry) []tarEntry {
				m.Connectors[0].Files = m.Connectors[0].Files[1:]
				return es
			},
			file: manifestName, reason: `connector "acme-ldap" has no connector.json`,
		},
		{
			name: "malformed sha256",
			edit: func(m *Manifest, es []tarEntry) []tarEntry {
				m.Connectors[0].Files[2].SHA256 = strings.ToUpper(m.Connectors[0].Files[2].SHA256)
				return es
			},
			file: ldapSource, reason: "is not 64 lower-case hex digits",
		},
		{
			name: "unknown kind",
			edit: func(m *Manifest, es []tarEntry) []tarEntry { m.Connectors[0].Files[2].Kind = "schema"; return es },
			file: ldapSource, reason: `unknown kind "schema"`,
		},
		{
			name: "unsafe locale",
			edit: func(m *Manifest, es []tarEntry) []tarEntry {
				f := &m.Connectors[0].Files[len(m.Connectors[0].Files)-1]
				f.Locale = "../en"
				return es
			},
			file: "connectors/acme-ldap/translations/zh-TW.properties", reason: `locale "../en" is not a safe path segment`,
		},
		{
			name: "complete with errors",
			edit: func(m *Manifest, es []tarEntry) []tarEntry {
				m.Errors = []ItemError{{ScriptName: "x", Error: "boom"}}
				return es
			},
			file: manifestName, reason: "complete is true with 1 item errors",
		},
		{
			name:    "data after the end of the archive",
			edit:    func(_ *Manifest, es []tarEntry) []tarEntry { return es },
			trailer: []byte("appended"),
			reason:  "data after the end of the archive",
		},
		{
			name:    "zero padding after the end of the archive",
			edit:    func(_ *Manifest, es []tarEntry) []tarEntry { return es },
			trailer: make([]byte, 10240),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, es := sampleArchive(t)
			es = tt.edit(&m, es)
			p := writeBytes(t, t.TempDir(), "b.tar.gz", buildArchive(t, m, es, tt.trailer))
			b, err := Open(t.Context(), p, tt.opts)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				if _, err := b.LoadAll(); err != nil {
					t.Fatalf("LoadAll: %v", err)
				}
				_ = b.Close()
				return
			}
			if err == nil {
				_ = b.Close()
			}
			wantInvalid(t, err, tt.file, tt.reason)
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the bundle %s", err, p)
			}
		})
	}
}

func TestOpenNewerFormat(t *testing.T) {
	m, es := sampleArchive(t)
	m.FormatVersion = 7
	m.Connectors = nil // a newer format may change anything; the version is read first
	p := writeBytes(t, t.TempDir(), "b.tgz", buildArchive(t, m, es[:1], nil))
	_, err := Verify(t.Context(), p, ReadOptions{})
	if !errors.Is(err, ErrNewerFormat) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v, want ErrNewerFormat and ErrInvalid", err)
	}
	want := "bundle " + p + ": manifest.json: bundle format version 7 is newer than this connvault reads (1); upgrade connvault"
	if err.Error() != want {
		t.Errorf("error\n%q, want\n%q", err, want)
	}
}

// TestOpenRejectsEveryFlippedByte flips each byte of a small archive in turn.
// Only the gzip header's modification time, extra flags and OS (bytes 4 to 9)
// carry nothing that is checked: they do not change the content.
func TestOpenRejectsEveryFlippedByte(t *testing.T) {
	dir := t.TempDir()
	cs := []Connector{{ScriptName: "a", Name: "A", Detail: []byte(`{"x":1}`), SourceConfig: []byte("<a/>"), Translations: map[string][]byte{"en": []byte("k=v")}}}
	p := dir + "/ok.tgz"
	if _, err := WriteAll(t.Context(), p, testWriterOptions(), cs, nil); err != nil {
		t.Fatal(err)
	}
	raw := readFile(t, p)
	stride := 1
	if testing.Short() {
		stride = 7
	}
	for i := 0; i < len(raw); i += stride {
		if 4 <= i && i <= 9 {
			continue
		}
		bad := slices.Clone(raw)
		bad[i] ^= 0xff
		q := writeBytes(t, dir, "bad.tgz", bad)
		if _, err := Verify(t.Context(), q, ReadOptions{}); !errors.Is(err, ErrInvalid) {
			t.Errorf("byte %d of %d flipped: error %v, want ErrInvalid", i, len(raw), err)
		}
	}
}

// TestOpenRejectsTruncation cuts a valid archive at many lengths.
func TestOpenRejectsTruncation(t *testing.T) {
	dir := t.TempDir()
	p, _ := writeSample(t, dir, "ok.tgz")
	raw := readFile(t, p)
	for n := 0; n < len(raw); n += 1 + len(raw)/150 {
		q := writeBytes(t, dir, "cut.tgz", raw[:n])
		_, err := Verify(t.Context(), q, ReadOptions{})
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("cut at %d of %d: error %v, want ErrInvalid", n, len(raw), err)
		}
		if n > 20 && !strings.Contains(err.Error(), "truncated") {
			t.Errorf("cut at %d of %d: error %q does not say truncated", n, len(raw), err)
		}
	}
}

func TestOpenRejectsOtherFormats(t *testing.T) {
	var plainTar bytes.Buffer
	tw := tar.NewWriter(&plainTar)
	_ = tw.WriteHeader(&tar.Header{Name: manifestName, Typeflag: tar.TypeReg, Mode: 0o644, Size: 2})
	_, _ = tw.Write([]byte("{}"))
	_ = tw.Close()
	var gzText bytes.Buffer
	zw := gzip.NewWriter(&gzText)
	_, _ = zw.Write([]byte(strings.Repeat("not a tar archive\n", 100)))
	_ = zw.Close()
	tests := []struct {
		name   string
		data   []byte
		reason string
	}{
		{"empty file", nil, "not a gzip-compressed tar archive"},
		{"text", []byte("hello, world"), "not a gzip-compressed tar archive"},
		{"uncompressed tar", plainTar.Bytes(), "not a gzip-compressed tar archive (found .tar)"},
		{"gzip of something else", gzText.Bytes(), "corrupt archive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeBytes(t, t.TempDir(), "b.tar.gz", tt.data)
			_, err := Verify(t.Context(), p, ReadOptions{})
			wantInvalid(t, err, "", tt.reason)
		})
	}
}

func TestOpenMissingPathIsNotInvalid(t *testing.T) {
	_, err := Open(t.Context(), t.TempDir()+"/nothing.tgz", ReadOptions{})
	if err == nil || errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v, want a not-found error that is not ErrInvalid", err)
	}
}

func TestOpenCancelled(t *testing.T) {
	p, _ := writeSample(t, t.TempDir(), "b.tgz")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Open(ctx, p, ReadOptions{}); err == nil || errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v, want the context's error", err)
	}
}

func TestLoadDetectsChangeAfterVerify(t *testing.T) {
	dir := t.TempDir()
	p, _ := writeSample(t, dir, "b/")
	b, err := Open(t.Context(), p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	writeBytes(t, p, ldapCorrelate, []byte("changed"))
	_, err = b.Load(ldapKey)
	wantInvalid(t, err, ldapCorrelate, "changed since the bundle was verified")
	if _, err := b.Load("no-such-key"); err == nil {
		t.Error("Load of an unknown key: no error")
	}
}
