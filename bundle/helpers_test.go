package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Paths of sampleConnectors in a bundle.
const (
	ldapKey        = "acme-ldap"
	ldapDetail     = "connectors/acme-ldap/connector.json"
	ldapSource     = "connectors/acme-ldap/source-config.xml"
	ldapCorrelate  = "connectors/acme-ldap/correlation-config.xml"
	ldapTranslated = "connectors/acme-ldap/translations/en.properties"
)

var testCreatedAt = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// sampleConnectors returns connectors that exercise the format: an escaped key,
// an over-long one, translations, absent and empty parts, a large file.
func sampleConnectors() []Connector {
	return []Connector{
		{
			ScriptName: "acme-ldap", Name: "Acme LDAP", Type: "LDAP", Status: "RELEASED",
			ClassName: "sailpoint.connector.LDAPConnector",
			Detail:    json.RawMessage(`{"name":"Acme LDAP","b":1,"a":{"z":true,"y":[1,2.50]},"html":"<x>&"}`),
			// Large enough to exceed a small entry limit on its own.
			SourceConfig:      []byte("<source-config>" + strings.Repeat("<attribute name=\"x\"/>\n", 3000) + "</source-config>\n"),
			SourceTemplate:    []byte("<template/>\n"),
			CorrelationConfig: []byte{}, // present but empty
			Translations:      map[string][]byte{"en": []byte("a=b\n"), "de": []byte("a=c\n"), "zh-TW": []byte("a=d\n")},
		},
		{
			ScriptName: "weird name/with:chars", Name: "Weird", Type: "Web Services",
			Detail:       json.RawMessage(`{}`),
			SourceConfig: []byte("<x/>"),
		},
		{ScriptName: strings.Repeat("long-", 30), Name: "Long"},
	}
}

func testWriterOptions() WriterOptions {
	return WriterOptions{
		CreatedAt:   testCreatedAt,
		ToolVersion: "test",
		Source:      Source{URL: "https://acme.api.identitynow.com", API: "v2025"},
		Options:     json.RawMessage(`{"include":["*"]}`),
	}
}

// writeSample writes sampleConnectors as a bundle at dir/name.
func writeSample(t testing.TB, dir, name string) (string, Manifest) {
	t.Helper()
	return writeConnectors(t, dir, name, sampleConnectors(), nil)
}

// writeConnectors writes cs and errs as a bundle at dir/name.
func writeConnectors(t testing.TB, dir, name string, cs []Connector, errs []ItemError) (string, Manifest) {
	t.Helper()
	p := filepath.Join(dir, name)
	if strings.HasSuffix(name, "/") {
		p += "/" // a new directory bundle
	}
	m, err := WriteAll(t.Context(), p, testWriterOptions(), cs, errs)
	if err != nil {
		t.Fatalf("WriteAll: %v", err)
	}
	return p, m
}

// tarEntry is an entry of a hand-built archive.
type tarEntry struct {
	hdr  tar.Header
	body []byte // for manifest.json, nil means the encoded manifest
	cut  int    // > 0: write only this many bytes of body, then end the archive
}

// sampleArchive returns the manifest and the entries of a bundle of
// sampleConnectors, read back with archive/tar; the manifest entry has a nil
// body, to be filled with the (edited) manifest by buildArchive.
func sampleArchive(t testing.TB) (Manifest, []tarEntry) {
	t.Helper()
	p, m := writeSample(t, t.TempDir(), "b.tar.gz")
	return m, readEntries(t, readFile(t, p))
}

// tarFiles returns every entry of a gzip-compressed tar with its body, read
// with archive/tar.
func tarFiles(t testing.TB, raw []byte) []tarEntry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var es []tarEntry
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, tarEntry{hdr: *hdr, body: body})
	}
	return es
}

// readEntries returns the entries of a gzip-compressed tar; the manifest
// entry has a nil body (buildArchive writes the manifest it is given).
func readEntries(t testing.TB, raw []byte) []tarEntry {
	t.Helper()
	es := tarFiles(t, raw)
	for i := range es {
		if es[i].hdr.Name == manifestName {
			es[i].body = nil
		}
	}
	return es
}

// buildArchive writes entries as a gzip-compressed tar with archive/tar and
// compress/gzip, with trailer written after the end of the tar, and returns its
// bytes.
func buildArchive(t testing.TB, m Manifest, es []tarEntry, trailer []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	cut := false
	for _, e := range es {
		hdr, body := e.hdr, e.body
		if hdr.Name == manifestName && hdr.Typeflag == tar.TypeReg && body == nil {
			var err error
			if body, err = encodeJSON(m); err != nil {
				t.Fatal(err)
			}
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(body))
		}
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatalf("header %s: %v", hdr.Name, err)
		}
		if e.cut > 0 {
			body, cut = body[:e.cut], true
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatalf("body %s: %v", hdr.Name, err)
		}
		if cut {
			break
		}
	}
	if !cut {
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := zw.Write(trailer); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeBytes writes data at dir/name and returns the path.
func writeBytes(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// entryIndex returns the index of the entry named name.
func entryIndex(t testing.TB, es []tarEntry, name string) int {
	t.Helper()
	for i, e := range es {
		if e.hdr.Name == name {
			return i
		}
	}
	t.Fatalf("no entry %s", name)
	return -1
}

// regular returns a regular-file entry.
func regular(name string, body []byte) tarEntry {
	return tarEntry{hdr: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644}, body: body}
}

// wantInvalid fails unless err is an ErrInvalid naming file (when not "") and
// giving reason.
func wantInvalid(t *testing.T, err error, file, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s: %s", file, reason)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %q does not wrap ErrInvalid", err)
	}
	if file != "" && !strings.Contains(err.Error(), ": "+file+": ") {
		t.Errorf("error %q does not name %s", err, file)
	}
	if !strings.Contains(err.Error(), reason) {
		t.Errorf("error %q does not say %q", err, reason)
	}
}

// listDir returns the names in dir, sorted.
func listDir(t testing.TB, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}

// readFile returns the content of the file at p.
func readFile(t testing.TB, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
