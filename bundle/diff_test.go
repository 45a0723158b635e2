package bundle

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"changed line", "a\nb\nc\n", "a\nB\nc\n", "--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"file emptied", "a\n", "", "--- a/x\n+++ b/x\n@@ -1 +0,0 @@\n-a\n"},
		{"file created", "", "a\n", "--- a/x\n+++ b/x\n@@ -0,0 +1 @@\n+a\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := UnifiedDiff("x", []byte(tt.a), []byte(tt.b)); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// The diff applies with patch(1), where it is installed.
func TestUnifiedDiffAppliesWithPatch(t *testing.T) {
	if _, err := exec.LookPath("patch"); err != nil {
		t.Skip("patch is not installed")
	}
	a := strings.Repeat("line\n", 10) + "old\n" + strings.Repeat("tail\n", 10) + "gone\n"
	b := strings.Repeat("line\n", 10) + "new\nextra\n" + strings.Repeat("tail\n", 10)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x"), []byte(a), 0o600)
	cmd := exec.Command("patch", "-p1", "--quiet")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(UnifiedDiff("x", []byte(a), []byte(b)))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patch: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "x")); string(got) != b {
		t.Errorf("patched file:\n%s\nwant\n%s", got, b)
	}
}

// A connector whose name is "Café" in one bundle and "Cafe\u0301" (NFD, as
// a Mac may type it) in the other is one connector, compared, not one
// removed and one added; two connectors of one bundle sharing a name by
// that rule are never folded into one.
func TestDiffPairsNamesInAnotherNormalizationForm(t *testing.T) {
	conn := func(script, name string) Connector {
		return Connector{ScriptName: script, Name: name, Type: "Web Services", Status: "RELEASED",
			Detail:       json.RawMessage(fmt.Sprintf(`{"name":%q,"scriptName":%q,"type":"Web Services","status":"RELEASED"}`, name, script)),
			SourceConfig: []byte("<a/>\n")}
	}
	open := func(dir, file string, cs ...Connector) *Bundle {
		p, _ := writeConnectors(t, dir, file, cs, nil)
		b, err := Open(t.Context(), p, ReadOptions{TempDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}
	dir := t.TempDir()
	a := open(dir, "a.tar.gz", conn("cafe-1", "Café"), conn("hr-1", "HR"))
	b := open(dir, "b.tar.gz", conn("cafe-2", "Cafe\u0301"), conn("hr-1", "HR"))
	d, err := Compare(a, b, CompareOptions{IgnoreTenantFields: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Added)+len(d.Removed) != 0 || len(d.Changed) != 1 || d.Changed[0].Name != "Café" {
		t.Errorf("diff: added %q, removed %q, changed %+v; want Café changed (its name's bytes) only", d.Added, d.Removed, d.Changed)
	}

	// Both forms in B: neither is paired, nothing is hidden.
	b2 := open(dir, "b2.tar.gz", conn("cafe-2", "Cafe\u0301"), conn("cafe-3", "CAFÉ"))
	d, err = Compare(a, b2, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Added) != 2 || len(d.Removed) != 2 {
		t.Errorf("diff: added %q, removed %q; want both of B's added and both of A's removed", d.Added, d.Removed)
	}
}
