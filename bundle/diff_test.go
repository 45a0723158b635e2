package bundle

import (
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
