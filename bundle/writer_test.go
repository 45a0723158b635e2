package bundle

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		// write writes cs in dir and returns the path to open.
		write func(t *testing.T, dir string, cs []Connector) (string, Manifest)
	}{
		{"tar.gz", func(t *testing.T, dir string, cs []Connector) (string, Manifest) {
			return writeAll(t, filepath.Join(dir, "b.tar.gz"), cs)
		}},
		{"tgz", func(t *testing.T, dir string, cs []Connector) (string, Manifest) {
			return writeAll(t, filepath.Join(dir, "b.TGZ"), cs)
		}},
		{"new directory", func(t *testing.T, dir string, cs []Connector) (string, Manifest) {
			return writeAll(t, filepath.Join(dir, "b")+"/", cs)
		}},
		{"existing directory", func(t *testing.T, dir string, cs []Connector) (string, Manifest) {
			return writeAll(t, dir, cs)
		}},
		{"stream", func(t *testing.T, dir string, cs []Connector) (string, Manifest) {
			var buf bytes.Buffer
			w, err := CreateStream(&buf, t.TempDir(), testWriterOptions())
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				if _, err := w.Add(c); err != nil {
					t.Fatal(err)
				}
			}
			m, err := w.Commit(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			return writeBytes(t, dir, "stream.out", buf.Bytes()), m
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := sampleConnectors()
			p, written := tt.write(t, t.TempDir(), cs)
			b, err := Open(t.Context(), p, ReadOptions{})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer b.Close()
			if !reflect.DeepEqual(b.Manifest.Connectors, written.Connectors) {
				t.Errorf("manifest entries read\n%+v\nwant\n%+v", b.Manifest.Connectors, written.Connectors)
			}
			m := b.Manifest
			if m.ContentDigest != written.ContentDigest || !m.CreatedAt.Equal(testCreatedAt) || m.ToolVersion != "test" ||
				m.Source != testWriterOptions().Source || !m.Complete || m.Format != Format || m.FormatVersion != FormatVersion {
				t.Errorf("manifest read %+v, written %+v", m, written)
			}
			var opts any
			if err := json.Unmarshal(m.Options, &opts); err != nil || fmt.Sprint(opts) != "map[include:[*]]" {
				t.Errorf("options read %s (%v)", m.Options, err)
			}
			got, err := b.LoadAll()
			if err != nil {
				t.Fatalf("LoadAll: %v", err)
			}
			slices.SortFunc(cs, func(a, b Connector) int { return strings.Compare(KeyFor(a.ScriptName), KeyFor(b.ScriptName)) })
			if len(got) != len(cs) {
				t.Fatalf("loaded %d connectors, want %d", len(got), len(cs))
			}
			for i := range cs {
				checkLoaded(t, got[i], cs[i])
			}
		})
	}
}

// writeAll writes cs at p with the test options.
func writeAll(t *testing.T, p string, cs []Connector) (string, Manifest) {
	t.Helper()
	m, err := WriteAll(t.Context(), p, testWriterOptions(), cs, nil)
	if err != nil {
		t.Fatalf("WriteAll: %v", err)
	}
	return p, m
}

// checkLoaded compares a loaded connector with the one written.
func checkLoaded(t *testing.T, got, want Connector) {
	t.Helper()
	if got.ScriptName != want.ScriptName || got.Name != want.Name || got.Type != want.Type ||
		got.ClassName != want.ClassName || got.Status != want.Status {
		t.Errorf("loaded %q: metadata %+v", want.ScriptName, got)
	}
	canonical, err := canonicalDetail(want.Detail)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Detail, canonical) {
		t.Errorf("loaded %q: detail %s, want %s", want.ScriptName, got.Detail, canonical)
	}
	for _, part := range []struct {
		name      string
		got, want []byte
	}{
		{"source-config", got.SourceConfig, want.SourceConfig},
		{"source-template", got.SourceTemplate, want.SourceTemplate},
		{"correlation-config", got.CorrelationConfig, want.CorrelationConfig},
	} {
		if !bytes.Equal(part.got, part.want) || (part.got == nil) != (part.want == nil) {
			t.Errorf("loaded %q: %s %q (nil %t), want %q (nil %t)", want.ScriptName, part.name,
				part.got, part.got == nil, part.want, part.want == nil)
		}
	}
	if len(got.Translations) != len(want.Translations) {
		t.Errorf("loaded %q: translations %q, want %q", want.ScriptName, got.Translations, want.Translations)
	}
	for l, data := range want.Translations {
		if !bytes.Equal(got.Translations[l], data) {
			t.Errorf("loaded %q: translations %s %q, want %q", want.ScriptName, l, got.Translations[l], data)
		}
	}
}

