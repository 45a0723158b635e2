package export_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

func TestExportMatchesTenant(t *testing.T) {
	t.Parallel()
	sim, url := newSim(t, tenantsim.Options{Seed: 11, Connectors: 200, MaxLocales: 5})
	d := sim.Dump()
	named := hidden(d)
	if len(named) == 0 {
		t.Fatal("the seeded tenant has no hidden connectors to name")
	}
	c := newClient(t, url)
	path := filepath.Join(t.TempDir(), "b.tar.gz")
	var progress recorder
	res := mustExport(t, c, path, export.Options{ScriptNames: named, Progress: &progress})

	want := scriptNames(d, func(c tenantsim.DumpConnector) bool { return listedCustom(c) || slices.Contains(named, c.ScriptName) })
	checkMatchesTenant(t, path, d, want)
	if !res.Manifest.Complete || len(res.Failed) != 0 {
		t.Errorf("complete = %v, failed = %v; want a complete bundle", res.Manifest.Complete, res.Failed)
	}
	files, size := 0, int64(0)
	for _, e := range res.Manifest.Connectors {
		for _, f := range e.Files {
			files++
			size += f.Size
		}
	}
	if res.Connectors != len(want) || res.Files != files || res.Bytes != size {
		t.Errorf("result counts %d connectors, %d files, %d bytes; manifest has %d, %d, %d",
			res.Connectors, res.Files, res.Bytes, len(want), files, size)
	}
	// SailPoint's connectors are checked (their detail read) and left out:
	// progress counts them too.
	checked := len(want) + len(scriptNames(d, func(c tenantsim.DumpConnector) bool { return c.BuiltIn }))
	if progress.total() != checked || len(progress.done()) != checked {
		t.Errorf("progress: total %d, %d done; want %d", progress.total(), len(progress.done()), checked)
	}
}

func TestExportIsDeterministic(t *testing.T) {
	t.Parallel()
	_, url := newSim(t, tenantsim.Options{Seed: 5, Connectors: 20, MaxLocales: 4})
	dir := t.TempDir()
	opts := export.Options{Concurrency: 3}
	first := mustExport(t, newClient(t, url), filepath.Join(dir, "1.tar.gz"), opts)
	opts.Concurrency = 8 // how it is fetched does not change what is written
	second := mustExport(t, newClient(t, url), filepath.Join(dir, "2.tar.gz"), opts)
	if first.Manifest.ContentDigest != second.Manifest.ContentDigest {
		t.Errorf("content digests differ: %s, %s", first.Manifest.ContentDigest, second.Manifest.ContentDigest)
	}
	if !bytes.Equal(readFile(t, filepath.Join(dir, "1.tar.gz")), readFile(t, filepath.Join(dir, "2.tar.gz"))) {
		t.Error("two exports of an unchanged tenant with the same createdAt are not byte-identical")
	}
}

func TestExportWithFaultsEqualsFaultFree(t *testing.T) {
	t.Parallel() // it mostly waits out a 5 s Retry-After
	sim, url := newSim(t, tenantsim.Options{Seed: 3, Connectors: 20, MaxLocales: 5})
	dir := t.TempDir()
	named := hidden(sim.Dump())
	opts := export.Options{ScriptNames: named, Parts: export.PartsEndpoints} // every part its own GET: enough requests to meet every fault
	mustExport(t, newClient(t, url), filepath.Join(dir, "clean.tar.gz"), opts)

	// About 20×23 requests: one 429 burst (at request 300, Retry-After 5 s),
	// a few revocations, and 5% each of 500s and resets.
	faults, err := tenantsim.ParseFaults("500=0.05,reset=0.05,burst429=300:5s,revoke=130,seed=3")
	if err != nil {
		t.Fatal(err)
	}
	sim.SetFaults(faults)
	c := newClient(t, url)
	res := mustExport(t, c, filepath.Join(dir, "faulty.tar.gz"), opts)
	if len(res.Failed) != 0 {
		t.Fatalf("failed under faults: %v", res.Failed)
	}
	if !bytes.Equal(readFile(t, filepath.Join(dir, "clean.tar.gz")), readFile(t, filepath.Join(dir, "faulty.tar.gz"))) {
		t.Error("the bundle exported under faults differs from the fault-free one")
	}
	st := sim.Stats()
	for _, kind := range []string{"500", "reset", "burst429", "revoke"} {
		if st.Faults[kind] == 0 {
			t.Errorf("no %s fault was injected; the test does not exercise it (faults: %v)", kind, st.Faults)
		}
	}
	if cs := c.Stats(); cs.TokenRenewals == 0 || cs.RateLimited == 0 {
		t.Errorf("client stats %+v: want token renewals and 429s", cs)
	}
}

