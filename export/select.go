package export

import (
	"fmt"
	"slices"
	"strings"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
)

// target is one connector to export.
type target struct {
	ScriptName string
	Name       string // from the list or an earlier bundle; empty for a named connector not listed
	Type       string // from the list
	// checkOwner is set for a listed connector whose type does not start
	// with "custom": its detail decides whether it is SailPoint's own (see
	// sailPointOwned).
	checkOwner bool
	// carried is set for a hidden connector carried forward from an earlier
	// bundle: if the tenant no longer has it, it is left out as gone, not
	// recorded as a failure.
	carried bool
	// hidden is set for a connector the list did not show.
	hidden bool
	// usedBy are the sources that brought in a hidden connector nothing
	// named or carried.
	usedBy []bundle.SourceUse
}

// label is how progress and logs name the connector.
func (t target) label() string {
	if t.Name != "" {
		return t.Name
	}
	return t.ScriptName
}

// selector decides which listed connectors are exported.
type selector struct {
	include, exclude         []glob.Pattern
	includeText, excludeText []string
	builtIn                  bool
}

func newSelector(opts Options) (selector, error) {
	s := selector{builtIn: opts.BuiltIn, includeText: opts.Include, excludeText: opts.Exclude}
	var err error
	if s.include, err = glob.CompileAll(opts.Include); err != nil {
		return selector{}, fmt.Errorf("include: %w", err)
	}
	if s.exclude, err = glob.CompileAll(opts.Exclude); err != nil {
		return selector{}, fmt.Errorf("exclude: %w", err)
	}
	return s, nil
}

// filteredOut reports whether the globs leave out the connector named name
// (internal/glob's rule: the whole name, any letter case), and which glob
// decided, in words.
func (s selector) filteredOut(name string) (string, bool) {
	if len(s.include) > 0 && !glob.MatchAny(s.include, name) {
		return fmt.Sprintf("matches no --include (%s)", strings.Join(s.includeText, ", ")), true
	}
	for i, g := range s.exclude {
		if g.Match(name) {
			return fmt.Sprintf("matches --exclude %q", s.excludeText[i]), true
		}
	}
	return "", false
}

// NoMatchError is returned by Run, before anything is exported, when an
// --include glob matches no connector the export knows of (listed after the
// filter, carried forward, or used by a source), or when Options.Filter
// lets the tenant list no connector at all (Filter set, before sources or
// details are read): a typo would otherwise give an export of fewer
// connectors than meant, or an empty one, exit 0.
type NoMatchError struct {
	Patterns []string // the globs, as written
	Listed   int      // how many connectors the list showed
	Filter   string   // the filter the list showed nothing under ("" for globs)
}

func (e *NoMatchError) Error() string {
	if e.Filter != "" {
		return fmt.Sprintf("--filter %q matches no connector the tenant lists, so the export would be empty (check the field, the operator: name sw matches the start of a name, co any part, and the value)", e.Filter)
	}
	q := make([]string, len(e.Patterns))
	for i, p := range e.Patterns {
		q[i] = fmt.Sprintf("%q", p)
	}
	return fmt.Sprintf("--include %s matches none of the %d connectors listed (names are matched whole, ignoring letter case; see internal/glob)", strings.Join(q, ", "), e.Listed)
}

// unmatched returns a *NoMatchError naming the include globs that match no
// name of listed or known, nil if each matches one.
func (s selector) unmatched(listed []tenant.Connector, known []Hidden) error {
	var missing []string
	for i, g := range s.include {
		if !slices.ContainsFunc(listed, func(c tenant.Connector) bool { return g.Match(c.Name) }) &&
			!slices.ContainsFunc(known, func(h Hidden) bool { return h.Name != "" && g.Match(h.Name) }) {
			missing = append(missing, s.includeText[i])
		}
	}
	if len(missing) > 0 {
		return &NoMatchError{Patterns: missing, Listed: len(listed)}
	}
	return nil
}

// customType reports whether a connector's type starts with "custom"
// (ignoring case): ISC types a connector created without a type
// "custom <name>", and SailPoint's catalog never uses that prefix.
func customType(typ string) bool {
	return len(typ) >= len("custom") && strings.EqualFold(typ[:len("custom")], "custom")
}

// selection is what choose decides: the connectors to export, and those
// known but left out by the globs.
type selection struct {
	targets  []target
	filtered []bundle.LeftOut
	// keptHidden are the hidden connectors carried forward (not found
	// through sources) that the globs leave out of this run: they stay on
	// the carry-forward list (bundle.Coverage.Hidden).
	keptHidden []string
}

// choose returns the connectors to export: the wanted listed ones in list
// order, then the named ones not already among them, then the carried ones
// neither listed nor named, each scriptName once. Named connectors bypass
// every rule; carried ones (from an earlier bundle or found through sources)
// follow the same rules as listed ones: the globs, and unless s.builtIn the
// SailPoint-owned rule (checkOwner, decided by their detail since no list
// gave their type). A listed connector whose type does not start with
// "custom" is a target to check (checkOwner) unless s.builtIn.
func choose(listed []tenant.Connector, named []string, carried []Hidden, s selector) selection {
	seen := make(map[string]bool, len(listed)+len(named)+len(carried))
	namedSet := make(map[string]bool, len(named))
	for _, n := range named {
		namedSet[n] = true
	}
	var sel selection
	for _, c := range listed {
		if c.ScriptName == "" || seen[c.ScriptName] {
			continue
		}
		seen[c.ScriptName] = true
		t := target{ScriptName: c.ScriptName, Name: c.Name, Type: c.Type}
		if !namedSet[c.ScriptName] {
			if rule, out := s.filteredOut(c.Name); out {
				sel.filtered = append(sel.filtered, bundle.LeftOut{ScriptName: c.ScriptName, Name: c.Name, Type: c.Type,
					Status: string(c.Status), Reason: bundle.LeftOutFiltered, Rule: rule})
				continue
			}
			t.checkOwner = !s.builtIn && !customType(c.Type)
		}
		sel.targets = append(sel.targets, t)
	}
	for _, n := range named {
		if !seen[n] {
			seen[n] = true
			sel.targets = append(sel.targets, target{ScriptName: n, hidden: true})
		}
	}
	for _, h := range carried {
		if h.ScriptName == "" || seen[h.ScriptName] {
			continue
		}
		seen[h.ScriptName] = true
		if rule, out := s.filteredOut(h.Name); out {
			if len(h.UsedBy) == 0 { // named once, carried since: not dropped by one filtered run
				rule += "; hidden, carried forward: later runs still carry it"
				sel.keptHidden = append(sel.keptHidden, h.ScriptName)
			}
			sel.filtered = append(sel.filtered, bundle.LeftOut{ScriptName: h.ScriptName, Name: h.Name,
				Reason: bundle.LeftOutFiltered, Rule: rule})
			continue
		}
		sel.targets = append(sel.targets, target{ScriptName: h.ScriptName, Name: h.Name, carried: true, hidden: true, usedBy: h.UsedBy,
			checkOwner: !s.builtIn})
	}
	return sel
}
