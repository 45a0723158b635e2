package importer

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/transform"
)

// addConnector creates a RELEASED custom connector through the API, as an
// administrator would.
func addConnector(t testing.TB, f tenantFixture, name string) string {
	t.Helper()
	c, err := f.client(t).CreateConnector(t.Context(), tenant.NewConnector{Name: name,
		ClassName: "sailpoint.connector.OpenConnectorAdapter", Status: tenant.StatusReleased})
	if err != nil {
		t.Fatalf("fixture: create %q: %v", name, err)
	}
	return c.ScriptName
}

// keepNamed returns the connectors whose names match one of the globs, as an
// export with --include or a rules file's include keeps them.
func keepNamed(t testing.TB, cs []bundle.Connector, include ...string) []bundle.Connector {
	t.Helper()
	rules, err := transform.ParseRules("test", []byte(fmt.Sprintf("version: %d\ninclude: [%s]\n", transform.Version, quotedList(include))))
	if err != nil {
		t.Fatal(err)
	}
	out, err := rules.Apply(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func quotedList(ss []string) string {
	var q []string
	for _, s := range ss {
		q = append(q, `"`+s+`"`)
	}
	return strings.Join(q, ", ")
}

// Deletion stays inside the bundle's scope: the export's filter and globs,
// narrowed by the rules; a bundle with nothing in scope, or that records no
// scope, deletes nothing. The tenant is restored from a partial backup of
// itself, after an administrator added connectors in and out of its scope.
func TestDeletionScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		scope       *bundle.Scope
		keep        []string // the bundle's connectors, by glob ("" → none)
		deleteScope []string
		wantDeleted []string // of the connectors added after the export
		wantNote    string
	}{
		{name: "export include", scope: &bundle.Scope{Include: []string{"Bogotá*"}}, keep: []string{"Bogotá*"},
			wantDeleted: []string{"Bogotá Extra"}, wantNote: noteOutside},
		{name: "export include never matches a scriptName (names only, as export chose)", scope: &bundle.Scope{Include: []string{"bogota-*"}}, keep: []string{"Bogotá*"},
			wantNote: noteOutside},
		{name: "export include ignores letter case, as export chose", scope: &bundle.Scope{Include: []string{"BOGOTÁ*"}}, keep: []string{"Bogotá*"},
			wantDeleted: []string{"Bogotá Extra"}, wantNote: noteOutside},
		{name: "export exclude", scope: &bundle.Scope{Exclude: []string{"Z*", "Bogotá Extra"}}, keep: []string{"[!Z]*"},
			wantDeleted: []string{"Göteborg Extra"}, wantNote: noteOutside},
		{name: "export filter", scope: &bundle.Scope{Filter: `name sw "Bogot"`}, keep: []string{"Bogotá*"},
			wantDeleted: []string{"Bogotá Extra"}, wantNote: noteOutside},
		{name: "named scriptNames only widen", scope: &bundle.Scope{Include: []string{"nothing"}, ScriptNames: []string{"zurich-hr-feed-x"}}, keep: []string{"Bogotá*"},
			wantNote: noteOutside},
		{name: "rules include narrows a whole-tenant export",
			scope: &bundle.Scope{Narrowed: []bundle.NameFilter{{Include: []string{"Zürich*", "Göteborg*"}}}}, keep: []string{"Zürich*", "Göteborg*"},
			wantDeleted: []string{"Göteborg Extra", "Zürich Extra"}, wantNote: noteOutside},
		{name: "rules include with a typo keeps nothing",
			scope: &bundle.Scope{Narrowed: []bundle.NameFilter{{Include: []string{"Zurich*"}}}}, keep: nil, wantNote: noteEmpty},
		{name: "no recorded scope", scope: nil, keep: []string{"*"}, wantNote: noteNoScope},
		{name: "no recorded scope, stated by --delete-scope", scope: nil, keep: []string{"Bogotá*"}, deleteScope: []string{"Bogotá*"},
			wantDeleted: []string{"Bogotá Extra"}, wantNote: noteOutside},
		{name: "--delete-scope narrows a recorded scope", scope: &bundle.Scope{}, keep: []string{"Bogotá*"}, deleteScope: []string{"Zürich*"},
			wantDeleted: []string{"Zürich Extra"}, wantNote: noteOutside},
		{name: "transformed bundle without a recorded scope",
			scope: &bundle.Scope{Unrecorded: true, Narrowed: []bundle.NameFilter{{Include: []string{"Zürich*"}}}}, keep: []string{"Zürich*"},
			wantNote: noteNoScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newTenant(t, sandboxOpts())
			all := bundleFromDump(t, f.sim.Dump())
			var cs []bundle.Connector
			if tt.keep != nil {
				cs = keepNamed(t, all, tt.keep...)
			}
			src := writeScoped(t, f.url, tt.scope, cs, nil)
			for _, n := range []string{"Bogotá Extra", "Zürich Extra", "Göteborg Extra"} {
				addConnector(t, f, n)
			}
			before := f.sim.Dump()
			opts := testOptions(t)
			opts.AllowDelete, opts.DeleteScope, opts.MaxDeletes = true, tt.deleteScope, 100
			p, err := MakePlan(t.Context(), f.client(t), src, opts)
			if err != nil {
				t.Fatal(err)
			}
			var table bytes.Buffer
			p.WriteTable(&table)
			res, err := Apply(t.Context(), f.client(t), src, p, opts)
			if err != nil || res.Failed() > 0 {
				t.Fatalf("apply: %v %+v\n%s", err, failures(res), table.String())
			}
			var deleted []string
			after := f.sim.Dump()
			for _, c := range before.Connectors {
				if _, ok := byName(after, c.Name); !ok {
					deleted = append(deleted, c.Name)
				}
			}
			slices.Sort(deleted)
			if !slices.Equal(deleted, tt.wantDeleted) {
				t.Errorf("deleted %q, want %q\n%s", deleted, tt.wantDeleted, table.String())
			}
			if !strings.Contains(table.String(), tt.wantNote) {
				t.Errorf("the plan does not say %q:\n%s", tt.wantNote, table.String())
			}
			if !strings.Contains(table.String(), "Scope: ") || !strings.Contains(table.String(), "target connectors in scope would be deleted") {
				t.Errorf("the plan does not show the scope:\n%s", table.String())
			}
		})
	}
}

