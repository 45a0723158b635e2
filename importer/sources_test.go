package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// withSources turns source discovery on (testOptions turns it off).
func withSources(o Options) Options {
	o.NoSources = false
	return o
}

// sourcesOf returns the dump's sources naming scriptName, as the importer
// reports them (sorted by name).
func sourcesOf(d tenantsim.Dump, scriptName string) []SourceRef {
	var out []SourceRef
	for _, s := range d.Sources {
		if s.Connector == scriptName {
			out = append(out, SourceRef{ID: s.ID, Name: s.Name, UploadedFiles: s.UploadedFiles})
		}
	}
	slices.SortFunc(out, func(a, b SourceRef) int { return strings.Compare(a.Name+"\x00"+a.ID, b.Name+"\x00"+b.ID) })
	return out
}

// TestHiddenConnectorMatchedThroughSources: production (seed 22) holds
// "Genève Annuaire" as DEVELOPMENT, which the list hides. Without discovery
// the import asks for a mapping entry; with it, one run converges, the
// connector matched by source.
func TestHiddenConnectorMatchedThroughSources(t *testing.T) {
	t.Parallel()
	sandbox := newTenant(t, tenantsim.Options{Seed: 21, Connectors: 40})
	prod := newTenant(t, tenantsim.Options{Seed: 22, Connectors: 12})
	src := exportSource(t, sandbox)
	hidden := unlistedSameName(src, prod.sim.Dump())
	if len(hidden) == 0 {
		t.Fatal("fixture: production should hold a hidden connector named like a sandbox one")
	}

	base := testOptions(t) // one state dir: the second import knows what the first created
	off, err := importOnce(t.Context(), t, prod.client(t), src, base)
	if err != nil {
		t.Fatal(err)
	}
	if fs := failures(off); len(fs) != len(hidden) || !strings.Contains(fs[0].Error, "mapping file") {
		t.Fatalf("without discovery: want %d failures asking for a mapping, got %+v", len(hidden), fs)
	}

	opts := withSources(base)
	p, err := MakePlan(t.Context(), prod.client(t), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !p.SourcesRead || p.SourcesNote != "" {
		t.Errorf("sources read %v, note %q", p.SourcesRead, p.SourcesNote)
	}
	for s, target := range hidden {
		i := slices.IndexFunc(p.Items, func(it Item) bool { return it.SourceScriptName == s })
		if it := p.Items[i]; it.TargetScriptName != target || it.MatchedBy != MatchedBySource {
			t.Errorf("%q planned %s → %q by %q, want %q by source", it.Name, it.Action, it.TargetScriptName, it.MatchedBy, target)
		}
	}
	runs := converge(t, prod, src, opts)
	if len(runs) != 1 {
		t.Errorf("converged after %d runs, want 1 (no mapping); first run's failures: %+v", len(runs), failures(runs[0]))
	}
	checkMigrated(t, src, prod.sim.Dump(), runs[0].MappingPath)
}

// TestSourcesForbiddenCarryOn: a token without the source scope gets one note
// and the import works as without discovery.
func TestSourcesForbiddenCarryOn(t *testing.T) {
	t.Parallel()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
	prod.sim.SetScopes("idn:connector-config:manage")
	src := exportSource(t, sandbox)
	opts := withSources(testOptions(t))
	opts.Mapping = unlistedSameName(src, prod.sim.Dump())
	p, err := MakePlan(t.Context(), prod.client(t), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	p.WriteTable(&table)
	if p.SourcesRead || strings.Count(table.String(), "sources not read: the token lacks idn:sources:read (403") != 1 {
		t.Errorf("want the 403 said once:\n%s", table.String())
	}
	res, err := Apply(t.Context(), prod.client(t), src, p, opts)
	if err != nil || res.Failed() > 0 {
		t.Fatalf("apply: %v %+v", err, failures(res))
	}
	var out bytes.Buffer
	res.WriteTable(&out)
	if strings.Count(out.String(), "sources not read: the token lacks idn:sources:read (403") != 1 {
		t.Errorf("the result does not say once what could not be seen:\n%s", out.String())
	}
}

// TestDeleteInUseIsRefused: --allow-delete keeps a target-only connector that
// sources use, naming them; --force-delete-in-use deletes it; a saved plan
// is re-checked against the sources when applied.
func TestDeleteInUseIsRefused(t *testing.T) {
	t.Parallel()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
	src := exportSource(t, sandbox)
	before := prod.sim.Dump()
	opts := withSources(testOptions(t))
	opts.AllowDelete, opts.MaxDeletes = true, 100
	opts.Mapping = unlistedSameName(src, before)
	p, err := MakePlan(t.Context(), prod.client(t), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	p.WriteTable(&table)
	inUse, free := 0, 0
	for _, it := range p.Items {
		if it.SourceScriptName != "" {
			if want := sourcesOf(before, it.TargetScriptName); it.TargetScriptName != "" && !slices.EqualFunc(it.Sources, want, sameRef) {
				t.Errorf("%q: sources %+v, want %+v", it.Name, it.Sources, want)
			}
			continue
		}
		want := sourcesOf(before, it.TargetScriptName)
		switch {
		case len(want) > 0:
			inUse++
			if it.Action != ActionKeep || !slices.EqualFunc(it.Sources, want, sameRef) {
				t.Errorf("%q used by %d sources: planned %s with sources %+v", it.Name, len(want), it.Action, it.Sources)
			}
			for _, s := range want {
				if !strings.Contains(table.String(), `"`+s.Name+`" (`+s.ID+`)`) {
					t.Errorf("the table does not name source %q of %q:\n%s", s.Name, it.Name, table.String())
				}
			}
		default:
			free++
			if it.Action != ActionDelete {
				t.Errorf("%q used by no source: planned %s", it.Name, it.Action)
			}
		}
	}
	if inUse == 0 {
		t.Fatal("fixture: no target-only connector in use")
	}
	j, _ := json.Marshal(p)
	if !bytes.Contains(j, []byte(`"sources":[{"id":`)) {
		t.Error("plan --json does not name the sources")
	}
	res, err := Apply(t.Context(), prod.client(t), src, p, opts)
	if err != nil || res.Failed() > 0 {
		t.Fatalf("apply: %v %+v", err, failures(res))
	}
	after := prod.sim.Dump()
	for _, it := range p.Items {
		_, kept := byName(after, it.Name)
		if it.SourceScriptName == "" && kept != (len(sourcesOf(before, it.TargetScriptName)) > 0) {
			t.Errorf("%q (in use: %d sources) kept: %v", it.Name, len(sourcesOf(before, it.TargetScriptName)), kept)
		}
	}

	// Forced, the in-use ones go too.
	forced := opts
	forced.ForceDeleteInUse = true
	p2, err := MakePlan(t.Context(), prod.client(t), src, forced)
	if err != nil {
		t.Fatal(err)
	}
	if n := p2.Count(ActionDelete); n != inUse {
		t.Errorf("forced: %d deletions, want %d", n, inUse)
	}
	// A saved plan made with force is refused when applied without it.
	if _, err := Apply(t.Context(), prod.client(t), src, savedCopy(t, p2), opts); !errors.Is(err, ErrInUse) {
		t.Errorf("saved plan deleting in-use connectors applied without --force-delete-in-use: %v", err)
	}
	if w := prod.sim.Dump(); len(diffDumps(after, w)) != 0 {
		t.Errorf("the refused apply changed the tenant: %v", diffDumps(after, w))
	}
}

func sameRef(a, b SourceRef) bool {
	return a.ID == b.ID && a.Name == b.Name && slices.Equal(a.UploadedFiles, b.UploadedFiles)
}

// savedCopy is p as SavePlan and LoadPlan give it back.
func savedCopy(t *testing.T, p *Plan) *Plan {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var out Plan
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// TestRollbackKeepsCreatedConnectorsInUse: a connector the import created and
// a source uses since is not deleted by rollback, unless forced.
func TestRollbackKeepsCreatedConnectorsInUse(t *testing.T) {
	t.Parallel()
	sandbox, prod := newTenant(t, sandboxOpts()), newTenant(t, productionOpts())
	src := exportSource(t, sandbox)
	opts := withSources(testOptions(t))
	opts.Mapping = unlistedSameName(src, prod.sim.Dump())
	res := mustImport(t, prod.client(t), src, opts)
	i := slices.IndexFunc(res.Items, func(it ItemResult) bool { return it.Action == ActionCreate })
	created := res.Items[i]
	d := prod.sim.Dump()
	d.Sources = append(d.Sources, tenantsim.DumpSource{ID: "0123456789abcdef0123456789abcdef", Name: "New Feed",
		Connector: created.TargetScriptName, ConnectorClass: "x"})
	if err := prod.sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	rb, err := Rollback(t.Context(), prod.client(t), res.UndoPath, opts)
	if err != nil {
		t.Fatal(err)
	}
	j := slices.IndexFunc(rb.Items, func(it ItemResult) bool { return it.Name == created.Name })
	if it := rb.Items[j]; it.Status != StatusPartial || len(it.Sources) != 1 ||
		!strings.Contains(strings.Join(it.Notes, " "), `not deleted: in use by 1 source: "New Feed" (0123456789abcdef0123456789abcdef); --force-delete-in-use`) {
		t.Errorf("rollback of a created connector in use: %+v", it)
	}
	if _, ok := byName(prod.sim.Dump(), created.Name); !ok {
		t.Fatal("rollback deleted a connector a source uses")
	}
	opts.ForceDeleteInUse = true
	if _, err := Rollback(t.Context(), prod.client(t), res.UndoPath, opts); err != nil {
		t.Fatal(err)
	}
	if _, ok := byName(prod.sim.Dump(), created.Name); ok {
		t.Error("forced rollback kept the created connector")
	}
}

// drFixture is a tenant of 10 connectors, its backup and state, and the
// victim of a disaster-recovery test: a released connector that sources use,
// with a space in its name.
func drFixture(t *testing.T) (tenantFixture, Source, tenantsim.Dump, tenantsim.DumpConnector) {
	t.Helper()
	f := newTenant(t, tenantsim.Options{Seed: 23, Connectors: 10, TenantName: "dr"})
	backup := exportSource(t, f)
	before := f.sim.Dump()
	for _, c := range before.Connectors {
		if !c.BuiltIn && c.Status == "RELEASED" && strings.Contains(c.Name, " ") && len(sourcesOf(before, c.ScriptName)) > 0 {
			return f, backup, before, c
		}
	}
	t.Fatal("fixture: no released connector in use")
	return f, backup, before, tenantsim.DumpConnector{}
}

// TestRestoreAfterSlugTakenTellsEverything is the disaster-recovery case: a
// used connector is deleted, another connector takes its scriptName, and a
// restore from the backup recreates the connector under a new one. The user
// is told the change, the sources left behind, and who holds the old name.
func TestRestoreAfterSlugTakenTellsEverything(t *testing.T) {
	t.Parallel()
	f, backup, before, victim := drFixture(t)
	stale := sourcesOf(before, victim.ScriptName)
	c := f.client(t)
	ctx := context.Background()
	if err := c.DeleteConnector(ctx, victim.ScriptName); err != nil {
		t.Fatal(err)
	}
	impostor := strings.Replace(victim.Name, " ", "-", 1) // the same slug, another name
	got, err := c.CreateConnector(ctx, tenant.NewConnector{Name: impostor, ClassName: victim.ClassName, Status: tenant.StatusReleased})
	if err != nil {
		t.Fatal(err)
	}
	if got.ScriptName != victim.ScriptName {
		t.Fatalf("fixture: %q got %q, want the freed %q", impostor, got.ScriptName, victim.ScriptName)
	}

	opts := withSources(testOptions(t))
	names := make([]string, len(stale))
	for k, s := range stale {
		names[k] = `"` + s.Name + `" (` + s.ID + `)`
	}
	staleLine := fmt.Sprintf("! %d %s still %s %s and cannot be re-pointed (ISC refuses to change a source's connector): %s",
		len(stale), plural(len(stale), "source", "sources"), plural(len(stale), "names", "name"), victim.ScriptName, strings.Join(names, ", "))
	heldLine := "! " + victim.ScriptName + ` now belongs to another connector, "` + impostor + `": the sources naming ` + victim.ScriptName + " use that connector now"

	// The plan tells it before anything is written.
	p, err := MakePlan(ctx, c, backup, opts)
	if err != nil {
		t.Fatal(err)
	}
	var planOut bytes.Buffer
	p.WriteTable(&planOut)
	plan := strings.Join(strings.Fields(planOut.String()), " ")
	for _, want := range []string{"+ create " + victim.Name, "! the new connector gets a new scriptName, not " + victim.ScriptName + ":", staleLine, heldLine} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan lacks\n%s\n---\n%s", want, planOut.String())
		}
	}

	res := mustImport(t, c, backup, opts)
	i := slices.IndexFunc(res.Items, func(it ItemResult) bool { return it.Name == victim.Name })
	it := res.Items[i]
	ch := it.ScriptNameChange
	if it.Action != ActionCreate || ch == nil || ch.From != victim.ScriptName || ch.To != it.TargetScriptName || ch.To == ch.From {
		t.Fatalf("restored item %+v, change %+v", it, ch)
	}
	if !slices.EqualFunc(ch.Sources, stale, sameRef) || ch.TakenBy != impostor {
		t.Errorf("change %+v: want sources %+v and taken by %q", ch, stale, impostor)
	}
	var buf bytes.Buffer
	res.WriteTable(&buf)
	table := strings.Join(strings.Fields(buf.String()), " ") // the columns' padding aside
	for _, want := range []string{
		"+ create ok " + victim.Name + " [" + ch.To + "]",
		"! scriptName changed: " + victim.ScriptName + " → " + ch.To,
		staleLine,
		heldLine,
	} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks\n%s\n---\n%s", want, buf.String())
		}
	}
	j, _ := json.Marshal(it)
	for _, want := range []string{`"scriptNameChange":{"from":"` + victim.ScriptName + `","to":"` + ch.To + `","sources":[{"id":"` + stale[0].ID, `"takenBy":"` + impostor + `"`} {
		if !bytes.Contains(j, []byte(want)) {
			t.Errorf("--json lacks %s: %s", want, j)
		}
	}
	// Every other connector of the backup is back as it was.
	for _, other := range res.Items {
		if other.Name != victim.Name && other.ScriptNameChange != nil {
			t.Errorf("%q reported a scriptName change: %+v", other.Name, other.ScriptNameChange)
		}
	}
}

