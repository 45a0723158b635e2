package spconfig

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// mapping is what a restore's mapping file says: two connectors got new
// scriptNames; active-directory (SailPoint's) is not in it.
func mapping() map[string]string {
	return map[string]string{
		"zurich-hr-feed-af9c4a":    "zurich-hr-feed-2-af9c4a",
		"sao-paulo-payroll-af9c4a": "sao-paulo-payroll-1b3352",
		"unchanged-af9c4a":         "unchanged-af9c4a",
	}
}

// report renders a Result's rewrites and unmapped references, one a line.
func report(r Result) string {
	var b strings.Builder
	for _, w := range r.Rewrites {
		fmt.Fprintf(&b, "rewrote %s %s: %s → %s\n", w.Object, w.Path, w.From, w.To)
	}
	for _, w := range r.Unmapped {
		fmt.Fprintf(&b, "not in the mapping %s %s: %s\n", w.Object, w.Path, w.From)
	}
	return b.String()
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./spconfig -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestRemapGolden rewrites testdata/*.in.json (those not named refuse-*) and
// compares the document and the report with the golden files.
func TestRemapGolden(t *testing.T) {
	ins, _ := filepath.Glob("testdata/*.in.json")
	n := 0
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in.json")
		if strings.HasPrefix(name, "refuse-") {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			doc, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Remap(doc, mapping())
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", name+".out.json"), res.Document)
			golden(t, filepath.Join("testdata", name+".report.txt"), []byte(report(res)))
			again, err := Remap(res.Document, mapping())
			if err != nil || len(again.Rewrites) != 0 {
				t.Errorf("remapping the output again rewrote %d values (%v): a mapping must be applied once", len(again.Rewrites), err)
			}
		})
	}
	if n == 0 {
		t.Fatal("no golden inputs")
	}
}

// TestRemapRefuses: documents of another shape are refused, naming what is
// missing, and nothing is returned.
func TestRemapRefuses(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"refuse-array", "the top level is not a JSON object"},
		{"refuse-no-objects", `no "objects" array`},
		{"refuse-no-self", `objects[0] has no "self" with a "type"`},
		{"refuse-truncated", "invalid JSON at byte"},
	} {
		doc, err := os.ReadFile(filepath.Join("testdata", tt.file+".in.json"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Remap(doc, mapping())
		if err == nil || !strings.Contains(err.Error(), tt.want) || res.Document != nil {
			t.Errorf("%s: %v, want an error saying %q", tt.file, err, tt.want)
		}
		if tt.file != "refuse-truncated" && !errors.Is(err, ErrNotSPConfig) {
			t.Errorf("%s: %v does not wrap ErrNotSPConfig", tt.file, err)
		}
	}
}