// Apply refuses a plan with more deletions than MaxDeletes, naming every
// connector, before any write.
func TestMaxDeletes(t *testing.T) {
	t.Parallel()
	f := newTenant(t, sandboxOpts())
	src := writeSource(t, f.url, keepNamed(t, bundleFromDump(t, f.sim.Dump()), "Bogotá*"), nil)
	for _, n := range []string{"Extra 1", "Extra 2", "Extra 3"} {
		addConnector(t, f, n)
	}
	opts := testOptions(t)
	opts.AllowDelete = true
	p, err := MakePlan(t.Context(), f.client(t), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, it := range p.Items {
		if it.Action == ActionDelete {
			names = append(names, it.Name)
		}
	}
	if len(names) <= DefaultMaxDeletes {
		t.Fatalf("fixture: %d deletions, want more than %d", len(names), DefaultMaxDeletes)
	}
	for _, max := range []int{0, -1, len(names) - 1} {
		o := opts
		o.MaxDeletes = max
		f.sim.ResetStats()
		_, err := Apply(t.Context(), f.client(t), src, p, o)
		if !errors.Is(err, ErrTooManyDeletes) {
			t.Fatalf("MaxDeletes %d: err = %v, want ErrTooManyDeletes", max, err)
		}
		for _, n := range names {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("MaxDeletes %d: the refusal does not name %q: %v", max, n, err)
			}
		}
		if w := f.sim.Stats().Writes; w != 0 {
			t.Errorf("MaxDeletes %d: %d writes before refusing", max, w)
		}
	}
	opts.MaxDeletes = len(names)
	if res, err := Apply(t.Context(), f.client(t), src, p, opts); err != nil || res.Failed() > 0 {
		t.Fatalf("MaxDeletes %d: %v %+v", len(names), err, failures(res))
	}
}

// A connector the export left out protects the target's connector of the
// same name in any letter case and Unicode normalization form (NFD "u" +
// U+0308 is "ü"), as internal/glob compares names.
func TestLeftOutNoteMatchesNamesLikeGlobs(t *testing.T) {
	m := bundle.Manifest{Coverage: &bundle.Coverage{LeftOut: []bundle.LeftOut{{ScriptName: "zurich-1", Name: "Zürich HR Feed", Reason: bundle.LeftOutHidden}}}}
	for _, name := range []string{"Zürich HR Feed", "zürich hr feed", "Zu\u0308rich HR Feed"} {
		if leftOutNote(m, tenant.Connector{Name: name, ScriptName: "zurich-prod"}) == "" {
			t.Errorf("%q is not protected by the left-out %q", name, "Zürich HR Feed")
		}
	}
	if leftOutNote(m, tenant.Connector{Name: "Zurich HR Feed", ScriptName: "zurich-prod"}) != "" {
		t.Error("a different name is protected")
	}
}
