package export_test

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// usesOf are the dump's sources naming scriptName, as the manifest records them.
func usesOf(d tenantsim.Dump, scriptName string) []bundle.SourceUse {
	var out []bundle.SourceUse
	for _, s := range d.Sources {
		if s.Connector == scriptName {
			out = append(out, bundle.SourceUse{ID: s.ID, Name: s.Name, UploadedFiles: s.UploadedFiles})
		}
	}
	slices.SortFunc(out, func(a, b bundle.SourceUse) int { return strings.Compare(a.Name+"\x00"+a.ID, b.Name+"\x00"+b.ID) })
	return out
}

func reasonFor(us []bundle.SourceUse) string {
	var parts []string
	for _, u := range us {
		parts = append(parts, fmt.Sprintf("%q (%s)", u.Name, u.ID))
	}
	if len(us) == 1 {
		return "used by source " + parts[0]
	}
	return "used by sources " + strings.Join(parts, ", ")
}

func sameUses(a, b []bundle.SourceUse) bool {
	return slices.EqualFunc(a, b, func(x, y bundle.SourceUse) bool {
		return x.ID == y.ID && x.Name == y.Name && slices.Equal(x.UploadedFiles, y.UploadedFiles)
	})
}

// TestExportFindsHiddenConnectorsThroughSources: with nothing named, every
// hidden connector a source uses is exported, the coverage saying which
// source brought it in; each manifest entry lists the sources using the
// connector and their uploaded files (the jar checklist).
func TestExportFindsHiddenConnectorsThroughSources(t *testing.T) {
	sim, url := newSim(t, tenantsim.Options{Seed: 21, Connectors: 40})
	d := sim.Dump()
	res, err := runExportWithSources(t, t.Context(), newClient(t, url), filepath.Join(t.TempDir(), "b.tar.gz"), export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest
	inBundle := map[string]bundle.Entry{}
	for _, e := range m.Connectors {
		inBundle[e.ScriptName] = e
	}
	hidden := 0
	for _, c := range d.Connectors {
		if c.BuiltIn {
			continue
		}
		uses := usesOf(d, c.ScriptName)
		e, ok := inBundle[c.ScriptName]
		if c.Status != "RELEASED" {
			hidden++
			if !ok {
				t.Errorf("hidden %q used by %d sources was not exported", c.Name, len(uses))
				continue
			}
			i := slices.IndexFunc(m.Coverage.UsedBySources, func(in bundle.Included) bool { return in.ScriptName == c.ScriptName })
			if i < 0 || m.Coverage.UsedBySources[i].Reason != reasonFor(uses) {
				t.Errorf("coverage does not say %q came in %s: %+v", c.Name, reasonFor(uses), m.Coverage.UsedBySources)
			}
			if !slices.Contains(m.Coverage.Hidden, c.ScriptName) {
				t.Errorf("hidden %q is not carried forward", c.Name)
			}
		}
		if ok && !sameUses(e.Sources, uses) {
			t.Errorf("%q: manifest sources %+v, want %+v", c.Name, e.Sources, uses)
		}
	}
	if hidden == 0 || m.Coverage.Sources != "read" {
		t.Fatalf("fixture: %d hidden connectors, sources %q", hidden, m.Coverage.Sources)
	}
	if n := len(m.Coverage.UsedBySources); n != hidden {
		t.Errorf("%d included through sources, want %d", n, hidden)
	}
	jars := 0
	for _, e := range m.Connectors {
		for _, s := range e.Sources {
			jars += len(s.UploadedFiles)
		}
	}
	if jars == 0 {
		t.Error("no uploaded file recorded: the fixture should have some")
	}
}

// TestExportSourcesForbiddenOrOff: without the scope (403) or with
// --sources=false the export goes on without them and says so.
func TestExportSourcesForbiddenOrOff(t *testing.T) {
	sim, url := newSim(t, tenantsim.Options{Seed: 21, Connectors: 12, Scopes: []string{"idn:connector-config:read"}})
	res, err := runExportWithSources(t, t.Context(), newClient(t, url), filepath.Join(t.TempDir(), "b.tar.gz"), export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Manifest.Coverage.Sources; !strings.HasPrefix(s, "not read: the token lacks idn:sources:read (403)") {
		t.Errorf("coverage sources %q", s)
	}
	if len(res.Manifest.Coverage.UsedBySources) != 0 {
		t.Error("hidden connectors found without reading sources")
	}
	sim.SetScopes()
	res, err = runExport(t, t.Context(), newClient(t, url), filepath.Join(t.TempDir(), "c.tar.gz"), export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Manifest.Coverage.Sources; !strings.HasPrefix(s, "off (--sources=false)") || !maps.Equal(sim.Stats().ByOperation["listSources"], map[int]int{403: 1}) {
		t.Errorf("--sources=false: coverage %q, source lists %v (want only the first export's 403)", s, sim.Stats().ByOperation["listSources"])
	}
}

// TestExportWithFilterLeavesHiddenUsedOutSayingWhy: the tenant's filter cannot
// judge unlisted connectors, so those sources use are left out as hidden.
func TestExportWithFilterLeavesHiddenUsedOutSayingWhy(t *testing.T) {
	sim, url := newSim(t, tenantsim.Options{Seed: 21, Connectors: 40})
	res, err := runExportWithSources(t, t.Context(), newClient(t, url), filepath.Join(t.TempDir(), "b.tar.gz"),
		export.Options{Filter: `name sw "Zürich"`})
	if err != nil {
		t.Fatal(err)
	}
	d := sim.Dump()
	for _, c := range d.Connectors {
		if c.BuiltIn || c.Status == "RELEASED" {
			continue
		}
		i := slices.IndexFunc(res.Manifest.Coverage.LeftOut, func(lo bundle.LeftOut) bool { return lo.ScriptName == c.ScriptName })
		if i < 0 {
			t.Errorf("hidden %q neither exported nor left out with a reason", c.Name)
			continue
		}
		if lo := res.Manifest.Coverage.LeftOut[i]; lo.Reason != bundle.LeftOutHidden || !strings.HasPrefix(lo.Rule, reasonFor(usesOf(d, c.ScriptName))) {
			t.Errorf("%q left out as %s: %s", c.Name, lo.Reason, lo.Rule)
		}
	}
}
