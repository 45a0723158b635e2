package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

var _ export.Source = (*tenant.Client)(nil)

// createdAt is the fixed createdAt of test bundles, as SOURCE_DATE_EPOCH would give.
var createdAt = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newSim starts a simulated tenant over real HTTP.
func newSim(t *testing.T, opts tenantsim.Options) (*tenantsim.Sim, string) {
	t.Helper()
	sim := tenantsim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL
}

// newClient returns a client of the simulated tenant at url with no rate limit
// and tiny backoffs.
func newClient(t *testing.T, url string) *tenant.Client {
	t.Helper()
	return newClientVia(t, url, nil)
}

// runExport exports from c into a new bundle at path and commits it. On a Run
// error it aborts the writer and returns the error. It turns source discovery
// off: most tests exercise the export without it (as --sources=false);
// sources_test.go uses runExportWithSources.
func runExport(t *testing.T, ctx context.Context, c *tenant.Client, path string, opts export.Options) (export.Result, error) {
	t.Helper()
	opts.NoSources = true
	return runExportWithSources(t, ctx, c, path, opts)
}

// runExportWithSources is runExport with opts as given.
func runExportWithSources(t *testing.T, ctx context.Context, c *tenant.Client, path string, opts export.Options) (export.Result, error) {
	t.Helper()
	w, err := bundle.Create(path, bundle.WriterOptions{
		CreatedAt:   createdAt,
		ToolVersion: "test",
		Source:      bundle.Source{URL: c.BaseURL(), API: c.API()},
		Options:     export.OptionsJSON(opts),
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := export.Run(ctx, c, w, opts)
	if err != nil {
		if aerr := w.Abort(); aerr != nil {
			t.Errorf("abort: %v", aerr)
		}
		return res, err
	}
	if res.Manifest, err = w.Commit(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return res, nil
}

// mustExport is runExport for runs that must succeed.
func mustExport(t *testing.T, c *tenant.Client, path string, opts export.Options) export.Result {
	t.Helper()
	res, err := runExport(t, t.Context(), c, path, opts)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	return res
}

// hidden returns the scriptNames of the custom connectors the list does not show.
func hidden(d tenantsim.Dump) []string {
	var out []string
	for _, c := range d.Connectors {
		if !c.BuiltIn && c.Status != "RELEASED" {
			out = append(out, c.ScriptName)
		}
	}
	return out
}

// scriptNames returns the sorted scriptNames of the dump's connectors that keep says.
func scriptNames(d tenantsim.Dump, keep func(tenantsim.DumpConnector) bool) []string {
	var out []string
	for _, c := range d.Connectors {
		if keep(c) {
			out = append(out, c.ScriptName)
		}
	}
	slices.Sort(out)
	return out
}

func listedCustom(c tenantsim.DumpConnector) bool { return !c.BuiltIn && c.Status == "RELEASED" }

// entryNames returns the sorted scriptNames of a manifest's entries.
func entryNames(m bundle.Manifest) []string {
	var out []string
	for _, e := range m.Connectors {
		out = append(out, e.ScriptName)
	}
	slices.Sort(out)
	return out
}

// checkMatchesTenant verifies the bundle at path and checks that it holds
// exactly the dump's connectors named in want, every file byte-equal to what
// the tenant holds.
func checkMatchesTenant(t *testing.T, path string, d tenantsim.Dump, want []string) {
	t.Helper()
	b, err := bundle.Open(t.Context(), path, bundle.ReadOptions{}) // verifies everything, as Verify does
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	defer b.Close()
	m := b.Manifest
	if got := entryNames(m); !slices.Equal(got, want) {
		t.Fatalf("bundle holds %d connectors, want %d\n got %q\nwant %q", len(got), len(want), got, want)
	}
	byScript := make(map[string]tenantsim.DumpConnector, len(d.Connectors))
	for _, c := range d.Connectors {
		byScript[c.ScriptName] = c
	}
	for _, e := range m.Connectors {
		tc := byScript[e.ScriptName]
		got, err := b.Load(e.Key)
		if err != nil {
			t.Fatalf("load %s: %v", e.Key, err)
		}
		if e.Key != bundle.KeyFor(tc.ScriptName) || e.Name != tc.Name || e.Type != tc.Type || e.ClassName != tc.ClassName || e.Status != tc.Status {
			t.Errorf("%s: entry %+v does not describe the tenant's connector", tc.ScriptName, e)
		}
		for _, p := range []struct {
			kind      string
			got, want []byte
		}{
			{"source-config", got.SourceConfig, []byte(tc.SourceConfigXml)},
			{"source-template", got.SourceTemplate, []byte(tc.ApplicationXml)},
			{"correlation-config", got.CorrelationConfig, []byte(tc.CorrelationConfigXml)},
		} {
			if !bytes.Equal(p.got, p.want) {
				t.Errorf("%s: %s differs from the tenant's (%d bytes, want %d)", tc.ScriptName, p.kind, len(p.got), len(p.want))
			}
		}
		if got, want := slices.Sorted(maps.Keys(got.Translations)), slices.Sorted(maps.Keys(tc.Translations)); !slices.Equal(got, want) {
			t.Errorf("%s: locales %q, want %q", tc.ScriptName, got, want)
		}
		for l, text := range tc.Translations {
			if g, ok := got.Translations[l]; ok && string(g) != text {
				t.Errorf("%s: translations/%s differ from the tenant's", tc.ScriptName, l)
			}
		}
		checkDetail(t, tc, got.Detail)
	}
}

// checkDetail checks connector.json: the tenant's detail without the fields
// kept in their own files.
func checkDetail(t *testing.T, tc tenantsim.DumpConnector, raw json.RawMessage) {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: connector.json: %v", tc.ScriptName, err)
	}
	for _, k := range []string{"sourceConfigXml", "sourceConfig", "applicationXml", "correlationConfigXml", "translationProperties"} {
		if _, ok := d[k]; ok {
			t.Errorf("%s: connector.json holds %s, which belongs in its own file", tc.ScriptName, k)
		}
	}
	for k, want := range map[string]any{
		"name": tc.Name, "type": tc.Type, "className": tc.ClassName, "scriptName": tc.ScriptName,
		"status": tc.Status, "directConnect": tc.DirectConnect, "fileUpload": tc.FileUpload,
	} {
		if d[k] != want {
			t.Errorf("%s: connector.json %s = %v, want %v", tc.ScriptName, k, d[k], want)
		}
	}
	if tc.S3Location != "" && d["s3Location"] != tc.S3Location {
		t.Errorf("%s: connector.json s3Location = %v, want %v", tc.ScriptName, d["s3Location"], tc.S3Location)
	}
	if len(tc.ConnectorMetadata) > 0 {
		want, _ := json.Marshal(tc.ConnectorMetadata)
		got, _ := json.Marshal(d["connectorMetadata"])
		if !bytes.Equal(got, want) {
			t.Errorf("%s: connector.json connectorMetadata = %s, want %s", tc.ScriptName, got, want)
		}
	}
}

// recorder is a Progress that remembers what it heard.
type recorder struct {
	mu     sync.Mutex
	n      int
	names  []string
	onDone func(done int)
}

func (r *recorder) SetTotal(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n = n
}

func (r *recorder) Done(name string, err error) {
	r.mu.Lock()
	r.names = append(r.names, name)
	n := len(r.names)
	r.mu.Unlock()
	if r.onDone != nil {
		r.onDone(n)
	}
}

func (r *recorder) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func (r *recorder) done() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.names)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkEmpty fails unless dir is empty: no bundle, no staging left behind.
func checkEmpty(t *testing.T, dir string) {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		t.Errorf("left behind in the destination's directory: %s", de.Name())
	}
}