func TestExportSelection(t *testing.T) {
	t.Parallel()
	sim, url := newSim(t, tenantsim.Options{Seed: 7, Connectors: 40, MaxLocales: 2})
	d := sim.Dump()
	// The first word of a listed custom connector's name, and the start of
	// another's scriptName.
	var prefix, scriptPrefix string
	for _, c := range d.Connectors {
		switch {
		case !listedCustom(c):
		case prefix == "":
			prefix, _, _ = strings.Cut(c.Name, " ")
		case scriptPrefix == "":
			scriptPrefix = c.ScriptName[:4]
		}
	}
	named := hidden(d)[:2]
	tests := []struct {
		name string
		opts export.Options
		want func(tenantsim.DumpConnector) bool
	}{
		{
			name: "custom only by default",
			want: listedCustom,
		},
		{
			name: "builtin",
			opts: export.Options{BuiltIn: true},
			want: func(c tenantsim.DumpConnector) bool { return c.Status == "RELEASED" },
		},
		{
			name: "filter sent to the tenant",
			opts: export.Options{Filter: `name sw "` + prefix + `"`},
			want: func(c tenantsim.DumpConnector) bool {
				return listedCustom(c) && strings.HasPrefix(strings.ToLower(c.Name), strings.ToLower(prefix))
			},
		},
		{
			name: "include and exclude globs",
			opts: export.Options{Include: []string{"*Payroll*", "*HR*", prefix + " *"}, Exclude: []string{"*Payroll*"}},
			want: func(c tenantsim.DumpConnector) bool {
				in := strings.Contains(c.Name, "Payroll") || strings.Contains(c.Name, "HR") || strings.HasPrefix(c.Name, prefix+" ")
				return listedCustom(c) && in && !strings.Contains(c.Name, "Payroll")
			},
		},
		{
			name: "include glob on scriptName",
			opts: export.Options{Include: []string{scriptPrefix + "*"}},
			want: func(c tenantsim.DumpConnector) bool {
				return listedCustom(c) && strings.HasPrefix(c.ScriptName, scriptPrefix)
			},
		},
		{
			name: "named connectors bypass filter and globs, once each",
			opts: export.Options{Filter: `name sw "` + prefix + `"`, Exclude: []string{"*"}, ScriptNames: append(slices.Clone(named), named[0])},
			want: func(c tenantsim.DumpConnector) bool { return slices.Contains(named, c.ScriptName) },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "b.tar.gz")
			opts := tc.opts
			opts.Locales = []string{"detail"}
			mustExport(t, newClient(t, url), path, opts)
			want := scriptNames(d, tc.want)
			if len(want) == 0 {
				t.Fatal("the case selects nothing; it would not test anything")
			}
			checkMatchesTenant(t, path, d, want)
		})
	}
}

func TestExportLocales(t *testing.T) {
	t.Parallel()
	sim, url := newSim(t, tenantsim.Options{Seed: 9, Connectors: 15, MaxLocales: 6})
	d := sim.Dump()
	dir := t.TempDir()

	// Each connector costs 1 + 3 + len(locales) GETs, after one list page;
	// each of SailPoint's, one GET of its detail (see sailPointOwned).
	n, present, builtins := 0, 0, 0
	for _, c := range d.Connectors {
		if listedCustom(c) {
			n++
			present += len(c.Translations)
		}
		if c.BuiltIn {
			builtins++
		}
	}
	allRes := mustExport(t, newClient(t, url), filepath.Join(dir, "all.tar.gz"), export.Options{Parts: export.PartsEndpoints})
	if got, want := sim.Stats().Total, 1+builtins+n*(4+len(tenant.Locales())); got != want {
		t.Errorf("--locales all sent %d API requests, want %d", got, want)
	}
	sim.ResetStats()
	detailRes := mustExport(t, newClient(t, url), filepath.Join(dir, "detail.tar.gz"), export.Options{Locales: []string{"detail"}, Parts: export.PartsEndpoints})
	if got, want := sim.Stats().Total, 1+builtins+n*4+present; got != want {
		t.Errorf("--locales detail sent %d API requests, want %d", got, want)
	}
	if allRes.Manifest.ContentDigest != detailRes.Manifest.ContentDigest {
		t.Errorf("--locales detail exported other content than --locales all")
	}
	// --parts auto (the default): one detail GET per connector, and every
	// endpoint of the sample besides.
	sim.ResetStats()
	autoRes := mustExport(t, newClient(t, url), filepath.Join(dir, "auto.tar.gz"), export.Options{})
	sample := len(autoRes.Reads.Sample)
	if got, want := sim.Stats().Total, 1+builtins+n+sample*(3+len(tenant.Locales())); got != want || sample == 0 {
		t.Errorf("--parts auto sent %d API requests with a sample of %d, want %d", got, sample, want)
	}
	if autoRes.Manifest.ContentDigest != allRes.Manifest.ContentDigest {
		t.Errorf("--parts auto exported other content than --parts endpoints")
	}

	path := filepath.Join(dir, "en-de.tar.gz")
	res := mustExport(t, newClient(t, url), path, export.Options{Locales: []string{"en", "de", "en"}})
	got := map[string][]string{}
	for _, e := range res.Manifest.Connectors {
		for _, f := range e.Files {
			if f.Kind == bundle.KindTranslations {
				got[e.ScriptName] = append(got[e.ScriptName], f.Locale)
			}
		}
	}
	for _, c := range d.Connectors {
		if !listedCustom(c) {
			continue
		}
		var want []string
		for _, l := range []string{"de", "en"} {
			if _, ok := c.Translations[l]; ok {
				want = append(want, l)
			}
		}
		if g := got[c.ScriptName]; !slices.Equal(g, want) {
			t.Errorf("%s: locales %q, want %q", c.ScriptName, g, want)
		}
	}
}

