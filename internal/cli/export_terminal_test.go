//go:build unix

package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
	"github.com/creack/pty"
)

// export --out - refuses to write an archive onto a terminal, before any request.
func TestExportToStdoutRefusesATerminal(t *testing.T) {
	sim, vars := startSim(t, tenantsim.Options{Seed: 112, Connectors: 2})
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	var errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: tty, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code := runEnv(t.Context(), []string{"connvault", "export", "--out", "-"}, e)
	if code != exitUsage || !strings.Contains(errb.String(), "terminal") {
		t.Errorf("export --out - on a terminal: exit %d, stderr %q; want 2 naming the terminal", code, errb.String())
	}
	if n := sim.Stats().Total; n != 0 {
		t.Errorf("%d requests before the refusal", n)
	}
}
