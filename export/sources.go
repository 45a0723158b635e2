package export

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
)

// readSources lists the tenant's sources once (unless opts.NoSources) and
// groups them by the scriptName each names. A 403 is not an error: the run
// goes on without them, and the coverage says what could not be seen.
func (r *run) readSources(ctx context.Context, opts Options) error {
	if opts.NoSources {
		r.sourcesState = "off (--sources=false): hidden connectors that sources use are not looked for"
		return nil
	}
	ss, err := r.src.ListAllSources(ctx, "")
	switch {
	case tenant.IsForbidden(err):
		r.sourcesState = fmt.Sprintf("not read: the token lacks %s (403); hidden connectors that sources use could not be found, and which sources use a connector is not recorded", tenant.ScopeSourcesRead)
		r.log.Warn("sources not read: the token lacks the scope; exporting without them", "scope", tenant.ScopeSourcesRead)
		return nil
	case err != nil:
		if ctx.Err() != nil {
			return fmt.Errorf("export interrupted: %w", context.Cause(ctx))
		}
		return fmt.Errorf("read sources (turn this off with --sources=false): %w", err)
	}
	r.sourcesState = "read"
	r.usedBy = map[string][]bundle.SourceUse{}
	r.connectorName = map[string]string{}
	for _, s := range ss {
		if s.Connector == "" {
			continue
		}
		r.usedBy[s.Connector] = append(r.usedBy[s.Connector], bundle.SourceUse{ID: s.ID, Name: s.Name, UploadedFiles: s.UploadedFiles()})
		if s.ConnectorName != "" {
			r.connectorName[s.Connector] = s.ConnectorName
		}
	}
	for _, us := range r.usedBy {
		slices.SortFunc(us, func(a, b bundle.SourceUse) int { return strings.Compare(a.Name+"\x00"+a.ID, b.Name+"\x00"+b.ID) })
	}
	return nil
}

// discovered returns the hidden connectors that sources use and nothing
// else brings in (not listed, named or carried forward), to be exported like
// carried ones. Their names come from the sources' connectorName, so that
// the globs apply to them too. With a filter (which the tenant evaluates, on
// listed connectors only) they are left out, saying why (unlistedWithFilter).
func (r *run) discovered(ctx context.Context, listed []tenant.Connector, carried []Hidden, filter string) []Hidden {
	known := map[string]bool{}
	for _, c := range listed {
		known[c.ScriptName] = true
	}
	for _, n := range r.named {
		known[n] = true
	}
	for _, h := range carried {
		known[h.ScriptName] = true
	}
	var out []Hidden
	for sn, us := range r.usedBy {
		switch {
		case known[sn]:
		case filter != "":
			r.leave(r.unlistedWithFilter(ctx, sn, us, filter))
		default:
			out = append(out, Hidden{ScriptName: sn, Name: r.connectorName[sn], UsedBy: us})
		}
	}
	slices.SortFunc(out, func(a, b Hidden) int { return strings.Compare(a.ScriptName, b.ScriptName) })
	return out
}

// unlistedWithFilter is why a connector sources use, which the list with
// filter did not show, is left out, read from its detail: SailPoint-owned
// (the rule, unless --builtin), filtered (RELEASED, so the list would show
// it: the tenant's filter does not match it), or hidden (the list never
// shows it, and the tenant applies the filter only to what it lists).
func (r *run) unlistedWithFilter(ctx context.Context, sn string, us []bundle.SourceUse, filter string) bundle.LeftOut {
	lo := bundle.LeftOut{ScriptName: sn, Name: r.connectorName[sn], Reason: bundle.LeftOutHidden}
	d, err := r.src.GetConnector(ctx, sn)
	if err != nil {
		lo.Rule = usedByText(us) + "; not exported with --filter, which the tenant applies only to listed connectors, and its detail could not be read; name it with --script-name"
		return lo
	}
	lo.Name, lo.Type, lo.Status = cmp.Or(lo.Name, d.Name), d.Type, string(d.Status)
	if owned, rule := sailPointOwned(d.Type, d); owned && !r.sel.builtIn {
		lo.Reason, lo.Rule = bundle.LeftOutSailPointOwned, rule+"; found through sources: "+usedByText(us)
		return lo
	}
	if d.Status == tenant.StatusReleased {
		lo.Reason, lo.Rule = bundle.LeftOutFiltered, fmt.Sprintf("RELEASED but not listed: --filter %q does not match it; found through sources: %s", filter, usedByText(us))
		return lo
	}
	lo.Rule = fmt.Sprintf("%s; %s, which the list hides, and not named; --filter applies only to listed connectors; name it with --script-name", usedByText(us), d.Status)
	return lo
}

// usedByText is the coverage's reason for a connector sources brought in:
// `used by source "HR Prod" (2c91…)`, or by several.
func usedByText(us []bundle.SourceUse) string {
	var parts []string
	for _, u := range us {
		parts = append(parts, fmt.Sprintf("%q (%s)", u.Name, u.ID))
	}
	if len(us) == 1 {
		return "used by source " + parts[0]
	}
	return "used by sources " + strings.Join(parts, ", ")
}
