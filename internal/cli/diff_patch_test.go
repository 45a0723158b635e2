package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// TestDiffContentAppliesWithPatch: `diff --content A B` is a patch that
// `patch -p1`, run in a copy of directory bundle A, turns into B's
// connector files: every hunk names the bundle file it changes
// (a/connectors/<key>/translations/it.properties), never just the part.
func TestDiffContentAppliesWithPatch(t *testing.T) {
	patch, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("patch(1) is not installed")
	}
	sim, vars := startSim(t, tenantsim.Options{Seed: 8, Connectors: 12, MaxLocales: 3})
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a")+"/", filepath.Join(dir, "b")+"/"
	if r := runCLI(t, vars, "export", "--rate", "0", "--sources=false", "--out", a); r.code != exitOK {
		t.Fatalf("export A: exit %d: %s", r.code, r.stderr)
	}
	d := sim.Dump()
	changed := 0
	for i, c := range d.Connectors {
		if c.BuiltIn || c.Status != "RELEASED" || changed == 4 {
			continue
		}
		changed++
		d.Connectors[i].SourceConfigXml = strings.Replace(c.SourceConfigXml, "<Form", `<Form description="edited"`, 1)
		for l := range c.Translations {
			d.Connectors[i].Translations[l] = c.Translations[l] + "edited." + l + "=yes\n"
		}
		d.Connectors[i].ConnectorMetadata = map[string]any{"edited": true}
	}
	if err := sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, vars, "export", "--rate", "0", "--sources=false", "--out", b); r.code != exitOK {
		t.Fatalf("export B: exit %d: %s", r.code, r.stderr)
	}
	r := runCLI(t, nil, "diff", "--content", a, b)
	if !strings.Contains(r.stdout, "+++ b/connectors/") {
		t.Fatalf("diff --content: exit %d, no hunk names a bundle file:\n%s%s", r.code, r.stdout, r.stderr)
	}
	cmd := exec.Command(patch, "-p1", "--batch", "--no-backup-if-mismatch")
	cmd.Dir, cmd.Stdin = a, strings.NewReader(r.stdout)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patch -p1: %v\n%s", err, out)
	}
	n := 0
	err = filepath.WalkDir(filepath.Join(b, "connectors"), func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(b, p)
		want, _ := os.ReadFile(p)
		got, err := os.ReadFile(filepath.Join(a, rel))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s after patch -p1 differs from B's (%v)", rel, err)
		}
		n++
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("walk B: %v (%d files)", err, n)
	}
	if _, err := os.Stat(filepath.Join(a, "translations")); err == nil {
		t.Error("patch -p1 created a top-level translations/: hunks are headed by part names")
	}
}