func TestCanonicalDetail(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{"sorted and indented", `{"name":"Acme","b":1,"a":{"z":true,"y":[1,2.50]},"html":"<x>&"}`,
			"{\n  \"a\": {\n    \"y\": [\n      1,\n      2.50\n    ],\n    \"z\": true\n  },\n  \"b\": 1,\n  \"html\": \"<x>&\",\n  \"name\": \"Acme\"\n}\n", ""},
		{"empty is an empty object", "", "{}\n", ""},
		{"array", `[1]`, "", "not a JSON object"},
		{"null", `null`, "", "not a JSON object"},
		{"string", `"x"`, "", "not a JSON object"},
		{"invalid", `{"a":`, "", "not valid JSON"},
		{"trailing data", `{} {}`, "", "data after its JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := canonicalDetail(json.RawMessage(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	dir := t.TempDir()
	cs := sampleConnectors()
	errs := []ItemError{{ScriptName: "b", Error: "timeout"}, {ScriptName: "a", Part: "source-config", Error: "500"}}
	write := func(name string, createdAt time.Time, reverse bool) (Manifest, []byte) {
		t.Helper()
		opts := testWriterOptions()
		opts.CreatedAt = createdAt
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			p += "/"
		}
		w, err := Create(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		order, fails := slices.Clone(cs), slices.Clone(errs)
		if reverse {
			slices.Reverse(order)
			slices.Reverse(fails)
		}
		var g errgroup.Group // concurrent Adds: the order of arrival must not matter
		for _, c := range order {
			g.Go(func() error { _, err := w.Add(c); return err })
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		for _, e := range fails {
			w.Fail(e)
		}
		m, err := w.Commit(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(name, "/") {
			return m, readFile(t, p)
		}
		return m, nil
	}
	m1, b1 := write("one.tar.gz", testCreatedAt, false)
	m2, b2 := write("two.tgz", testCreatedAt, true)
	m3, b3 := write("later.tgz", testCreatedAt.Add(time.Hour), false)
	m4, _ := write("dir/", testCreatedAt.Add(time.Hour), true)
	if !bytes.Equal(b1, b2) {
		t.Error("two archives of the same content and createdAt differ")
	}
	if bytes.Equal(b1, b3) {
		t.Error("archives with different createdAt are identical")
	}
	for _, m := range []Manifest{m2, m3, m4} {
		if m.ContentDigest != m1.ContentDigest {
			t.Errorf("content digest %s, want %s", m.ContentDigest, m1.ContentDigest)
		}
	}
	if !reflect.DeepEqual(m1.Errors, []ItemError{errs[1], errs[0]}) || m1.Complete {
		t.Errorf("errors %+v complete %t, want sorted errors and incomplete", m1.Errors, m1.Complete)
	}
}

// TestContentDigest pins the digest's definition.
func TestContentDigest(t *testing.T) {
	entries := []Entry{{Files: []File{{Path: "connectors/b/connector.json", SHA256: "bb"}}},
		{Files: []File{{Path: "connectors/a/source-config.xml", SHA256: "a2"}, {Path: "connectors/a/connector.json", SHA256: "a1"}}}}
	want := "sha256:" + sha256Hex("connectors/a/connector.json  a1\nconnectors/a/source-config.xml  a2\nconnectors/b/connector.json  bb\n")
	if got := contentDigest(entries); got != want {
		t.Errorf("digest %s, want %s", got, want)
	}
}

func TestArchiveLayout(t *testing.T) {
	p, m := writeSample(t, t.TempDir(), "b.tgz")
	raw := readFile(t, p)
	if raw[3] != 0 || !bytes.Equal(raw[4:8], []byte{0, 0, 0, 0}) || raw[9] != 255 {
		t.Errorf("gzip header % x: want no flags (no name), zero mtime, OS 255", raw[:10])
	}
	want := []string{manifestName}
	for _, e := range m.Connectors {
		for _, f := range e.Files {
			want = append(want, f.Path)
		}
	}
	var names []string
	for _, e := range tarFiles(t, raw) {
		hdr := e.hdr
		names = append(names, hdr.Name)
		if hdr.Typeflag != tar.TypeReg || hdr.Mode != 0o644 || hdr.Uid != 0 || hdr.Gid != 0 ||
			hdr.Uname != "" || hdr.Gname != "" || !hdr.ModTime.Equal(testCreatedAt) {
			t.Errorf("entry %s: type %c mode %o uid %d gid %d uname %q gname %q mtime %v",
				hdr.Name, hdr.Typeflag, hdr.Mode, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname, hdr.ModTime)
		}
		if hdr.Name == manifestName {
			body := e.body
			if !bytes.HasPrefix(body, []byte("{\n  \"format\": \"connvault-bundle\",\n  \"formatVersion\": 1,\n")) ||
				!bytes.HasSuffix(body, []byte("}\n")) || !bytes.Contains(body, []byte(`"createdAt": "2024-05-06T07:08:09Z"`)) {
				t.Errorf("manifest.json not as specified:\n%s", body)
			}
		}
	}
	if !slices.Equal(names, want) {
		t.Errorf("entries %q, want %q", names, want)
	}
}

func TestAddRejects(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "b.tgz"), testWriterOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Add(Connector{ScriptName: "Acme-LDAP", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    Connector
		want string
	}{
		{"empty scriptName", Connector{Name: "x"}, "empty scriptName"},
		{"duplicate key", Connector{ScriptName: "Acme-LDAP"}, `duplicate key "Acme-LDAP"`},
		{"key differing only in case", Connector{ScriptName: "acme-ldap"}, `collides with "Acme-LDAP" on case-insensitive file systems`},
		{"detail not an object", Connector{ScriptName: "x", Detail: json.RawMessage(`[1]`)}, "not a JSON object"},
		{"detail not JSON", Connector{ScriptName: "x", Detail: json.RawMessage(`{`)}, "not valid JSON"},
		{"locale escaping", Connector{ScriptName: "x", Translations: map[string][]byte{"../en": nil}}, `locale "../en" is not a safe path segment`},
		{"locale with a slash", Connector{ScriptName: "x", Translations: map[string][]byte{"en/US": nil}}, "is not a safe path segment"},
		{"empty locale", Connector{ScriptName: "x", Translations: map[string][]byte{"": nil}}, "is not a safe path segment"},
		{"locales differing in case", Connector{ScriptName: "x", Translations: map[string][]byte{"en": {}, "EN": {}}}, "differ only in letter case"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.Add(tt.c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Add: error %v, want %q", err, tt.want)
			}
		})
	}
	// A refused connector leaves nothing behind: its key is free.
	if _, err := w.Add(Connector{ScriptName: "x", Translations: map[string][]byte{"en": []byte("a=b")}}); err != nil {
		t.Fatalf("Add after refusals: %v", err)
	}
	m, err := w.Commit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Connectors) != 2 {
		t.Errorf("manifest has %d connectors, want 2", len(m.Connectors))
	}
}

func TestIncompleteBundleOpens(t *testing.T) {
	p := filepath.Join(t.TempDir(), "b.tgz")
	errs := []ItemError{{ScriptName: "z", Name: "Z", Error: "403"}, {ScriptName: "a", Part: "translations/en", Error: "timeout"}}
	if _, err := WriteAll(t.Context(), p, testWriterOptions(), sampleConnectors()[:1], errs); err != nil {
		t.Fatal(err)
	}
	m, err := Verify(t.Context(), p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Complete || !reflect.DeepEqual(m.Errors, []ItemError{errs[1], errs[0]}) {
		t.Errorf("complete %t, errors %+v", m.Complete, m.Errors)
	}
}

func TestEmptyBundle(t *testing.T) {
	for _, name := range []string{"b.tgz", "d/"} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), name)
			if strings.HasSuffix(name, "/") {
				p += "/"
			}
			if _, err := WriteAll(t.Context(), p, testWriterOptions(), nil, nil); err != nil {
				t.Fatal(err)
			}
			m, err := Verify(t.Context(), p, ReadOptions{})
			if err != nil || m.Connectors == nil || len(m.Connectors) != 0 || !m.Complete {
				t.Fatalf("Verify: %+v, %v", m, err)
			}
		})
	}
}

