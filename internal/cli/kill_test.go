package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// TestMain lets the test binary act as connvault itself, so that tests can
// run it as a child process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("CONNVAULT_TEST_BE_MAIN") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// killer wraps a simulated tenant and SIGKILLs the connvault child process
// at the k-th write request: before the tenant sees it, or after the tenant
// applied it (the response is then lost with the process).
type killer struct {
	next  http.Handler
	k     int
	after bool

	started chan struct{} // closed once proc is set
	proc    *os.Process

	mu     sync.Mutex
	writes int
	killed bool
}

func (h *killer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || strings.HasPrefix(r.URL.Path, "/oauth/") || strings.HasPrefix(r.URL.Path, "/_sim/") {
		h.next.ServeHTTP(w, r)
		return
	}
	h.mu.Lock()
	h.writes++
	hit := h.writes == h.k && !h.killed
	h.mu.Unlock()
	if !hit {
		h.next.ServeHTTP(w, r)
		return
	}
	if h.after {
		h.next.ServeHTTP(httptest.NewRecorder(), r)
	}
	<-h.started
	h.mu.Lock()
	h.killed = true
	h.mu.Unlock()
	_ = h.proc.Kill()
	panic(http.ErrAbortHandler)
}

func dumpJSON(t *testing.T, sim *tenantsim.Sim) string {
	t.Helper()
	b, err := json.MarshalIndent(sim.Dump(), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestImportConvergesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns 20 processes")
	}
	bundlePath, target, refSim := killFixture(t)
	want := dumpJSON(t, refSim)
	writes := refSim.Stats().Writes
	if writes < 20 {
		t.Fatalf("the reference import made only %d writes; the test needs more", writes)
	}

	for i := range 20 {
		k := 1 + i*(writes-1)/19
		after := i%2 == 1
		t.Run(fmt.Sprintf("write%d-after%t", k, after), func(t *testing.T) {
			sim := tenantsim.New(target)
			vars, state := importKilledAt(t, sim, target, k, after, "2", bundlePath)

			r := runCLI(t, vars, "import", "--rate", "0", "--yes", "--state-dir", state, bundlePath)
			if r.code != exitOK {
				t.Fatalf("rerun after a kill at write %d: exit %d:\n%s%s", k, r.code, r.stdout, r.stderr)
			}
			if got := dumpJSON(t, sim); got != want {
				t.Errorf("after a kill at write %d and a rerun, the tenant differs from an uninterrupted import", k)
				logDumpDiff(t, want, got)
			}
			if !reflect.DeepEqual(names(sim), names(refSim)) {
				t.Errorf("connector names differ: %v vs %v", names(sim), names(refSim))
			}
		})
	}
}

