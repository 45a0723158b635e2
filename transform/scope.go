package transform

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/connvault/connvault/bundle"
)

// NarrowScope returns the scope of a bundle after r is applied to it: s
// with r's include, exclude and renames appended to Narrowed (bundle.Scope). A nil s
// (a bundle that recorded no scope) becomes an Unrecorded scope, so the
// narrowing is not lost. s is not modified; rules without include or
// exclude return a copy of s.
func (r *Rules) NarrowScope(s *bundle.Scope) *bundle.Scope {
	var out bundle.Scope
	if s != nil {
		out = *s
		out.Include, out.Exclude = slices.Clone(s.Include), slices.Clone(s.Exclude)
		out.ScriptNames, out.Narrowed = slices.Clone(s.ScriptNames), slices.Clone(s.Narrowed)
	} else {
		out.Unrecorded = true
	}
	if r == nil || len(r.include) == 0 && len(r.exclude) == 0 && len(r.rename) == 0 {
		if s == nil {
			return nil
		}
		return &out
	}
	nf := bundle.NameFilter{Include: patterns(r.include), Exclude: patterns(r.exclude)}
	if len(r.rename) > 0 {
		nf.Renamed = maps.Clone(r.rename)
	}
	out.Narrowed = append(out.Narrowed, nf)
	return &out
}

func patterns(gs []glob) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.pattern
	}
	return out
}

// ScopeMatcher compiles s into a function reporting whether a connector of
// the given name and scriptName is inside the scope. inFilter says whether
// the connector is inside s.Filter, which only a tenant can evaluate (pass
// true when s.Filter is ""). The export's part: a connector named in
// ScriptNames is inside; any other must be inFilter, match an Include glob
// (when there are any) by name, and match no Exclude glob — the rule export
// chose by (internal/glob: names only, any letter case).
// Then every Narrowed filter must keep its name. For an Unrecorded scope the
// export's part admits everything: callers decide whether to trust that.
// Globs are the package's (see the package documentation); a malformed one
// is an error naming it.
func ScopeMatcher(s *bundle.Scope) (func(name, scriptName string, inFilter bool) bool, error) {
	if s == nil {
		s = &bundle.Scope{Unrecorded: true}
	}
	compile := func(what string, ps []string) ([]glob, error) {
		out := make([]glob, 0, len(ps))
		for _, p := range ps {
			g, err := compileGlob(p)
			if err != nil {
				return nil, fmt.Errorf("scope %s glob %q: %w", what, p, err)
			}
			out = append(out, g)
		}
		return out, nil
	}
	include, err := compile("include", s.Include)
	if err != nil {
		return nil, err
	}
	exclude, err := compile("exclude", s.Exclude)
	if err != nil {
		return nil, err
	}
	type narrowing struct{ include, exclude []glob }
	var narrowed []narrowing
	for _, nf := range s.Narrowed {
		var n narrowing
		if n.include, err = compile("rules include", nf.Include); err != nil {
			return nil, err
		}
		if n.exclude, err = compile("rules exclude", nf.Exclude); err != nil {
			return nil, err
		}
		narrowed = append(narrowed, n)
	}
	named := map[string]bool{}
	for _, sn := range s.ScriptNames {
		named[sn] = true
	}
	unrecorded := s.Unrecorded
	return func(name, scriptName string, inFilter bool) bool {
		if !unrecorded && !named[scriptName] {
			if !inFilter || len(include) > 0 && !matchAny(include, name) || matchAny(exclude, name) {
				return false
			}
		}
		for _, n := range narrowed {
			if len(n.include) > 0 && !matchAny(n.include, name) || matchAny(n.exclude, name) {
				return false
			}
		}
		return true
	}, nil
}

// DescribeScope returns s in one line for plans and messages, e.g.
// `export filter name sw "HR"; include "HR *"; then include "HR Feed*"`, where
// "then" starts a narrowing by a rules file or by --include/--exclude.
func DescribeScope(s *bundle.Scope) string {
	if s == nil {
		return "not recorded (the bundle predates recorded scopes)"
	}
	var parts []string
	if s.Unrecorded {
		parts = append(parts, "export's choice not recorded")
	} else {
		if s.Filter == "" && len(s.Include) == 0 && len(s.Exclude) == 0 {
			parts = append(parts, "every custom connector the list shows")
		}
		if s.Filter != "" {
			parts = append(parts, "filter "+s.Filter)
		}
		if len(s.Include) > 0 {
			parts = append(parts, "include "+quoteAll(s.Include))
		}
		if len(s.Exclude) > 0 {
			parts = append(parts, "exclude "+quoteAll(s.Exclude))
		}
		if len(s.ScriptNames) > 0 {
			parts = append(parts, "named "+quoteAll(s.ScriptNames))
		}
	}
	for _, n := range s.Narrowed {
		if len(n.Include) > 0 {
			parts = append(parts, "then include "+quoteAll(n.Include))
		}
		if len(n.Exclude) > 0 {
			parts = append(parts, "then exclude "+quoteAll(n.Exclude))
		}
	}
	return strings.Join(parts, "; ")
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
