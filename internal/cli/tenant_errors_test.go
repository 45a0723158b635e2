package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// SAIL_BASE_URL with a version suffix is refused before any request, saying
// so, instead of ending in a 401 that blames the credentials.
func TestBaseURLWithVersionSuffix(t *testing.T) {
	sim, vars := startSim(t, tenantsim.Options{Seed: 3, Connectors: 2})
	vars["SAIL_BASE_URL"] += "/v2025"
	r := runCLI(t, vars, "export", "--rate", "0", "--out", filepath.Join(t.TempDir(), "a.tar.gz"))
	if r.code != exitError || !strings.Contains(r.stderr, "ends in the API version /v2025") || strings.Contains(r.stderr, "401") {
		t.Errorf("exit %d, want 1 saying the URL ends in a version:\n%s", r.code, r.stderr)
	}
	if n := sim.Stats().Total; n != 0 {
		t.Errorf("%d requests reached the tenant", n)
	}
}

// A tenant that asks for a wait past --max-wait stops the export as
// retryable (exit 3), saying when to rerun, and writes nothing.
func TestMaxWaitStopsTheRun(t *testing.T) {
	faults, err := tenantsim.ParseFaults("burst429=1:3h")
	if err != nil {
		t.Fatal(err)
	}
	_, vars := startSim(t, tenantsim.Options{Seed: 3, Connectors: 2, Faults: faults})
	out := filepath.Join(t.TempDir(), "a.tar.gz")
	r := runCLI(t, vars, "export", "--rate", "0", "--max-wait", "1m", "--out", out)
	if r.code != exitPartial || !strings.Contains(r.stderr, "rerun after") || !strings.Contains(r.stderr, "--max-wait") {
		t.Errorf("exit %d, want 3 saying when to rerun:\n%s", r.code, r.stderr)
	}
	if holdsBundle(out) {
		t.Errorf("a bundle was written")
	}
}