// `connvault plan --out plan.json`, then `connvault import plan.json`
// killed -9 once its first create was applied (the answer lost with the
// process), then the same `import plan.json` again: the rerun adopts the
// connector that create made (found by name, as the journal's in-flight
// create sent it) instead of refusing the plan as drift ("created since,
// the plan would create it"), creates nothing twice, and leaves the tenant
// as an uninterrupted import of the plan does.
func TestSavedPlanConvergesAfterKilledCreate(t *testing.T) {
	bundlePath, target, refSim := killFixture(t)
	sim := tenantsim.New(target)
	before := len(sim.Dump().Connectors)
	planFile := filepath.Join(t.TempDir(), "plan.json")
	vars, state := importKilledAtWith(t, sim, target, 1, true, "1", func(vars map[string]string, state string) string {
		r := runCLI(t, vars, "plan", "--rate", "0", "--state-dir", state, "--out", planFile, bundlePath)
		if r.code != exitOK || !strings.Contains(r.stdout, "+ create") {
			t.Fatalf("plan --out: exit %d, want creates:\n%s%s", r.code, r.stdout, r.stderr)
		}
		return planFile
	})
	if len(sim.Dump().Connectors) != before+1 {
		t.Fatalf("fixture: the killed import made %d connectors, want its first create", len(sim.Dump().Connectors)-before)
	}
	r := runCLI(t, vars, "import", "--rate", "0", "--state-dir", state, planFile)
	if r.code != exitOK {
		t.Fatalf("import plan.json again after kill -9 lost a create's answer: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "recognised as this import's own create") {
		t.Errorf("the rerun does not say it adopted the killed run's create:\n%s", r.stdout)
	}
	if !reflect.DeepEqual(names(sim), names(refSim)) {
		t.Errorf("connector names differ from an uninterrupted import: %v vs %v", names(sim), names(refSim))
	}
	if r := runCLI(t, vars, "plan", "--rate", "0", "--state-dir", state, "--detailed-exitcode", bundlePath); r.code != exitOK {
		t.Errorf("plan after the rerun: exit %d, want no changes:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// killFixture exports a sandbox into a bundle and imports it, uninterrupted,
// into a simulated production tenant (the reference); it returns the
// bundle, the production tenant's options and the reference tenant.
func killFixture(t *testing.T) (bundlePath string, target tenantsim.Options, refSim *tenantsim.Sim) {
	t.Helper()
	_, srcVars := startSim(t, tenantsim.Options{Seed: 31, Connectors: 10, MaxLocales: 3})
	bundlePath = filepath.Join(t.TempDir(), "sandbox.tar.gz")
	if r := runCLI(t, srcVars, "export", "--rate", "0", "--locales", "detail", "--out", bundlePath); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	target = tenantsim.Options{Seed: 32, Connectors: 5, MaxLocales: 2, TenantName: "production", ClientID: "prod", ClientSecret: "prod-secret"}
	refSim, refVars := startSim(t, target)
	if r := runCLI(t, refVars, "import", "--rate", "0", "--yes", "--state-dir", t.TempDir(), bundlePath); r.code != exitOK {
		t.Fatalf("reference import: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	return bundlePath, target, refSim
}

func names(sim *tenantsim.Sim) []string {
	var out []string
	for _, c := range sim.Dump().Connectors {
		out = append(out, c.Name)
	}
	return out
}

func logDumpDiff(t *testing.T, want, got string) {
	t.Helper()
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) && i < len(gl); i++ {
		if wl[i] != gl[i] {
			t.Logf("first difference at line %d:\nwant %.200s\ngot  %.200s", i+1, wl[i], gl[i])
			return
		}
	}
	t.Logf("dumps differ in length: %d vs %d lines", len(wl), len(gl))
}

// importKilledAt runs `connvault import` of bundlePath as a child process
// against sim (served with target's credentials) and SIGKILLs it at its k-th
// write, before the tenant sees it or, with after, once the tenant applied it.
// It returns the tenant's settings and the state directory for the rerun.
func importKilledAt(t *testing.T, sim *tenantsim.Sim, target tenantsim.Options, k int, after bool, concurrency, bundlePath string) (map[string]string, string) {
	t.Helper()
	return importKilledAtWith(t, sim, target, k, after, concurrency, func(map[string]string, string) string { return bundlePath })
}

// importKilledAtWith is importKilledAt importing what input returns, given
// the tenant's settings and the state directory before the import starts
// (a saved plan, made through the same server).
func importKilledAtWith(t *testing.T, sim *tenantsim.Sim, target tenantsim.Options, k int, after bool, concurrency string, input func(vars map[string]string, state string) string) (map[string]string, string) {
	t.Helper()
	kl := &killer{next: sim, k: k, after: after, started: make(chan struct{})}
	srv := httptest.NewServer(kl)
	t.Cleanup(srv.Close)
	vars := map[string]string{"SAIL_BASE_URL": srv.URL, "SAIL_CLIENT_ID": target.ClientID, "SAIL_CLIENT_SECRET": target.ClientSecret}
	state := t.TempDir()
	in := input(vars, state)
	cmd := exec.Command(os.Args[0], "import", "--rate", "0", "--yes", "--concurrency", concurrency, "--state-dir", state, in)
	cmd.Env = append(os.Environ(), "CONNVAULT_TEST_BE_MAIN=1", "SAIL_BASE_URL="+srv.URL, "SAIL_CLIENT_ID="+target.ClientID, "SAIL_CLIENT_SECRET="+target.ClientSecret)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kl.proc = cmd.Process
	close(kl.started)
	err := cmd.Wait()
	kl.mu.Lock()
	killed := kl.killed
	kl.mu.Unlock()
	if !killed {
		t.Fatalf("the import was not killed at write %d (err %v):\n%s", k, err, out.String())
	}
	return vars, state
}
