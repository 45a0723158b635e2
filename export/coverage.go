package export

import (
	"slices"
	"strings"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
)

// Hidden is a connector the list does not show, known by scriptName (and
// name, when known) from an earlier bundle.
type Hidden struct {
	ScriptName string
	Name       string
	// UsedBy are the sources that use it, when sources (not an earlier
	// bundle) made it known.
	UsedBy []bundle.SourceUse
}

// CarryForward returns the hidden connectors of an earlier bundle's manifest,
// for Options.CarryForward: those its coverage records as hidden (named or
// carried), and, for bundles written before coverage was recorded, its
// connectors whose status is not RELEASED (the list shows RELEASED ones
// only). Sorted by scriptName, each once.
func CarryForward(m bundle.Manifest) []Hidden {
	names := map[string]string{}
	for _, e := range m.Connectors {
		if e.Status != "" && !strings.EqualFold(e.Status, string(tenant.StatusReleased)) {
			names[e.ScriptName] = e.Name
		}
	}
	if m.Coverage != nil {
		byScript := map[string]string{}
		for _, e := range m.Connectors {
			byScript[e.ScriptName] = e.Name
		}
		for _, ie := range m.Errors {
			if ie.Name != "" {
				byScript[ie.ScriptName] = ie.Name
			}
		}
		for _, sn := range m.Coverage.Hidden {
			names[sn] = byScript[sn]
		}
	}
	out := make([]Hidden, 0, len(names))
	for sn, name := range names {
		if sn != "" {
			out = append(out, Hidden{ScriptName: sn, Name: name})
		}
	}
	slices.SortFunc(out, func(a, b Hidden) int { return strings.Compare(a.ScriptName, b.ScriptName) })
	return out
}

// coverage is the manifest's coverage of a run: how many were listed and
// counted, the hidden connectors named or carried that the tenant still has
// (exported, or left out this run by the globs or the SailPoint rule), and
// every connector known but left out.
func (r *run) coverage(listed, total int, gap string, sel selection) bundle.Coverage {
	cov := bundle.Coverage{Listed: listed, ListTotal: total, ListGap: gap, CarriedFrom: r.carriedFrom, Sources: r.sourcesState}
	cov.LeftOut = append(slices.Clone(sel.filtered), r.res.Coverage.LeftOut...)
	// The carry-forward list (Hidden) keeps every hidden connector named or
	// carried until the tenant answers 404 for it: one run whose globs or
	// SailPoint rule leave it out does not drop it from later runs.
	// Connectors found through sources and left out are not kept: the
	// sources bring them in again.
	gone := map[string]bool{} // 404, or found through sources and left out
	usedBy := map[string]bool{}
	for _, t := range sel.targets {
		usedBy[t.ScriptName] = len(t.usedBy) > 0
	}
	for _, lo := range r.res.Coverage.LeftOut {
		if lo.Reason == bundle.LeftOutGone || usedBy[lo.ScriptName] {
			gone[lo.ScriptName] = true
		}
	}
	for sn := range r.missing {
		gone[sn] = true
	}
	cov.Hidden = slices.Clone(sel.keptHidden)
	for _, t := range sel.targets {
		if t.hidden && !gone[t.ScriptName] {
			cov.Hidden = append(cov.Hidden, t.ScriptName)
			if len(t.usedBy) > 0 {
				cov.UsedBySources = append(cov.UsedBySources, bundle.Included{ScriptName: t.ScriptName, Name: t.Name, Reason: usedByText(t.usedBy)})
			}
		}
	}
	if cov.Hidden == nil {
		cov.Hidden = []string{}
	}
	if cov.LeftOut == nil {
		cov.LeftOut = []bundle.LeftOut{}
	}
	slices.Sort(cov.Hidden)
	slices.SortFunc(cov.UsedBySources, func(a, b bundle.Included) int { return strings.Compare(a.ScriptName, b.ScriptName) })
	slices.SortFunc(cov.LeftOut, func(a, b bundle.LeftOut) int { return strings.Compare(a.ScriptName, b.ScriptName) })
	return cov
}