func TestExportUnknownScriptNameIsRecorded(t *testing.T) {
	t.Parallel()
	sim, url := newSim(t, tenantsim.Options{Seed: 2, Connectors: 10, MaxLocales: 1})
	d := sim.Dump()
	path := filepath.Join(t.TempDir(), "b.tar.gz")
	res := mustExport(t, newClient(t, url), path, export.Options{ScriptNames: []string{"no-such-connector"}})

	if res.Manifest.Complete {
		t.Error("the bundle is complete although a named connector does not exist")
	}
	if len(res.Failed) != 1 || res.Failed[0].ScriptName != "no-such-connector" || res.Failed[0].Part != "" ||
		!strings.HasPrefix(res.Failed[0].Error, "not found") {
		t.Fatalf("failed = %+v, want one \"not found\" for no-such-connector", res.Failed)
	}
	if !slices.Equal(res.Manifest.Errors, res.Failed) {
		t.Errorf("manifest errors %+v, want %+v", res.Manifest.Errors, res.Failed)
	}
	checkMatchesTenant(t, path, d, scriptNames(d, listedCustom))
}

func TestExportFailFastLeavesNothing(t *testing.T) {
	t.Parallel()
	_, url := newSim(t, tenantsim.Options{Seed: 2, Connectors: 10, MaxLocales: 1})
	dir := t.TempDir()
	_, err := runExport(t, t.Context(), newClient(t, url), filepath.Join(dir, "b.tar.gz"),
		export.Options{ScriptNames: []string{"no-such-connector"}, FailFast: true})
	if !tenant.IsNotFound(err) {
		t.Fatalf("err = %v, want the not-found of the unknown connector", err)
	}
	checkEmpty(t, dir)
}

func TestExportCancelLeavesNothing(t *testing.T) {
	t.Parallel()
	_, url := newSim(t, tenantsim.Options{Seed: 4, Connectors: 40, MaxLocales: 2})
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	p := &recorder{onDone: func(n int) {
		if n == 3 {
			cancel()
		}
	}}
	res, err := runExport(t, ctx, newClient(t, url), filepath.Join(dir, "b.tar.gz"),
		export.Options{Concurrency: 2, Progress: p})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if res.Connectors >= p.total() {
		t.Errorf("exported %d of %d connectors after the cancel; want the run to stop early", res.Connectors, p.total())
	}
	if len(res.Failed) != 0 {
		t.Errorf("cancellation recorded as connector failures: %v", res.Failed)
	}
	checkEmpty(t, dir)
}

func TestExportRefusesInvalidOptions(t *testing.T) {
	t.Parallel()
	sim, url := newSim(t, tenantsim.Options{Seed: 1, Connectors: 3})
	tests := []struct {
		name string
		opts export.Options
	}{
		{"unknown locale", export.Options{Locales: []string{"en", "xx"}}},
		{"detail with other locales", export.Options{Locales: []string{"detail", "en"}}},
		{"bad include glob", export.Options{Include: []string{"[abc"}}},
		{"bad exclude glob", export.Options{Exclude: []string{`abc\`}}},
		{"negative concurrency", export.Options{Concurrency: -1}},
		{"empty script name", export.Options{ScriptNames: []string{""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := runExport(t, t.Context(), newClient(t, url), filepath.Join(dir, "b.tar.gz"), tc.opts); err == nil {
				t.Fatal("export succeeded, want an error")
			}
			checkEmpty(t, dir)
		})
	}
	if n := sim.Stats().Total; n != 0 {
		t.Errorf("the tenant got %d API requests; invalid options must be refused before any", n)
	}
}

func TestOptionsJSON(t *testing.T) {
	tests := []struct {
		name string
		opts export.Options
		want string
	}{
		{
			name: "defaults record all locales",
			opts: export.Options{Concurrency: 3, FailFast: true},
			want: `{"locales":["de","no","fi","sv","ru","pt","ko","zh-TW","en","it","fr","zh-CN","hu","es","cs","ja","pl","da","nl"],"builtIn":false}`,
		},
		{
			name: "everything that decides content",
			opts: export.Options{Filter: `name sw "A"`, Include: []string{"A*"}, Exclude: []string{"*2"}, ScriptNames: []string{"x-1"}, Locales: []string{"en", "de"}, BuiltIn: true},
			want: `{"filter":"name sw \"A\"","include":["A*"],"exclude":["*2"],"scriptNames":["x-1"],"locales":["en","de"],"builtIn":true}`,
		},
		{
			name: "detail",
			opts: export.Options{Locales: []string{"detail"}},
			want: `{"locales":["detail"],"builtIn":false}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(export.OptionsJSON(tc.opts)); got != tc.want {
				t.Errorf("OptionsJSON = %s\nwant %s", got, tc.want)
			}
		})
	}
}
