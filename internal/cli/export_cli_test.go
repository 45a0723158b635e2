package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant/tenantsim"
)

func TestExportToStdout(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 61, Connectors: 3, MaxLocales: 2})
	r := runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--json", "--out", "-")
	if r.code != exitOK {
		t.Fatalf("export --out -: exit %d: %s", r.code, r.stderr)
	}
	path := filepath.Join(t.TempDir(), "from-stdout.tar.gz")
	if err := os.WriteFile(path, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := bundle.Verify(t.Context(), path, bundle.ReadOptions{})
	if err != nil {
		t.Fatalf("the archive written to stdout does not verify: %v", err)
	}
	if len(m.Connectors) == 0 || !strings.Contains(r.stderr, `"contentDigest": "`+m.ContentDigest) {
		t.Errorf("%d connectors; stderr %q; want the JSON summary on stderr", len(m.Connectors), r.stderr)
	}
}

func TestInterruptedExportLeavesNothing(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 62, Connectors: 30, Latency: 20 * time.Millisecond})
	dir := t.TempDir()
	out := filepath.Join(dir, "backup.tar.gz")
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return vars[k] }}
	code := runEnv(ctx, []string{"connvault", "export", "--rate", "0", "--concurrency", "2", "--out", out}, e)
	if code != exitInterrupted {
		t.Errorf("exit %d, want %d (interrupted); stderr %q", code, exitInterrupted, stderr.String())
	}
	if msg := stderr.String(); !strings.Contains(msg, "interrupted") || strings.Contains(msg, "context ") {
		t.Errorf("stderr should say the run was interrupted, in words, not Go's context error: %q", msg)
	}
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		t.Errorf("an interrupted export left %s in the destination directory", en.Name())
	}
}
