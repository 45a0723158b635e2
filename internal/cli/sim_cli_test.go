package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/connvault/connvault/tenant/tenantsim"
)

func TestSimCommandPrintsConnectionFirst(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	e.log = discardLogger()
	state := filepath.Join(t.TempDir(), "state.json")
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runSim(ctx, e, simOptions{Addr: "127.0.0.1:0", State: state, Sim: tenantsim.Options{Seed: 1, Connectors: 2, ClientID: "cid", ClientSecret: "csecret"}, ReadyLine: func(u string) { ready <- u }})
	}()
	var base string
	select {
	case base = <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not start")
	}
	lines := strings.SplitN(out.String(), "\n", 4)
	want := []string{"SAIL_BASE_URL=" + base, "SAIL_CLIENT_ID=cid", "SAIL_CLIENT_SECRET=csecret"}
	for i, w := range want {
		if i >= len(lines) || lines[i] != w {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], w)
		}
	}
	if start := errb.String(); !strings.Contains(start, "simulated tenant serving at "+base+" (variants=)") {
		t.Errorf("the start line on stderr does not name the URL and the variants: %q", start)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("base URL %q is not on loopback", base)
	}
	// The tenant it serves is usable with those settings.
	r := runCLI(t, map[string]string{"SAIL_BASE_URL": base, "SAIL_CLIENT_ID": "cid", "SAIL_CLIENT_SECRET": "csecret"},
		"export", "--rate", "0", "--locales", "detail", "--out", filepath.Join(t.TempDir(), "x.tar.gz"))
	if r.code != exitOK {
		t.Errorf("export from `connvault sim`: exit %d: %s", r.code, r.stderr)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("sim: %v", err)
	}
	if fi, err := os.Stat(state); err != nil || fi.Size() == 0 {
		t.Errorf("state file not saved at exit: %v", err)
	}
}

// TestSimStartLineByDefault: the line saying where the simulator serves
// reaches stderr at the default log level, not only with --log-level info.
func TestSimStartLineByDefault(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // prints its settings, then stops at once
	r := runCLIContext(ctx, t, nil, "sim", "--connectors", "1", "--addr", "127.0.0.1:0")
	base, _, _ := strings.Cut(strings.TrimPrefix(r.stdout, "SAIL_BASE_URL="), "\n")
	if r.code != exitOK || base == "" || !strings.Contains(r.stderr, "simulated tenant serving at "+base) || !strings.Contains(r.stderr, "variants=") {
		t.Errorf("exit %d, want the start line with the address %q on stderr at the default log level:\nstdout: %s\nstderr: %s", r.code, base, r.stdout, r.stderr)
	}
}