// TestRestoreGetsItsScriptNameBack: a used connector is deleted and nobody
// takes its scriptName; the restore's create gets it back (the tenant
// chooses; the simulator, like a slug of the name, gives the free one). The
// plan must not claim a new scriptName and stranded sources as a fact, and
// the import must report no change and no stranded source.
func TestRestoreGetsItsScriptNameBack(t *testing.T) {
	t.Parallel()
	f, backup, _, victim := drFixture(t)
	c := f.client(t)
	if err := c.DeleteConnector(t.Context(), victim.ScriptName); err != nil {
		t.Fatal(err)
	}
	opts := withSources(testOptions(t))
	p, err := MakePlan(t.Context(), c, backup, opts)
	if err != nil {
		t.Fatal(err)
	}
	var planOut bytes.Buffer
	p.WriteTable(&planOut)
	plan := strings.Join(strings.Fields(planOut.String()), " ")
	if strings.Contains(plan, "gets a new scriptName") || !strings.Contains(plan, "unless it is "+victim.ScriptName+" again") {
		t.Errorf("the plan states a new scriptName as a fact, or does not say it may come back:\n%s", planOut.String())
	}
	res := mustImport(t, c, backup, opts)
	i := slices.IndexFunc(res.Items, func(it ItemResult) bool { return it.Name == victim.Name })
	if i < 0 {
		t.Fatalf("%q not in the result", victim.Name)
	}
	if it := res.Items[i]; it.Action != ActionCreate || it.TargetScriptName != victim.ScriptName || it.ScriptNameChange != nil {
		t.Fatalf("restored item %+v: want created as %s with no scriptName change", it, victim.ScriptName)
	}
	var buf bytes.Buffer
	res.WriteTable(&buf)
	if strings.Contains(buf.String(), "scriptName changed") || strings.Contains(buf.String(), "cannot be re-pointed") {
		t.Errorf("the result reports a change or stranded sources that did not happen:\n%s", buf.String())
	}
}

