package transform

import (
	"fmt"
	"slices"
	"strings"

	"github.com/connvault/connvault/bundle"
)

// Narrow returns the manifest of the bundle that r makes of the bundle of
// m, for everything but its content: what a transformed bundle stands for.
// The scope is narrowed (NarrowScope); each connector r drops leaves
// m.Connectors and joins the coverage's leftOut as "filtered", with the
// rule that dropped it, so that an import never takes its absence for a
// deletion; it leaves coverage.hidden, coverage.usedBySources and
// ambiguous too. A renamed connector keeps its entries there under its new
// name. Source, errors (an incomplete bundle stays incomplete), reads and
// the rest of the coverage are kept as they are; a nil coverage stays nil.
// m is not modified. A nil r changes nothing.
func (r *Rules) Narrow(m bundle.Manifest) bundle.Manifest {
	m.Scope = r.NarrowScope(m.Scope)
	if r == nil {
		return m
	}
	dropped := map[string]bool{}
	newName := map[string]string{} // scriptName → name after rename
	var kept []bundle.Entry
	var leftOut []bundle.LeftOut
	for _, e := range m.Connectors {
		if rule, out := r.dropRule(e.Name); out {
			dropped[e.ScriptName] = true
			leftOut = append(leftOut, bundle.LeftOut{ScriptName: e.ScriptName, Name: e.Name, Type: e.Type, Status: e.Status,
				Reason: bundle.LeftOutFiltered, Rule: rule})
			continue
		}
		if to, ok := r.renameOf(e.Name); ok {
			e.Name = to
			newName[e.ScriptName] = to
		}
		kept = append(kept, e)
	}
	m.Connectors = kept
	if m.Coverage != nil {
		cov := *m.Coverage
		cov.Hidden = slices.DeleteFunc(slices.Clone(cov.Hidden), func(sn string) bool { return dropped[sn] })
		cov.UsedBySources = nil
		for _, in := range m.Coverage.UsedBySources {
			if !dropped[in.ScriptName] {
				in.Name = renamed(newName, in.ScriptName, in.Name)
				cov.UsedBySources = append(cov.UsedBySources, in)
			}
		}
		cov.LeftOut = append(slices.Clone(cov.LeftOut), leftOut...)
		slices.SortFunc(cov.LeftOut, func(a, b bundle.LeftOut) int {
			return strings.Compare(a.ScriptName+"\x00"+string(a.Reason), b.ScriptName+"\x00"+string(b.Reason))
		})
		m.Coverage = &cov
	}
	var amb []bundle.Ambiguity
	for _, a := range m.Ambiguous {
		if !dropped[a.ScriptName] {
			a.Name = renamed(newName, a.ScriptName, a.Name)
			amb = append(amb, a)
		}
	}
	m.Ambiguous = amb
	return m
}

func renamed(newName map[string]string, scriptName, name string) string {
	if to, ok := newName[scriptName]; ok {
		return to
	}
	return name
}

// dropRule reports whether r's include and exclude drop the connector
// named name, and which rule decided, in words (bundle.LeftOut.Rule).
func (r *Rules) dropRule(name string) (string, bool) {
	from := "of the transform's --include/--exclude"
	if r.file != "" {
		from = "of rules file " + r.file
	}
	if len(r.include) > 0 && !matchAny(r.include, name) {
		return fmt.Sprintf("matches no include %s (%s)", from, quoteAll(patterns(r.include))), true
	}
	for _, g := range r.exclude {
		if g.match(name) {
			return fmt.Sprintf("matches exclude %q %s", g.pattern, from), true
		}
	}
	return "", false
}
