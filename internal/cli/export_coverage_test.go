package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// A nightly export to the same --out carries the hidden connectors named
// once forward, and every run says how many were listed and how many hidden
// ones were named.
func TestExportCarriesHiddenConnectorsForward(t *testing.T) {
	sim, vars := startSim(t, tenantsim.Options{Seed: 3, Connectors: 10})
	hidden := unlistedScriptNames(sim)
	if len(hidden) == 0 {
		t.Fatal("the tenant has no hidden connector")
	}
	for _, out := range []string{"backup.tar.gz", "backup/"} {
		t.Run(out, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), out)
			if strings.HasSuffix(out, "/") {
				path += "/"
			}
			args := []string{"export", "--rate", "0", "--locales", "detail", "--out", path}
			named := slices.Clone(args)
			for _, sn := range hidden {
				named = append(named, "--script-name", sn)
			}
			r := runCLI(t, vars, named...)
			if r.code != exitOK {
				t.Fatalf("export: exit %d\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, "hidden connectors named") || !strings.Contains(r.stdout, "listed ") {
				t.Errorf("the summary does not count the listed and hidden connectors:\n%s", r.stdout)
			}
			r = runCLI(t, vars, append(args, "--json")...) // no --script-name
			if r.code != exitOK {
				t.Fatalf("second export: exit %d\n%s", r.code, r.stderr)
			}
			var sum exportSummary
			if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
				t.Fatal(err)
			}
			if sum.Connectors != customCount(sim) || !slices.Equal(sum.Coverage.Hidden, hidden) || len(sum.Coverage.CarriedFrom) != 1 {
				t.Errorf("second export: %d connectors, coverage %+v; want %d with the hidden %q carried forward",
					sum.Connectors, sum.Coverage, customCount(sim), hidden)
			}
			m, err := bundle.Verify(t.Context(), path, bundle.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, sn := range hidden {
				if m.Scope == nil || !slices.Contains(m.Scope.ScriptNames, sn) {
					t.Errorf("the carried connector %s is not in the bundle's scope %+v", sn, m.Scope)
				}
			}
			if sum.Coverage.Listed == 0 || len(sum.Coverage.LeftOut) == 0 {
				t.Errorf("coverage %+v: want the listed count and SailPoint's connectors left out", sum.Coverage)
			}

			// Another destination, told where the names are.
			other := filepath.Join(t.TempDir(), "other.tar.gz")
			r = runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--json", "--out", other, "--script-names-from", path)
			if r.code != exitOK {
				t.Fatalf("--script-names-from: exit %d\n%s", r.code, r.stderr)
			}
			if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sum.Coverage.Hidden, hidden) || sum.Connectors != customCount(sim) {
				t.Errorf("--script-names-from: %d connectors, hidden %q; want %d with %q", sum.Connectors, sum.Coverage.Hidden, customCount(sim), hidden)
			}
		})
	}
}

// An --out that exists but holds no bundle is not replaced: an archive
// path naming another file, or a non-empty directory without a bundle.
func TestExportRefusesToReplaceWhatIsNoBundle(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 3, Connectors: 3})
	dir := t.TempDir()
	file := filepath.Join(dir, "notes.tar.gz")
	if err := os.WriteFile(file, []byte("not a bundle"), 0o600); err != nil {
		t.Fatal(err)
	}
	checkout := filepath.Join(dir, "checkout")
	if err := os.MkdirAll(filepath.Join(checkout, ".git"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(checkout, "README.md"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{file, checkout, checkout + "/"} {
		r := runCLI(t, vars, "export", "--rate", "0", "--out", out)
		if r.code == exitOK || !strings.Contains(r.stderr, out) {
			t.Errorf("export --out %s: exit %d, want a refusal naming it:\n%s", out, r.code, r.stderr)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "not a bundle" {
		t.Errorf("%s was replaced", file)
	}
	des, _ := os.ReadDir(checkout)
	if len(des) != 2 {
		t.Errorf("the checkout holds %d entries now, want its 2", len(des))
	}
}

// Under a list order that changes between calls, and a list that never
// shows one connector (so that a gap remains after every pass), the summary
// table, the --json summary, the manifest and the failure line all state the
// same count of listed connectors (distinct scriptNames over all passes)
// against the tenant's.
func TestExportListGapStatesOneCount(t *testing.T) {
	v, err := tenantsim.ParseVariants("list-order=unstable,page-cap=7")
	if err != nil {
		t.Fatal(err)
	}
	sim := tenantsim.New(tenantsim.Options{Seed: 21, Connectors: 40, MaxLocales: 1, Variants: v, ClientID: "c", ClientSecret: "c-secret"})
	lost := released(sim)[0].ScriptName
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2025/connectors" {
			sim.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, r)
		var items []map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &items); err != nil {
			t.Error(err)
		}
		b, _ := json.Marshal(slices.DeleteFunc(items, func(it map[string]any) bool { return it["scriptName"] == lost }))
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	vars := map[string]string{"SAIL_BASE_URL": srv.URL, "SAIL_CLIENT_ID": "c", "SAIL_CLIENT_SECRET": "c-secret"}
	// Without sources, every connector known was listed: exported or left out.
	args := []string{"export", "--rate", "0", "--locales", "detail", "--sources=false", "--out"}
	path := filepath.Join(t.TempDir(), "a.tar.gz")
	r := runCLI(t, vars, append(args, path, "--json")...)
	if r.code != exitPartial {
		t.Fatalf("export --json: exit %d, want %d (a list gap)\n%s", r.code, exitPartial, r.stderr)
	}
	var sum exportSummary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	cov := sum.Coverage
	want := fmt.Sprintf("listed %d of the %d connectors", cov.Listed, cov.ListTotal)
	m, err := bundle.Verify(t.Context(), path, bundle.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cov.ListGap, want) || m.Coverage == nil || m.Coverage.Listed != cov.Listed || m.Coverage.ListTotal != cov.ListTotal ||
		m.Coverage.ListGap != cov.ListGap || len(sum.Errors) != 1 || sum.Errors[0].Error != cov.ListGap {
		t.Errorf("--json: coverage %d of %d, gap %q, errors %+v, manifest coverage %+v: want one count", cov.Listed, cov.ListTotal, cov.ListGap, sum.Errors, m.Coverage)
	}
	if cov.Listed != sum.Connectors+len(cov.LeftOut) {
		t.Errorf("--json: listed %d, but %d exported and %d left out", cov.Listed, sum.Connectors, len(cov.LeftOut))
	}

	r = runCLI(t, vars, append(args, filepath.Join(t.TempDir(), "b.tar.gz"))...)
	if r.code != exitPartial {
		t.Fatalf("export: exit %d, want %d (a list gap)\n%s", r.code, exitPartial, r.stderr)
	}
	var listed, total int
	if _, err := fmt.Sscanf(r.stdout[strings.Index(r.stdout, "\nlisted ")+1:], "listed %d connectors (the tenant counted %d)", &listed, &total); err != nil {
		t.Fatalf("no count line in the summary (%v):\n%s", err, r.stdout)
	}
	want = fmt.Sprintf("listed %d of the %d connectors", listed, total)
	if !strings.Contains(r.stdout, "list incomplete: "+want) || !strings.Contains(r.stderr, "failed: the connector list: "+want) {
		t.Errorf("the table says %d of %d; the gap lines do not:\n%s\n%s", listed, total, r.stdout, r.stderr)
	}
}