// withSourceUses adds to each bundle connector the sources of d that use it,
// as an export records them.
func withSourceUses(cs []bundle.Connector, d tenantsim.Dump) []bundle.Connector {
	for i := range cs {
		for _, s := range sourcesOf(d, cs[i].ScriptName) {
			cs[i].Sources = append(cs[i].Sources, bundle.SourceUse{ID: s.ID, Name: s.Name, UploadedFiles: s.UploadedFiles})
		}
	}
	return cs
}

// TestUploadsChecklist: after a restore the result lists every connector
// file the backup recorded on a source: done where the target's source shows
// it, else to upload; after the upload a rerun shows it done.
func TestUploadsChecklist(t *testing.T) {
	t.Parallel()
	f := newTenant(t, tenantsim.Options{Seed: 21, Connectors: 40, TenantName: "jars"})
	d := f.sim.Dump()
	backup := writeSource(t, f.url, withSourceUses(bundleFromDump(t, d), d), nil)
	// One source lost its jar since the backup (say, it was recreated).
	k := slices.IndexFunc(d.Sources, func(s tenantsim.DumpSource) bool { return len(s.UploadedFiles) > 0 })
	if k < 0 {
		t.Fatal("fixture: no source with an uploaded file")
	}
	lost, lostFile := d.Sources[k], d.Sources[k].UploadedFiles[0]
	d.Sources[k].UploadedFiles = d.Sources[k].UploadedFiles[1:]
	if err := f.sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	opts := withSources(testOptions(t))
	res := mustImport(t, f.client(t), backup, opts)
	var todo, done []Upload
	for _, it := range res.Items {
		for _, u := range it.Uploads {
			if u.Done {
				done = append(done, u)
			} else {
				todo = append(todo, u)
			}
		}
	}
	if len(todo) != 1 || todo[0] != (Upload{Source: lost.Name, SourceID: lost.ID, File: lostFile}) || len(done) == 0 {
		t.Fatalf("to do %+v (want only %s on %q), %d done", todo, lostFile, lost.Name, len(done))
	}
	var table bytes.Buffer
	res.WriteTable(&table)
	if want := fmt.Sprintf("jar to do: upload %s to source %q (%s)", lostFile, lost.Name, lost.ID); !strings.Contains(table.String(), want) {
		t.Errorf("the table lacks %q:\n%s", want, table.String())
	}
	if _, err := f.client(t).UploadConnectorFile(t.Context(), lost.ID, lostFile, []byte("PK jar")); err != nil {
		t.Fatal(err)
	}
	again := mustImport(t, f.client(t), backup, opts)
	for _, it := range again.Items {
		for _, u := range it.Uploads {
			if !u.Done {
				t.Errorf("after the upload, still to do: %+v", u)
			}
		}
	}
}

