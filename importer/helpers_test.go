package importer

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
	"github.com/connvault/connvault/transform"
)

// fixedNow is the clock of every test: plans, journals, undo bundles.
func fixedNow() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

// tenantFixture is a simulated tenant served over real HTTP.
type tenantFixture struct {
	sim *tenantsim.Sim
	url string
	// wrap, if set, decorates the clients converge imports through.
	wrap func(*tenant.Client) Target
}

func (f tenantFixture) target(t testing.TB) Target {
	c := f.client(t)
	if f.wrap != nil {
		return f.wrap(c)
	}
	return c
}

func newTenant(t testing.TB, o tenantsim.Options) tenantFixture {
	t.Helper()
	sim := tenantsim.New(o)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return tenantFixture{sim: sim, url: srv.URL}
}

// client returns a client of the tenant, unlimited unless a rate is given,
// with tiny backoffs so that injected faults cost no time.
func (f tenantFixture) client(t testing.TB, rate ...tenant.Rate) *tenant.Client {
	t.Helper()
	r := tenant.Unlimited()
	if len(rate) > 0 {
		r = rate[0]
	}
	c, err := tenant.New(tenant.Options{BaseURL: f.url, ClientID: "sim-client", ClientSecret: "sim-secret", Rate: r,
		MaxAttempts: 30, BackoffMin: time.Millisecond, BackoffMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	return c
}

// sandboxOpts and productionOpts seed two tenants that share some names:
// "Łódź Kadry i Płace", "São Paulo Payroll" and "Zürich HR Feed" are listed in
// both (updates), "Münchner Personalsystem" is DEVELOPMENT, so unlisted, in
// production.
func sandboxOpts() tenantsim.Options {
	return tenantsim.Options{Seed: 1, Connectors: 8, MaxLocales: 2, TenantName: "sandbox"}
}

func productionOpts() tenantsim.Options {
	return tenantsim.Options{Seed: 2, Connectors: 8, MaxLocales: 2, TenantName: "production"}
}

// setStatus changes the status of the named connectors of a simulated tenant.
func setStatus(t testing.TB, f tenantFixture, status string, names ...string) {
	t.Helper()
	d := f.sim.Dump()
	n := 0
	for i, c := range d.Connectors {
		if slices.Contains(names, c.Name) {
			d.Connectors[i].Status = status
			n++
		}
	}
	if n != len(names) {
		t.Fatalf("fixture: found %d of %v", n, names)
	}
	if err := f.sim.Restore(d); err != nil {
		t.Fatal(err)
	}
}

// withStatus returns c with another status, in the manifest and in its
// connector.json alike, as an export of a connector of that status would have.
func withStatus(t testing.TB, c bundle.Connector, status string) bundle.Connector {
	t.Helper()
	c.Status = status
	return withDetail(t, c, "status", status)
}

// withName returns c renamed, in the manifest and in its connector.json.
func withName(t testing.TB, c bundle.Connector, name string) bundle.Connector {
	t.Helper()
	c.Name = name
	return withDetail(t, c, "name", name)
}

func withDetail(t testing.TB, c bundle.Connector, key, value string) bundle.Connector {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(c.Detail, &obj); err != nil {
		t.Fatal(err)
	}
	obj[key] = value
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	c.Detail = b
	return c
}

// sandboxOnly are the connectors of the sandbox that production lacks.
var sandboxOnly = []string{"Bogotá Nómina", "Göteborg Ärendehantering", "Île-de-France Facturation", "Reykjavík Heilsugæsla"}

// bundleFromDump turns a tenant's custom connectors into bundle connectors,
// as an export would.
func bundleFromDump(t testing.TB, d tenantsim.Dump) []bundle.Connector {
	t.Helper()
	var cs []bundle.Connector
	for _, dc := range d.Connectors {
		if dc.BuiltIn {
			continue
		}
		c, err := toBundle(detailOf(dc))
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	return cs
}

func detailOf(dc tenantsim.DumpConnector) tenant.ConnectorDetail {
	d := tenant.ConnectorDetail{
		Name: dc.Name, Type: dc.Type, ClassName: dc.ClassName, ScriptName: dc.ScriptName,
		ApplicationXML: dc.ApplicationXml, CorrelationConfigXML: dc.CorrelationConfigXml, SourceConfigXML: dc.SourceConfigXml,
		S3Location: dc.S3Location, UploadedFiles: dc.UploadedFiles, FileUpload: dc.FileUpload, DirectConnect: dc.DirectConnect,
		TranslationProperties: dc.Translations, ConnectorMetadata: dc.ConnectorMetadata, Status: tenant.Status(dc.Status),
	}
	if dc.SourceConfigFrom != "" {
		d.SourceConfigFrom = &dc.SourceConfigFrom
	}
	return d
}

// writeSource writes connectors as a bundle through the bundle writer, reads
// it back verified, and returns it as an import source. Its scope is the
// whole tenant, as an export without filters records.
func writeSource(t testing.TB, from string, cs []bundle.Connector, errs []bundle.ItemError) Source {
	t.Helper()
	return writeScoped(t, from, &bundle.Scope{}, cs, errs)
}

// writeScoped is writeSource with the given scope (nil: none recorded, as
// an older connvault wrote bundles).
func writeScoped(t testing.TB, from string, scope *bundle.Scope, cs []bundle.Connector, errs []bundle.ItemError) Source {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bundle.tar.gz")
	_, err := bundle.WriteAll(context.Background(), path, bundle.WriterOptions{CreatedAt: fixedNow(), ToolVersion: "test",
		Source: bundle.Source{URL: from, API: "v2025"}, Scope: scope}, cs, errs)
	if err != nil {
		t.Fatalf("write bundle: %v", err)
	}
	return openSource(t, path)
}

// openSource opens a bundle as plan, import and migrate do: a streaming
// Source, whose content the importer reads from the open bundle (Load)
// when it needs it. Its Connectors hold the content too, for the tests to
// compare with; streamingSource gives one of heads only.
func openSource(t testing.TB, path string) Source {
	t.Helper()
	b, err := bundle.Open(context.Background(), path, bundle.ReadOptions{})
	if err != nil {
		t.Fatalf("open bundle: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	cs, err := b.LoadAll()
	if err != nil {
		t.Fatalf("load bundle: %v", err)
	}
	return Source{Manifest: b.Manifest, Path: path, Connectors: cs,
		Load: func(i int) (bundle.Connector, error) { return b.Load(b.Manifest.Connectors[i].Key) }}
}

// streamingSource is src with heads only in Connectors (Head), as the CLI
// gives the importer.
func streamingSource(src Source) Source {
	heads := make([]bundle.Connector, len(src.Connectors))
	for i, c := range src.Connectors {
		heads[i] = Head(c)
	}
	src.Connectors = heads
	return src
}

func exportSource(t testing.TB, f tenantFixture) Source {
	t.Helper()
	return writeSource(t, f.url, bundleFromDump(t, f.sim.Dump()), nil)
}

// unlistedSameName maps each source connector whose name the target has on an
// unlisted connector: what an administrator puts in the mapping file.
func unlistedSameName(src Source, target tenantsim.Dump) map[string]string {
	m := map[string]string{}
	for _, c := range src.Connectors {
		for _, dc := range target.Connectors {
			if strings.EqualFold(dc.Name, c.Name) && dc.Status != "RELEASED" {
				m[c.ScriptName] = dc.ScriptName
			}
		}
	}
	return m
}

// testOptions turn source discovery off: most tests exercise matching and
// deletion without it (as with --sources=false); sources_test.go turns it on.
func testOptions(t testing.TB) Options {
	return Options{StateDir: filepath.Join(t.TempDir(), "state"), Now: fixedNow, ToolVersion: "test", NoSources: true}
}

// importOnce plans and applies.
func importOnce(ctx context.Context, t testing.TB, tg Target, src Source, opts Options) (Result, error) {
	t.Helper()
	p, err := MakePlan(ctx, tg, src, opts)
	if err != nil {
		return Result{}, err
	}
	return Apply(ctx, tg, src, p, opts)
}

func mustImport(t testing.TB, tg Target, src Source, opts Options) Result {
	t.Helper()
	res, err := importOnce(context.Background(), t, tg, src, opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if n := res.Failed(); n > 0 {
		t.Fatalf("import: %d items failed: %+v", n, failures(res))
	}
	return res
}

func failures(r Result) []ItemResult {
	var out []ItemResult
	for _, it := range r.Items {
		if it.Status == StatusFailed || it.Status == StatusPartial {
			out = append(out, it)
		}
	}
	return out
}

// converge reruns an import until every item succeeds, doing what a failed
// item's message tells the user: a connector the tenant has under that name
// but cannot list goes into the mapping (looked up "in the ISC UI": the dump).
// With transient, other failures (a fault that outlasted the client's
// retries) are allowed too: rerunning is what the user does about them.
// It returns the result of every run.
func converge(t testing.TB, f tenantFixture, src Source, opts Options, transient ...bool) []Result {
	t.Helper()
	opts.Mapping = maps.Clone(opts.Mapping)
	if opts.Mapping == nil {
		opts.Mapping = map[string]string{}
	}
	var runs []Result
	for run := 1; run <= 6; run++ {
		res, err := importOnce(context.Background(), t, f.target(t), src, opts)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		runs = append(runs, res)
		if res.Failed() == 0 {
			return runs
		}
		for _, it := range failures(res) {
			if !strings.Contains(it.Error, "mapping file") && len(transient) > 0 && transient[0] {
				t.Logf("run %d: %q failed, rerunning: %s", run, it.Name, it.Error)
				continue
			}
			if !strings.Contains(it.Error, "mapping file") {
				t.Fatalf("run %d: %q failed without telling how to fix it: %s", run, it.Name, it.Error)
			}
			dc, ok := byName(f.sim.Dump(), it.Name)
			if !ok {
				t.Fatalf("run %d: %q failed asking for a mapping entry, but the tenant has no such connector: %s", run, it.Name, it.Error)
			}
			if dc.Status == "RELEASED" {
				t.Fatalf("run %d: %q failed asking for a mapping entry, but it is RELEASED: the import should have found it in the list: %s",
					run, it.Name, it.Error)
			}
			opts.Mapping[it.SourceScriptName] = dc.ScriptName
		}
	}
	t.Fatalf("import did not converge in 6 runs")
	return nil
}

func byName(d tenantsim.Dump, name string) (tenantsim.DumpConnector, bool) {
	for _, c := range d.Connectors {
		if glob.SameName(c.Name, name) {
			return c, true
		}
	}
	return tenantsim.DumpConnector{}, false
}

// checkMigrated asserts that every source connector is in the target by name,
// with the source's parts and metadata after scriptName remapping, and that
// the mapping file records it.
func checkMigrated(t testing.TB, src Source, target tenantsim.Dump, mappingPath string) {
	t.Helper()
	mapping, err := LoadMapping(mappingPath)
	if err != nil {
		t.Fatal(err)
	}
	checkNoDuplicates(t, target)
	for _, c := range src.Connectors {
		dc, ok := byName(target, c.Name)
		if !ok {
			t.Errorf("%q is missing from the target", c.Name)
			continue
		}
		if mapping[c.ScriptName] != dc.ScriptName {
			t.Errorf("mapping file: %q → %q, want %q", c.ScriptName, mapping[c.ScriptName], dc.ScriptName)
		}
		want := transform.RemapScriptNames(c, mapping)
		for _, p := range []struct {
			name      string
			got, want string
		}{
			{"source-config", dc.SourceConfigXml, string(want.SourceConfig)},
			{"source-template", dc.ApplicationXml, string(want.SourceTemplate)},
			{"correlation-config", dc.CorrelationConfigXml, string(want.CorrelationConfig)},
		} {
			if p.got != p.want {
				t.Errorf("%q: %s differs from the bundle's (%d bytes, want %d)", c.Name, p.name, len(p.got), len(p.want))
			}
		}
		for loc, b := range want.Translations {
			if dc.Translations[loc] != string(b) {
				t.Errorf("%q: translations/%s differ", c.Name, loc)
			}
		}
		wc, err := bundleContent(want)
		if err != nil {
			t.Fatal(err)
		}
		gc := detailContent(detailOf(dc))
		if string(wc.metaJSON) != string(gc.metaJSON) {
			t.Errorf("%q: metadata %s, want %s", c.Name, gc.metaJSON, wc.metaJSON)
		}
	}
}

func checkNoDuplicates(t testing.TB, d tenantsim.Dump) {
	t.Helper()
	seen := map[string]string{}
	for _, c := range d.Connectors {
		k := glob.NameKey(c.Name)
		if other, dup := seen[k]; dup {
			t.Errorf("duplicate connector %q: %s and %s", c.Name, other, c.ScriptName)
		}
		seen[k] = c.ScriptName
	}
}

// diffDumps describes how two dumps differ, connector by connector.
func diffDumps(a, b tenantsim.Dump) []string {
	index := func(d tenantsim.Dump) map[string]tenantsim.DumpConnector {
		m := map[string]tenantsim.DumpConnector{}
		for _, c := range d.Connectors {
			m[c.ScriptName] = c
		}
		return m
	}
	ia, ib := index(a), index(b)
	keys := map[string]bool{}
	for k := range ia {
		keys[k] = true
	}
	for k := range ib {
		keys[k] = true
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		ca, inA := ia[k]
		cb, inB := ib[k]
		switch {
		case !inA:
			out = append(out, "only in the second: "+k)
		case !inB:
			out = append(out, "only in the first: "+k)
		case !reflect.DeepEqual(ca, cb):
			out = append(out, "differs: "+k)
		}
	}
	return out
}

var errCrashed = errors.New("simulated crash")

// crashTarget is a Target whose process "dies" at the at-th write: before the
// write reaches the tenant, or (after) once the tenant applied it but before
// its answer arrives. It then cancels the run's context and refuses every
// further call, as a killed process makes none.
type crashTarget struct {
	*tenant.Client
	cancel context.CancelFunc
	at     int
	after  bool

	mu      sync.Mutex
	writes  int
	crashed bool
}

func (c *crashTarget) dead() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.crashed
}

func (c *crashTarget) write(ctx context.Context, f func(context.Context) error) error {
	c.mu.Lock()
	if c.crashed {
		c.mu.Unlock()
		return errCrashed
	}
	c.writes++
	now := c.writes == c.at
	if now {
		c.crashed = true
	}
	c.mu.Unlock()
	if !now {
		return f(ctx)
	}
	if c.after {
		_ = f(context.WithoutCancel(ctx))
	}
	c.cancel()
	return errCrashed
}

func (c *crashTarget) ListAllConnectors(ctx context.Context, filters string, onTotal func(int)) ([]tenant.Connector, error) {
	if c.dead() {
		return nil, errCrashed
	}
	return c.Client.ListAllConnectors(ctx, filters, onTotal)
}

func (c *crashTarget) GetConnector(ctx context.Context, s string) (tenant.ConnectorDetail, error) {
	if c.dead() {
		return tenant.ConnectorDetail{}, errCrashed
	}
	return c.Client.GetConnector(ctx, s)
}

func (c *crashTarget) CreateConnector(ctx context.Context, n tenant.NewConnector) (out tenant.Connector, err error) {
	err = c.write(ctx, func(ctx context.Context) error {
		out, err = c.Client.CreateConnector(ctx, n)
		return err
	})
	return out, err
}

func (c *crashTarget) PatchConnector(ctx context.Context, s string, ops []tenant.PatchOp) (out tenant.ConnectorDetail, err error) {
	err = c.write(ctx, func(ctx context.Context) error {
		out, err = c.Client.PatchConnector(ctx, s, ops)
		return err
	})
	return out, err
}

func (c *crashTarget) PutPart(ctx context.Context, s string, p tenant.Part, data []byte) (out tenant.UpdateDetail, err error) {
	err = c.write(ctx, func(ctx context.Context) error {
		out, err = c.Client.PutPart(ctx, s, p, data)
		return err
	})
	return out, err
}

func (c *crashTarget) DeleteConnector(ctx context.Context, s string) error {
	return c.write(ctx, func(ctx context.Context) error { return c.Client.DeleteConnector(ctx, s) })
}
