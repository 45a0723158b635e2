package cli

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// TestNoBundleCopyOutlivesItsRun: a run that reads a bundle and is ended
// by SIGPIPE (`connvault inspect B | head`) or killed -9 leaves no copy of
// the bundle in $TMPDIR: the archive's spool has no name from the start,
// and a copy of stdin (`inspect - | head`) is removed by the next run that
// reads stdin.
func TestNoBundleCopyOutlivesItsRun(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGPIPE and kill -9 are Unix's; Windows removes old spools by age")
	}
	_, vars := startSim(t, tenantsim.Options{Seed: 7, Connectors: 150, MaxLocales: 3})
	b := filepath.Join(t.TempDir(), "a1.tar.gz")
	if r := runCLI(t, vars, "export", "--rate", "0", "--sources=false", "--out", b); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}

	t.Run("inspect | head", func(t *testing.T) {
		tmp := t.TempDir()
		headOne(t, child(tmp, nil, "inspect", "--files", b))
		checkNoTempLeft(t, tmp)
	})

	t.Run("inspect - | head", func(t *testing.T) {
		tmp := t.TempDir()
		in, err := os.Open(b)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		cmd := child(tmp, nil, "inspect", "--files", "-")
		cmd.Stdin = in
		headOne(t, cmd)
		// The copy of stdin could not be removed by its run; the next run
		// reading stdin removes it.
		in2, err := os.Open(b)
		if err != nil {
			t.Fatal(err)
		}
		defer in2.Close()
		next := child(tmp, nil, "verify", "-")
		next.Stdin = in2
		if out, err := next.CombinedOutput(); err != nil {
			t.Fatalf("verify -: %v\n%s", err, out)
		}
		checkNoTempLeft(t, tmp)
	})

	t.Run("plan killed -9", func(t *testing.T) {
		tmp := t.TempDir()
		sim := tenantsim.New(tenantsim.Options{Seed: 8, Connectors: 5, ClientID: "p", ClientSecret: "p-secret"})
		listing, release := make(chan struct{}, 1), make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v2025/connectors" {
				select {
				case listing <- struct{}{}: // the bundle is open: planning reads the target
				default:
				}
				<-release
			}
			sim.ServeHTTP(w, r)
		}))
		defer srv.Close()
		cmd := child(tmp, []string{"SAIL_BASE_URL=" + srv.URL, "SAIL_CLIENT_ID=p", "SAIL_CLIENT_SECRET=p-secret"}, "plan", "--rate", "0", b)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		<-listing
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		close(release)
		checkNoTempLeft(t, tmp)
	})
}

// child is the test binary run as connvault with args, TMPDIR tmp and env.
func child(tmp string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "CONNVAULT_TEST_BE_MAIN=1", "TMPDIR="+tmp), env...)
	return cmd
}

// headOne runs cmd as `cmd | head -1` does: it reads one line of its
// output, closes the pipe, and checks that cmd died of SIGPIPE writing more.
func headOne(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	out.Close()
	_ = cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGPIPE {
		t.Fatalf("%v: %v, want death by SIGPIPE (the output must exceed a pipe's buffer)", cmd.Args[1:], cmd.ProcessState)
	}
}

// checkNoTempLeft fails for every file or directory left in tmp.
func checkNoTempLeft(t *testing.T, tmp string) {
	t.Helper()
	des, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		t.Errorf("left in $TMPDIR: %s", de.Name())
	}
}
