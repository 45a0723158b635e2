package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// trickyConnectors have keys whose order differs from the order of their
// paths ("a" < "a-b" but "connectors/a-b/" < "connectors/a/"), escaped and
// prefix keys, and names that the default JSON encoder would escape.
func trickyConnectors() []Connector {
	var cs []Connector
	for i, s := range []string{"a", "a-b", "a.b", "a0", "a/b", "a b", "ab", "a~", "A-", "_", "a.", "B-", "a--"} {
		cs = append(cs, Connector{
			ScriptName: s, Name: fmt.Sprintf("<%d> & \"%s\"", i, s), ClassName: "x.Y",
			Detail:       json.RawMessage(`{"html":"<b>&</b>","n":` + fmt.Sprint(i) + `}`),
			SourceConfig: []byte(strings.Repeat("<x/>", i)),
			Translations: map[string][]byte{"en": []byte("a=b\n"), "en.properties": []byte("c=d\n"), "de": nil},
		})
	}
	return cs
}

// TestStreamedManifest checks that the manifest a Writer streams from its
// staging files is byte for byte the encoding of the manifest Commit returns,
// with the digest of its files, in every form.
func TestStreamedManifest(t *testing.T) {
	opts := testWriterOptions()
	// Options as a bundle that was read gives them (indented), with what
	// looks like the manifest's own keys inside: spliced in by
	// writeManifest, they must come out as encodeJSON puts them.
	opts.Options = json.RawMessage("{\n  \"connectors\":[],\"x\":{\"connectors\":[], \"e\": {}, \"a\": [1, [], {\"k\": null}]},\"html\":\"<&>\",\n" +
		"\t\"s\": \"\\n  \\\"options\\\": \\\"connvault-options-placeholder\\\"\", \"u\": \"Zürich \\u00e9\"\r\n}\n")
	for _, tt := range []struct {
		name string
		cs   []Connector
		errs []ItemError
	}{
		{"tricky", trickyConnectors(), nil},
		{"empty", nil, nil},
		{"errors only", nil, []ItemError{{ScriptName: "z", Error: "b"}, {ScriptName: "a", Error: "<a>"}}},
		{"sample", sampleConnectors(), []ItemError{{Name: "n", Error: "e"}}},
	} {
		for _, dest := range []string{"b.tar.gz", "d/", "stream"} {
			t.Run(tt.name+"/"+dest, func(t *testing.T) {
				dir := t.TempDir()
				var m Manifest
				var err error
				var body []byte
				var names []string
				switch dest {
				case "stream":
					var out bytes.Buffer
					w, err := CreateStream(&out, dir, opts)
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range tt.cs {
						if _, err := w.Add(c); err != nil {
							t.Fatal(err)
						}
					}
					for _, e := range tt.errs {
						w.Fail(e)
					}
					if m, err = w.Commit(t.Context()); err != nil {
						t.Fatal(err)
					}
					body, names = archiveManifest(t, out.Bytes())
				case "d/":
					if m, err = WriteAll(t.Context(), filepath.Join(dir, "d")+"/", opts, tt.cs, tt.errs); err != nil {
						t.Fatal(err)
					}
					body = readFile(t, filepath.Join(dir, "d", manifestName))
					if got := listDir(t, filepath.Join(dir, "d")); slices.Contains(got, entriesName) {
						t.Errorf("the directory bundle holds the entries file: %q", got)
					}
				default:
					p := filepath.Join(dir, dest)
					if m, err = WriteAll(t.Context(), p, opts, tt.cs, tt.errs); err != nil {
						t.Fatal(err)
					}
					body, names = archiveManifest(t, readFile(t, p))
					b, err := Open(t.Context(), p, ReadOptions{})
					if err != nil {
						t.Fatal(err)
					}
					_ = b.Close()
				}
				want, err := encodeJSON(m)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(body, want) {
					t.Errorf("manifest.json\n%s\nwant\n%s", body, want)
				}
				if got := contentDigest(m.Connectors); m.ContentDigest != got {
					t.Errorf("contentDigest %s, want %s", m.ContentDigest, got)
				}
				if names != nil {
					wantNames := []string{manifestName}
					for _, e := range m.Connectors {
						for _, f := range e.Files {
							wantNames = append(wantNames, f.Path)
						}
					}
					if !slices.Equal(names, wantNames) {
						t.Errorf("archive entries %q, want %q", names, wantNames)
					}
				}
				if len(m.Connectors) != len(tt.cs) || m.Connectors == nil {
					t.Errorf("%d connectors (nil %v), want %d", len(m.Connectors), m.Connectors == nil, len(tt.cs))
				}
			})
		}
	}
}

// archiveManifest returns manifest.json and the entry names of an archive.
func archiveManifest(t *testing.T, raw []byte) ([]byte, []string) {
	t.Helper()
	var names []string
	var body []byte
	for _, e := range tarFiles(t, raw) {
		names = append(names, e.hdr.Name)
		if e.hdr.Name == manifestName {
			body = e.body
		}
	}
	return body, names
}