// TestUploadsChecklistPromotion: promoted into another tenant, which has
// none of the bundle's sources, the result sums the jars up once (how many,
// on which sources, what to do) instead of repeating "not in the target"
// under nearly every connector; --json still lists each.
func TestUploadsChecklistPromotion(t *testing.T) {
	t.Parallel()
	src := newTenant(t, tenantsim.Options{Seed: 21, Connectors: 40, TenantName: "sandbox"})
	d := src.sim.Dump()
	cs := withSourceUses(bundleFromDump(t, d), d)
	files, sources := 0, map[string]bool{}
	for _, c := range cs {
		for _, s := range c.Sources {
			if len(s.UploadedFiles) > 0 {
				files += len(s.UploadedFiles)
				sources[s.Name] = true
			}
		}
	}
	if files < 2 {
		t.Fatalf("fixture: %d uploaded files", files)
	}
	backup := writeSource(t, src.url, cs, nil)
	prod := newTenant(t, tenantsim.Options{Seed: 22, Connectors: 0, TenantName: "prod"})
	res := mustImport(t, prod.client(t), backup, withSources(testOptions(t)))
	listed := 0
	for _, it := range res.Items {
		for _, u := range it.Uploads {
			if u.SourceID != "" || u.Done {
				t.Errorf("upload %+v matched a source the target does not have", u)
			}
			listed++
		}
	}
	if listed != files {
		t.Errorf("the result lists %d uploads, the bundle recorded %d", listed, files)
	}
	var table bytes.Buffer
	res.WriteTable(&table)
	out := table.String()
	if n := strings.Count(out, "is not in the target"); n != 0 {
		t.Errorf("%d per-connector lines repeat that a source is not in the target:\n%s", n, out)
	}
	want := fmt.Sprintf("Jars: %d files were uploaded to %d %s of the bundle's tenant that this tenant does not have", files, len(sources), plural(len(sources), "source", "sources"))
	if !strings.Contains(out, want) {
		t.Errorf("the table lacks %q:\n%s", want, out)
	}
}
