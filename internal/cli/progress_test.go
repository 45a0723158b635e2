//go:build unix

package cli

import (
	"bytes"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// A terminal session, recorded through a pseudo-terminal: a rate-limited
// export draws a bar that moves — request counts rise and the ETA is
// recomputed — and the debug log lines written meanwhile each start on a
// line of their own, never inside the bar.
func TestProgressBarMovesOnATerminal(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 97, Connectors: 10, MaxLocales: 2, RateLimit: 20, RateWindow: time.Second,
		Faults: tenantsim.Faults{Error500: 0.05, Seed: 5}})
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 160}); err != nil {
		t.Fatal(err)
	}
	var transcript bytes.Buffer
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&transcript, ptmx) // ends with EIO once tty is closed
		close(copied)
	}()
	var stdout bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: tty, getenv: func(k string) string { return vars[k] }}
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	code := runEnv(t.Context(), []string{"connvault", "export", "--out", out, "--rate", "20/1s", "--locales", "detail", "--log-level", "debug"}, e)
	tty.Close()
	<-copied
	session := transcript.String()
	defer func() {
		if t.Failed() {
			t.Logf("terminal session (last 3000 bytes):\n%q", session[max(0, len(session)-3000):])
		}
	}()
	if code != exitOK {
		t.Fatalf("export: exit %d\n%s", code, stdout.String())
	}

	// Every drawing of the bar: "export 3/22 connectors, 38.2 req/s, ETA 2s  41% |███  | (41/97)".
	draws := regexp.MustCompile(`export (\d+)/(\d+) connectors[^\r\n]*?, ([\d.]+) req/s(?:, ETA (\w+))?[^\r\n]*?\((\d+)/(\d+)\)`).FindAllStringSubmatch(session, -1)
	if len(draws) < 5 {
		t.Fatalf("%d drawings of the bar, want a bar drawn again and again", len(draws))
	}
	requests, etas := map[int]bool{}, map[string]bool{}
	last := -1
	for _, d := range draws {
		n, _ := strconv.Atoi(d[5])
		if n < last {
			t.Errorf("the request count went back from %d to %d", last, n)
		}
		last = n
		requests[n] = true
		if d[4] != "" {
			etas[d[4]] = true
		}
	}
	if len(requests) < 4 {
		t.Errorf("the bar showed %d distinct request counts, want it moving", len(requests))
	}
	if len(etas) < 2 {
		t.Errorf("the ETA never changed: %v", etas)
	}
	// Log records start at the beginning of a line: the bar was cleared first.
	logs := 0
	for i := strings.Index(session, "time="); i >= 0; {
		logs++
		if i > 0 && session[i-1] != '\r' && session[i-1] != '\n' {
			t.Errorf("a log record starts inside the bar: %q", session[max(0, i-60):i+20])
			break
		}
		next := strings.Index(session[i+1:], "time=")
		if next < 0 {
			break
		}
		i += 1 + next
	}
	if logs == 0 {
		t.Error("no debug record reached the terminal")
	}
}
