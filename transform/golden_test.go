package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the want/ directories of testdata")

// TestGolden runs every testdata/<case>: the connectors of in/ go through
// rules.yaml (with values.yaml as the only source of values) and then
// through RemapScriptNames with mapping.yaml, when those files exist; the
// result must equal want/ byte for byte. go test -update rewrites want/.
func TestGolden(t *testing.T) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			dir := filepath.Join("testdata", e.Name())
			in := loadConnectors(t, filepath.Join(dir, "in"))
			before := renderConnectors(t, in)

			got, ran := in, false
			if data, ok := readOptional(t, filepath.Join(dir, "rules.yaml")); ok {
				ran = true
				rules, err := ParseRules("rules.yaml", data)
				if err != nil {
					t.Fatal(err)
				}
				values := map[string]string{}
				if data, ok := readOptional(t, filepath.Join(dir, "values.yaml")); ok {
					if values, err = LoadValues("values.yaml", data); err != nil {
						t.Fatal(err)
					}
				}
				if got, err = rules.Apply(in, MapLookup(values)); err != nil {
					t.Fatal(err)
				}
			}
			if data, ok := readOptional(t, filepath.Join(dir, "mapping.yaml")); ok {
				ran = true
				var m map[string]string
				if err := yaml.Unmarshal(data, &m); err != nil {
					t.Fatal(err)
				}
				remapped := make([]bundle.Connector, 0, len(got))
				for _, c := range got {
					remapped = append(remapped, RemapScriptNames(c, m))
				}
				got = remapped
			}
			if !ran {
				t.Fatalf("%s has neither rules.yaml nor mapping.yaml", dir)
			}

			if after := renderConnectors(t, in); !maps.EqualFunc(before, after, bytes.Equal) {
				t.Error("the input connectors were modified")
			}
			files := renderConnectors(t, got)
			want := filepath.Join(dir, "want")
			if *update {
				writeTree(t, want, files)
			}
			compareTree(t, want, files)
		})
	}
}

func readOptional(t *testing.T, name string) ([]byte, bool) {
	t.Helper()
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return data, true
}

// loadConnectors reads a bundle-like directory: one subdirectory per
// connector, named by its scriptName, holding connector.json, the XML files
// present and translations/<locale>.properties.
func loadConnectors(t *testing.T, dir string) []bundle.Connector {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []bundle.Connector
	for _, e := range entries {
		cdir := filepath.Join(dir, e.Name())
		detail, err := os.ReadFile(filepath.Join(cdir, "connector.json"))
		if err != nil {
			t.Fatal(err)
		}
		c := bundle.Connector{Detail: detail}
		if err := json.Unmarshal(detail, &struct {
			ScriptName *string `json:"scriptName"`
			Name       *string `json:"name"`
			Type       *string `json:"type"`
			ClassName  *string `json:"className"`
			Status     *string `json:"status"`
		}{&c.ScriptName, &c.Name, &c.Type, &c.ClassName, &c.Status}); err != nil {
			t.Fatalf("%s: %v", cdir, err)
		}
		if c.ScriptName != e.Name() {
			t.Fatalf("%s: scriptName %q differs from the directory name", cdir, c.ScriptName)
		}
		c.SourceConfig, _ = readOptional(t, filepath.Join(cdir, "source-config.xml"))
		c.SourceTemplate, _ = readOptional(t, filepath.Join(cdir, "source-template.xml"))
		c.CorrelationConfig, _ = readOptional(t, filepath.Join(cdir, "correlation-config.xml"))
		props, err := filepath.Glob(filepath.Join(cdir, "translations", "*.properties"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range props {
			if c.Translations == nil {
				c.Translations = map[string][]byte{}
			}
			c.Translations[strings.TrimSuffix(filepath.Base(p), ".properties")], _ = readOptional(t, p)
		}
		out = append(out, c)
	}
	return out
}

// renderConnectors lays connectors out as loadConnectors reads them, as a
// map from slash path to content. connector.json is indented for review.
func renderConnectors(t *testing.T, cs []bundle.Connector) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	put := func(name string, data []byte) {
		if data == nil {
			return
		}
		if _, dup := files[name]; dup {
			t.Fatalf("two connectors write %s", name)
		}
		files[name] = data
	}
	for _, c := range cs {
		var detail bytes.Buffer
		if err := json.Indent(&detail, bytes.TrimSpace(c.Detail), "", "  "); err != nil {
			t.Fatalf("connector %q: Detail: %v", c.Name, err)
		}
		detail.WriteByte('\n')
		put(c.ScriptName+"/connector.json", detail.Bytes())
		put(c.ScriptName+"/source-config.xml", c.SourceConfig)
		put(c.ScriptName+"/source-template.xml", c.SourceTemplate)
		put(c.ScriptName+"/correlation-config.xml", c.CorrelationConfig)
		for l, data := range c.Translations {
			put(c.ScriptName+"/translations/"+l+".properties", data)
		}
	}
	return files
}

func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func compareTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	onDisk := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		onDisk[filepath.ToSlash(rel)], err = os.ReadFile(p)
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		want, ok := onDisk[name]
		switch {
		case !ok:
			t.Errorf("%s: produced but not in %s (run go test -update)", name, dir)
		case !bytes.Equal(want, files[name]):
			t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, dir, files[name], want)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(onDisk)) {
		if _, ok := files[name]; !ok {
			t.Errorf("%s: in %s but not produced", name, dir)
		}
	}
}