func TestCreateRefuses(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "x.tar.gz"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeBytes(t, dir, "file", nil)
	tests := []struct {
		name, path string
		opts       WriterOptions
		want       string
	}{
		{"unknown extension", filepath.Join(dir, "b.zip"), WriterOptions{}, "want a path ending in .tar.gz or .tgz"},
		{"existing file without extension", filepath.Join(dir, "file"), WriterOptions{}, "want a path ending in .tar.gz or .tgz"},
		{"archive path that is a directory", filepath.Join(dir, "x.tar.gz"), WriterOptions{}, "names an existing directory"},
		{"missing parent", filepath.Join(dir, "no", "b.tgz"), WriterOptions{}, "staging"},
		{"invalid options", filepath.Join(dir, "b.tgz"), WriterOptions{Options: json.RawMessage(`{`)}, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Create(tt.path, tt.opts)
			if err == nil {
				_ = w.Abort()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
	if names := listDir(t, dir); !slices.Equal(names, []string{"file", "x.tar.gz"}) {
		t.Errorf("refused Creates left %q", names)
	}
}

func TestCreatedAtFromEnv(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 600, time.FixedZone("X", 3600))
	tests := []struct {
		name, env string
		want      time.Time
		err       bool
	}{
		{"unset", "", time.Date(2025, 1, 2, 2, 4, 5, 0, time.UTC), false},
		{"epoch seconds", "1700000000", time.Unix(1700000000, 0).UTC(), false},
		{"zero", " 0 ", time.Unix(0, 0).UTC(), false},
		{"not a number", "yesterday", time.Time{}, true},
		{"negative", "-5", time.Time{}, true},
		{"fraction", "1.5", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CreatedAtFromEnv(func(k string) string {
				if k == "SOURCE_DATE_EPOCH" {
					return tt.env
				}
				return "unexpected"
			}, now)
			if (err != nil) != tt.err || !got.Equal(tt.want) || (err == nil && got.Location() != time.UTC) {
				t.Errorf("got %v, %v; want %v (error %t)", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestConcurrentAdd(t *testing.T) {
	p := filepath.Join(t.TempDir(), "b.tgz")
	w, err := Create(p, testWriterOptions())
	if err != nil {
		t.Fatal(err)
	}
	var g errgroup.Group
	g.SetLimit(8)
	for i := range 40 {
		g.Go(func() error {
			_, err := w.Add(Connector{ScriptName: fmt.Sprintf("c-%02d", i), Name: "C", SourceConfig: []byte("<x/>")})
			if i%10 == 0 {
				w.Fail(ItemError{ScriptName: fmt.Sprint(i), Error: "x"})
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	m, err := Verify(t.Context(), p, ReadOptions{})
	if err != nil || len(m.Connectors) != 40 || len(m.Errors) != 4 {
		t.Fatalf("Verify: %d connectors, %d errors, %v", len(m.Connectors), len(m.Errors), err)
	}
}

// TestWriterHoldsNoContent adds connectors with large content, each in a new
// buffer the test drops, and checks that the heap does not keep them.
func TestWriterHoldsNoContent(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "b.tgz"), testWriterOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	const n, size = 16, 1 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		content := bytes.Repeat([]byte{'a' + byte(i)}, size)
		if _, err := w.Add(Connector{ScriptName: fmt.Sprint("c", i), SourceConfig: content, SourceTemplate: content}); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > n*size/4 {
		t.Errorf("heap grew by %d bytes after adding %d bytes of content", grown, 2*n*size)
	}
}
