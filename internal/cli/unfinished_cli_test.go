package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// rateLimitWrites answers every content write (PATCH, PUT) with a 429 that
// asks for an hour, past any --max-wait a test gives, until lifted.
type rateLimitWrites struct {
	next   http.Handler
	lifted *atomic.Bool
}

func (h rateLimitWrites) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if (r.Method == http.MethodPatch || r.Method == http.MethodPut) && !h.lifted.Load() {
		w.Header().Set("Retry-After", "3600")
		http.Error(w, "{}", http.StatusTooManyRequests)
		return
	}
	h.next.ServeHTTP(w, r)
}

var createdNotWritten = regexp.MustCompile(`\d+ connectors were created but not yet written`)

// Newcomer N22, N8: an import creates every connector before writing their
// parts, so one stopped in between (Ctrl-C; a wait past --max-wait) leaves
// connectors that hold the tenant's defaults. Its closing message says how
// many, that rerunning finishes them, and the rollback command (with the
// state directory whose journal it needs), instead of "nothing is left
// half-written"; the rerun finishes them, saying so (N2).
func TestStoppedImportSaysWhatItLeftUnwritten(t *testing.T) {
	t.Parallel()
	_, srcVars := startSim(t, tenantsim.Options{Seed: 95, Connectors: 6, MaxLocales: 1, TenantName: "src"})
	dir := t.TempDir()
	b := exportTo(t, srcVars, filepath.Join(dir, "all.tar.gz"))
	var lifted atomic.Bool
	for _, tt := range []struct {
		name  string
		wrap  func(next http.Handler, cancel context.CancelFunc) http.Handler
		flags []string
		code  int
	}{
		{"Ctrl-C", func(next http.Handler, cancel context.CancelFunc) http.Handler {
			return &cancelAtWrite{next: next, k: 4, cancel: cancel}
		}, nil, exitInterrupted},
		{"--max-wait", func(next http.Handler, _ context.CancelFunc) http.Handler {
			return rateLimitWrites{next: next, lifted: &lifted}
		}, []string{"--max-wait", "1m"}, exitPartial},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lifted.Store(false)
			sim, vars := startSim(t, tenantsim.Options{Seed: 96, Connectors: 0, TenantName: "dst"})
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			srv := httptest.NewServer(tt.wrap(sim, cancel))
			defer srv.Close()
			cut := map[string]string{"SAIL_BASE_URL": srv.URL, "SAIL_CLIENT_ID": vars["SAIL_CLIENT_ID"], "SAIL_CLIENT_SECRET": vars["SAIL_CLIENT_SECRET"]}
			state := filepath.Join(t.TempDir(), "state")
			args := append([]string{"import", "--rate", "0", "--yes", "--concurrency", "1", "--state-dir", state, b}, tt.flags...)
			r := runCLIContext(ctx, t, cut, args...)
			out := r.stdout + r.stderr
			if r.code != tt.code || !createdNotWritten.MatchString(out) || !strings.Contains(out, "connvault rollback --state-dir "+state+" ") ||
				strings.Contains(out, "nothing is left half-written") {
				t.Fatalf("exit %d, want %d naming the connectors created but not written and the rollback command:\n%s", r.code, tt.code, out)
			}
			// N2: the rerun's plan says which connectors it finishes. (The
			// same URL: past the interrupt the wrapper passes requests on.)
			lifted.Store(true)
			r = runCLI(t, cut, "import", "--rate", "0", "--yes", "--state-dir", state, b)
			if r.code != exitOK || !strings.Contains(r.stdout, "note: created by the interrupted run this one continues") ||
				!strings.Contains(r.stdout, "of the updates finish connectors the interrupted run created") {
				t.Fatalf("rerun: exit %d, want the connectors the stopped run created said to be its:\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}
