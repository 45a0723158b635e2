package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
	"github.com/connvault/connvault/transform"
)

// prepare does what the CLI does before planning: open and verify the
// bundle, then apply the transform rules.
func prepare(ctx context.Context, path, rules string) (Source, error) {
	b, err := bundle.Open(ctx, path, bundle.ReadOptions{})
	if err != nil {
		return Source{}, err
	}
	defer b.Close()
	cs, err := b.LoadAll()
	if err != nil {
		return Source{}, err
	}
	if rules != "" {
		r, err := transform.ParseRules("rules.yaml", []byte(rules))
		if err != nil {
			return Source{}, err
		}
		if cs, err = r.Apply(cs, transform.MapLookup(nil)); err != nil {
			return Source{}, err
		}
	}
	return Source{Manifest: b.Manifest, Path: path, Connectors: cs}, nil
}

// Bad input is refused with a clear error before anything is written.
func TestBadInputIsRefusedBeforeAnyWrite(t *testing.T) {
	t.Parallel()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
	d := sandbox.sim.Dump()
	for i, c := range d.Connectors {
		if c.Name == "Bogotá Nómina" {
			d.Connectors[i].CorrelationConfigXml = strings.Replace(c.CorrelationConfigXml, "<CorrelationConfig ", `<CorrelationConfig host="${TARGET_HOST}" `, 1)
		}
	}
	if err := sandbox.sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	cs := bundleFromDump(t, sandbox.sim.Dump())
	dir := t.TempDir()
	write := func(name string, cs []bundle.Connector, errs []bundle.ItemError) string {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			p += "/" // the directory form
		}
		if _, err := bundle.WriteAll(t.Context(), p, bundle.WriterOptions{CreatedAt: fixedNow(), Source: bundle.Source{URL: sandbox.url}}, cs, errs); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.tar.gz", cs, nil)
	tampered := write("tampered/", cs, nil)
	files, _ := filepath.Glob(filepath.Join(tampered, "connectors", "*", "source-template.xml"))
	if len(files) == 0 {
		t.Fatal("fixture: no file to tamper with")
	}
	if err := os.WriteFile(files[0], []byte("<Application name=\"evil\"/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	incomplete := write("incomplete.tar.gz", cs[1:], []bundle.ItemError{{ScriptName: cs[0].ScriptName, Name: cs[0].Name, Error: "500 after 8 attempts"}})
	dupNames := append([]bundle.Connector(nil), cs...)
	dupNames[1] = withName(t, dupNames[1], dupNames[0].Name)
	duplicate := write("duplicate.tar.gz", dupNames, nil)
	srcGood, err := prepare(t.Context(), good, "")
	if err != nil {
		t.Fatal(err)
	}
	var paulo, bogota string
	for _, c := range srcGood.Connectors {
		switch c.Name {
		case "São Paulo Payroll":
			paulo = c.ScriptName
		case "Bogotá Nómina":
			bogota = c.ScriptName
		}
	}
	prodPaulo, _ := byName(prod.sim.Dump(), "São Paulo Payroll")
	const values = "version: 2\nreplace:\n  - from: \"${TARGET_HOST}\"\n    to: \"idn.example.com\"\n"

	tests := []struct {
		name    string
		path    string
		rules   string
		mapping map[string]string
		is      error
		want    string
	}{
		{"tampered bundle", tampered, values, nil, bundle.ErrInvalid, "source-template.xml"},
		{"incomplete bundle", incomplete, values, nil, ErrIncomplete, "--allow-incomplete"},
		{"unknown rules version", good, "version: 3\n", nil, nil, "unsupported version 3"},
		{"unresolved placeholder", good, "version: 2\nplaceholders: true\n", nil, nil, "TARGET_HOST"},
		{"mapping names a missing connector", good, values, map[string]string{bogota: "no-such-connector"}, ErrMapping, `"no-such-connector"`},
		{"duplicate names in the bundle", duplicate, values, nil, ErrConflictingNames, "have the same name"},
		{"renamed onto another connector's name", good,
			"version: 2\nrename:\n  \"Bogotá Nómina\": \"São Paulo Payroll\"\nreplace:\n  - from: \"${TARGET_HOST}\"\n    to: \"x\"\n", nil, nil, "São Paulo Payroll"},
		{"two connectors match one target connector", good, values, map[string]string{bogota: prodPaulo.ScriptName}, ErrConflictingNames, paulo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prod.sim.ResetStats()
			opts := testOptions(t)
			opts.Mapping = tt.mapping
			src, err := prepare(t.Context(), tt.path, tt.rules)
			if err == nil {
				_, err = importOnce(t.Context(), t, prod.client(t), src, opts)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("err = %v; want one naming %q (is %v)", err, tt.want, tt.is)
			}
			if w := prod.sim.Stats().Writes; w != 0 {
				t.Errorf("%d writes before refusing", w)
			}
		})
	}

	t.Run("incomplete bundle allowed", func(t *testing.T) {
		src, err := prepare(t.Context(), incomplete, values)
		if err != nil {
			t.Fatal(err)
		}
		opts := testOptions(t)
		opts.AllowIncomplete = true
		opts.Mapping = unlistedSameName(src, prod.sim.Dump())
		if _, err := MakePlan(t.Context(), prod.client(t), src, opts); err != nil {
			t.Fatal(err)
		}
	})
}

func TestConflicts(t *testing.T) {
	t.Parallel()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
	d := prod.sim.Dump()
	var conflicted string
	for i, c := range d.Connectors {
		if c.Name == "São Paulo Payroll" {
			d.Connectors[i].ClassName = "com.example.OtherConnector"
			conflicted = c.ScriptName
		}
	}
	if err := prod.sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	before := prod.sim.Dump()
	src := exportSource(t, sandbox)
	opts := testOptions(t)
	opts.Mapping = unlistedSameName(src, before)
	c := prod.client(t)
	p, err := MakePlan(t.Context(), c, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	p.WriteTable(&table)
	if !strings.Contains(table.String(), "! conflict  São Paulo Payroll [") || !strings.Contains(table.String(), "className differs") ||
		!strings.Contains(table.String(), ", 1 conflict.") {
		t.Errorf("table does not show the conflict:\n%s", table.String())
	}
	if _, err := Apply(t.Context(), c, src, p, opts); !errors.Is(err, ErrConflicts) || !strings.Contains(err.Error(), "São Paulo Payroll") {
		t.Fatalf("Apply of a plan with conflicts: err = %v", err)
	}
	if w := prod.sim.Stats().Writes; w != 0 {
		t.Fatalf("%d writes", w)
	}
	opts.SkipConflicts = true
	p, err = MakePlan(t.Context(), c, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Apply(t.Context(), c, src, p, opts)
	if err != nil || res.Failed() != 0 {
		t.Fatalf("Apply with SkipConflicts: %v, %+v", err, failures(res))
	}
	after := prod.sim.Dump()
	b, _ := byName(before, "São Paulo Payroll")
	a, _ := byName(after, "São Paulo Payroll")
	if !reflect.DeepEqual(a, b) || a.ScriptName != conflicted {
		t.Error("the conflicting connector was changed")
	}
	for _, it := range res.Items {
		if it.Name == "São Paulo Payroll" && it.Status != StatusSkipped {
			t.Errorf("conflict item status %s, want skipped", it.Status)
		}
	}
}

// TestPlanNotesUnwritableFields: a restore into a tenant where fields no
// API operation writes (fileUpload, sourceConfigFrom) differ from the
// backup must not call the connector simply "unchanged": each such field is
// noted, with both values, on plan and result; the connector is not written.
func TestPlanNotesUnwritableFields(t *testing.T) {
	t.Parallel()
	f := newTenant(t, tenantsim.Options{Seed: 23, Connectors: 10, TenantName: "dr"})
	backup := exportSource(t, f)
	d := f.sim.Dump()
	var flipped, from string
	var was bool
	for i, c := range d.Connectors {
		switch {
		case c.BuiltIn:
		case flipped == "":
			d.Connectors[i].FileUpload = !c.FileUpload
			flipped, was = c.Name, c.FileUpload
		case from == "" && c.SourceConfigFrom == "":
			d.Connectors[i].SourceConfigFrom = "sp-connect"
			from = c.Name
		}
	}
	if err := f.sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	p, err := MakePlan(t.Context(), f.client(t), backup, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		flipped: fmt.Sprintf("fileUpload is %t in the bundle, %t in the target: the API cannot change it", was, !was),
		from:    `in the bundle, "sp-connect" in the target: the API cannot change it`, // null or absent in the bundle
	}
	for _, it := range p.Items {
		w, ok := want[it.Name]
		if !ok {
			continue
		}
		if it.Action != ActionUnchanged || !slices.ContainsFunc(it.Notes, func(n string) bool { return strings.HasSuffix(n, w) }) {
			t.Errorf("%s: %s with notes %q; want unchanged with the note %q", it.Name, it.Action, it.Notes, w)
		}
		delete(want, it.Name)
	}
	if len(want) > 0 {
		t.Errorf("not in the plan: %v", want)
	}
}

func TestAllowDeleteNeverDeletesBuiltIns(t *testing.T) {
	t.Parallel()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
	src := exportSource(t, sandbox)
	before := prod.sim.Dump()
	opts := testOptions(t)
	opts.Mapping = unlistedSameName(src, before)
	opts.AllowDelete = true
	p, err := MakePlan(t.Context(), prod.client(t), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	p.WriteTable(&table)
	if !strings.Contains(table.String(), "- delete  ") || strings.Contains(table.String(), "only in the target, kept") {
		t.Errorf("table:\n%s", table.String())
	}
	res, err := Apply(t.Context(), prod.client(t), src, p, opts)
	if err != nil || res.Failed() > 0 {
		t.Fatalf("apply: %v %+v", err, failures(res))
	}
	after := prod.sim.Dump()
	inBundle := map[string]bool{}
	for _, c := range src.Connectors {
		inBundle[strings.ToLower(c.Name)] = true
	}
	deleted := 0
	for _, c := range before.Connectors {
		_, kept := byName(after, c.Name)
		switch {
		case c.BuiltIn && !kept:
			t.Errorf("built-in %q deleted", c.Name)
		case !c.BuiltIn && c.Status == "RELEASED" && !inBundle[strings.ToLower(c.Name)]:
			if kept {
				t.Errorf("%q, only in the target, not deleted", c.Name)
			}
			deleted++
		case !kept:
			t.Errorf("%q deleted", c.Name)
		}
	}
	n := 0
	for _, it := range res.Items {
		if it.Action == ActionDelete {
			n++
		}
	}
	if n != deleted || n == 0 {
		t.Errorf("%d delete items, %d deleted", n, deleted)
	}
}

// A saved plan is refused once the target drifted, naming what changed.
func TestSavedPlanDrift(t *testing.T) {
	t.Parallel()
	sandbox := newTenant(t, sandboxOpts())
	src := exportSource(t, sandbox)
	tests := []struct {
		name  string
		drift func(t *testing.T, c *tenant.Client, scriptOf func(string) string)
		of    string // the connector whose scriptName %s in want stands for
		want  string
		// samePlan: a fresh plan still does what the saved one does
		// (CheckDrift alone notices the drift).
		samePlan bool
	}{
		{"none", func(*testing.T, *tenant.Client, func(string) string) {}, "", "", true},
		{"part changed", func(t *testing.T, c *tenant.Client, scriptOf func(string) string) {
			if _, err := c.PutPart(t.Context(), scriptOf("São Paulo Payroll"), tenant.Part{Kind: tenant.SourceConfig}, []byte("<Form name=\"x\"/>")); err != nil {
				t.Fatal(err)
			}
		}, "São Paulo Payroll", `"São Paulo Payroll" (%s): source-config changed`, true},
		{"locale added", func(t *testing.T, c *tenant.Client, scriptOf func(string) string) {
			if _, err := c.PutPart(t.Context(), scriptOf("Zürich HR Feed"), tenant.Part{Kind: tenant.Translations, Locale: "fi"}, []byte("a=b\n")); err != nil {
				t.Fatal(err)
			}
		}, "Zürich HR Feed", `"Zürich HR Feed" (%s): translations/fi added`, true},
		{"deleted", func(t *testing.T, c *tenant.Client, scriptOf func(string) string) {
			if err := c.DeleteConnector(t.Context(), scriptOf("Łódź Kadry i Płace")); err != nil {
				t.Fatal(err)
			}
		}, "Łódź Kadry i Płace", `"Łódź Kadry i Płace" (%s): deleted`, false},
		{"created under a planned name", func(t *testing.T, c *tenant.Client, _ func(string) string) {
			if _, err := c.CreateConnector(t.Context(), tenant.NewConnector{Name: "Bogotá Nómina", ClassName: "x", Status: tenant.StatusReleased}); err != nil {
				t.Fatal(err)
			}
		}, "", `"Bogotá Nómina" (`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prod := newTenant(t, productionOpts())
			opts := testOptions(t)
			opts.Mapping = unlistedSameName(src, prod.sim.Dump())
			c := prod.client(t)
			p, err := MakePlan(t.Context(), c, src, opts)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "plan.json")
			if err := SavePlan(path, p); err != nil {
				t.Fatal(err)
			}
			scriptOf := func(name string) string {
				dc, _ := byName(prod.sim.Dump(), name)
				return dc.ScriptName
			}
			want := tt.want
			if tt.of != "" {
				want = fmt.Sprintf(want, scriptOf(tt.of))
			}
			tt.drift(t, c, scriptOf)
			loaded, err := LoadPlan(path)
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := MakePlan(t.Context(), c, src, opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := SamePlan(loaded, fresh); (err == nil) != tt.samePlan || (err != nil && !errors.Is(err, ErrDrift)) {
				t.Errorf("SamePlan: %v, want same: %t", err, tt.samePlan)
			}
			prod.sim.ResetStats()
			checkErr := CheckDrift(t.Context(), c, loaded)
			res, err := Apply(t.Context(), c, src, loaded, opts)
			if want == "" {
				if checkErr != nil || err != nil || res.Failed() != 0 {
					t.Fatalf("no drift, yet: CheckDrift %v, Apply %v %+v", checkErr, err, failures(res))
				}
				checkMigrated(t, src, prod.sim.Dump(), res.MappingPath)
				return
			}
			var de *DriftError
			if !errors.As(err, &de) || !errors.Is(err, ErrDrift) || !strings.Contains(err.Error(), want) {
				t.Fatalf("Apply: err = %v, want a drift error naming %q", err, want)
			}
			if checkErr == nil || checkErr.Error() != err.Error() {
				t.Errorf("CheckDrift: %v", checkErr)
			}
			if w := prod.sim.Stats().Writes; w != 0 {
				t.Errorf("%d writes despite drift", w)
			}
		})
	}
}

func TestPlanFile(t *testing.T) {
	t.Parallel()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
	src := exportSource(t, sandbox)
	opts := testOptions(t)
	opts.Mapping = unlistedSameName(src, prod.sim.Dump())
	p, err := MakePlan(t.Context(), prod.client(t), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.json")
	if err := SavePlan(path, p); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("plan file mode: %v %v", st.Mode(), err)
	}
	got, err := LoadPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	p.details, p.srcs = nil, nil // not saved: what was read, for Apply in the same run
	if !reflect.DeepEqual(got, p) {
		t.Errorf("round trip changed the plan")
	}
	var a, b bytes.Buffer
	p.WriteTable(&a)
	got.WriteTable(&b)
	if a.String() != b.String() {
		t.Error("a loaded plan prints differently")
	}

	bad := []struct{ name, body, want string }{
		{"newer version", `{"format":"connvault-plan","formatVersion":2}`, "newer than this connvault reads (1)"},
		{"not a plan", `{"format":"connvault-bundle","formatVersion":1}`, "not a connvault plan"},
		{"not JSON", `plan`, "decode"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".json")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadPlan(path); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLoadMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       map[string]string
		wantErr    string
	}{
		{"written by import", `{"formatVersion":1,"target":"x","entries":[{"sourceScriptName":"a","targetScriptName":"b","name":"A"}]}`,
			map[string]string{"a": "b"}, ""},
		{"by hand", `{"a":"b","c":"d"}`, map[string]string{"a": "b", "c": "d"}, ""},
		{"newer version", `{"formatVersion":9,"entries":[]}`, nil, "newer than this connvault reads"},
		{"mapped twice", `{"formatVersion":1,"entries":[{"sourceScriptName":"a","targetScriptName":"b"},{"sourceScriptName":"a","targetScriptName":"c"}]}`,
			nil, `"a" is mapped twice`},
		{"empty target", `{"a":""}`, nil, `entry "a"`},
		{"unknown field", `{"formatVersion":1,"entries":[],"extra":1}`, nil, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "map.json")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := LoadMapping(path)
			if err == nil {
				m, err := LoadMappingFile(path)
				if err != nil || len(m.Entries) != len(got) {
					t.Fatalf("LoadMappingFile: %+v, %v", m, err)
				}
				if strings.Contains(tt.body, `"name":"A"`) && m.Entries[0].Name != "A" {
					t.Errorf("LoadMappingFile lost the name: %+v", m.Entries)
				}
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestValidateMapping(t *testing.T) {
	t.Parallel()
	prod := newTenant(t, productionOpts())
	dc, _ := byName(prod.sim.Dump(), "Münchner Personalsystem")
	c := prod.client(t)
	if err := ValidateMapping(t.Context(), c, map[string]string{"src-a": dc.ScriptName}); err != nil {
		t.Errorf("valid mapping (an unlisted connector): %v", err)
	}
	err := ValidateMapping(t.Context(), c, map[string]string{"src-a": dc.ScriptName, "src-b": "gone-1", "src-c": "gone-2"})
	if !errors.Is(err, ErrMapping) || !strings.Contains(err.Error(), `"src-b" → "gone-1"`) || !strings.Contains(err.Error(), `"src-c" → "gone-2"`) {
		t.Errorf("err = %v, want both missing targets named", err)
	}
}
