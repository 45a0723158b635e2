//go:build linux || darwin

package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// terminal is a pseudo-terminal whose output is collected.
type terminal struct {
	mu  sync.Mutex
	out bytes.Buffer
}

func (tm *terminal) String() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.String()
}

// Issue 7, item 6: Ctrl-C at the confirmation prompt of import and rollback
// ends the wait at once with exit 130, writing nothing; with stdout not a
// terminal (redirected to a file), the plan is shown on the terminal.
func TestCtrlCAtPromptExits130(t *testing.T) {
	t.Parallel()
	sim, vars := startSim(t, tenantsim.Options{Seed: 99, Connectors: 3, MaxLocales: 1, TenantName: "corp"})
	dir := t.TempDir()
	b := exportTo(t, vars, filepath.Join(dir, "b.tar.gz"))
	addReleased(t, vars, "Added Later")
	state := filepath.Join(dir, "state")
	r := runCLI(t, vars, "import", "--rate", "0", "--state-dir", state, "--rules", writeRules(t, dir, "metadata: [{match: '*', set: {note: x}}]\n"), "--yes", b)
	m := undoLine.FindStringSubmatch(r.stdout)
	if r.code != exitOK || m == nil {
		t.Fatalf("fixture import: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, tt := range []struct {
		name     string
		args     []string
		planLine string
	}{
		{"import", []string{"import", "--rate", "0", "--state-dir", state, b}, "Plan: "},
		{"rollback", []string{"rollback", "--rate", "0", "--state-dir", state, m[1]}, "Rollback: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ptmx, tty, err := pty.Open()
			if err != nil {
				t.Skipf("no pseudo-terminal: %v", err)
			}
			defer ptmx.Close()
			defer tty.Close()
			var term terminal
			go func() {
				buf := make([]byte, 4096)
				for {
					n, err := ptmx.Read(buf)
					term.mu.Lock()
					term.out.Write(buf[:n])
					term.mu.Unlock()
					if err != nil {
						return
					}
				}
			}()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var stdout bytes.Buffer // a file, not a terminal
			e := &env{stdin: tty, stdout: &stdout, stderr: tty, getenv: func(k string) string { return vars[k] }}
			writes := sim.Stats().Writes
			done := make(chan int, 1)
			go func() { done <- runEnv(ctx, append([]string{"connvault"}, tt.args...), e) }()
			for !strings.Contains(term.String(), "Only 'yes' will be accepted") {
				select {
				case code := <-done:
					t.Fatalf("exit %d before prompting:\n%s\n%s", code, stdout.String(), term.String())
				case <-time.After(10 * time.Millisecond):
				}
			}
			cancel() // what Ctrl-C does: the signal context ends
			select {
			case code := <-done:
				if code != exitInterrupted {
					t.Errorf("Ctrl-C at the prompt: exit %d, want 130", code)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("still waiting at the prompt 30 s after Ctrl-C")
			}
			if w := sim.Stats().Writes; w != writes {
				t.Errorf("%d writes after Ctrl-C at the prompt", w-writes)
			}
			// Nothing was written, so there is nothing to continue. (The
			// terminal's output is read asynchronously: wait for the line.)
			for i := 0; i < 500 && !strings.Contains(term.String(), "connvault: "); i++ {
				time.Sleep(10 * time.Millisecond)
			}
			if out := term.String(); !strings.Contains(out, "nothing was written") || strings.Contains(out, "run the same command again") || strings.Contains(out, "to continue") {
				t.Errorf("Ctrl-C at the prompt should say only that nothing was written:\n%s", out)
			}
			if !strings.Contains(term.String(), tt.planLine) {
				t.Errorf("stdout is not a terminal, but the plan was not shown on the terminal:\n%s", term.String())
			}
		})
	}
}
