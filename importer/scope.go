package importer

import (
	"context"
	"fmt"
	"strings"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/transform"
)

// deletionScope decides which connectors only in the target an import may
// delete: those inside the bundle's scope (bundle.Scope, narrowed by the
// rules the caller applied) and inside Options.DeleteScope. When nothing may
// be deleted at all, reason says why.
type deletionScope struct {
	reason   string
	match    func(name, scriptName string, inFilter bool) bool
	user     func(name, scriptName string, inFilter bool) bool // nil: no DeleteScope
	inFilter map[string]bool                                   // nil: the scope has no filter
}

// Reasons nothing may be deleted, shown as notes of the connectors kept.
const (
	noteIncomplete = "not deleted: the bundle is incomplete, so it may be one the export failed to capture"
	noteNoScope    = "not deleted: the bundle records no scope (made before connvault recorded one), so it cannot tell what the bundle stands for; name the connectors --allow-delete may delete with --delete-scope GLOB ('*' for all)"
	noteEmpty      = "not deleted: the bundle (after the rules) holds no connector, so nothing is in its scope"
	noteOutside    = "not deleted: outside the bundle's scope"
)

// newDeletionScope evaluates the scope of src for the target. A scope with
// an ISC filter is evaluated by the target itself: one list with the same
// filter.
func newDeletionScope(ctx context.Context, t Target, src Source, opts Options) (*deletionScope, error) {
	s := src.Manifest.Scope
	switch {
	case !src.Manifest.Complete:
		return &deletionScope{reason: noteIncomplete}, nil
	case len(src.Connectors) == 0:
		return &deletionScope{reason: noteEmpty}, nil
	case !s.Known() && len(opts.DeleteScope) == 0:
		return &deletionScope{reason: noteNoScope}, nil
	}
	ds := &deletionScope{}
	var err error
	if ds.match, err = transform.ScopeMatcher(s); err != nil {
		return nil, fmt.Errorf("the bundle's scope: %w", err)
	}
	if len(opts.DeleteScope) > 0 {
		if ds.user, err = transform.ScopeMatcher(&bundle.Scope{Include: opts.DeleteScope}); err != nil {
			return nil, fmt.Errorf("--delete-scope: %w", err)
		}
	}
	if s.Known() && s.Filter != "" {
		ls, err := t.ListAllConnectors(ctx, s.Filter, nil)
		if err != nil {
			return nil, fmt.Errorf("evaluate the bundle's scope filter %q on the target: %w", s.Filter, err)
		}
		ds.inFilter = map[string]bool{}
		for _, l := range ls {
			ds.inFilter[l.ScriptName] = true
		}
	}
	return ds, nil
}

// contains reports whether the listed target connector l is in scope.
func (ds *deletionScope) contains(l tenant.Connector) bool {
	if ds.reason != "" {
		return false
	}
	inFilter := ds.inFilter == nil || ds.inFilter[l.ScriptName]
	if ds.user != nil && !ds.user(l.Name, l.ScriptName, true) {
		return false
	}
	return ds.match(l.Name, l.ScriptName, inFilter)
}

// describeScope is the plan's account of the deletion scope.
func describeScope(src Source, opts Options) string {
	out := transform.DescribeScope(src.Manifest.Scope)
	if len(opts.DeleteScope) > 0 {
		out += "; --delete-scope " + strings.Join(quoted(opts.DeleteScope), ", ")
	}
	return out
}

func quoted(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// renamedAwayNote says, of a target connector to delete, that the bundle
// has no connector of its name because transform rules renamed the
// bundle's connector of that name (scope's Narrowed[].Renamed): the source
// tenant has it, under that name.
func renamedAwayNote(s *bundle.Scope, name string) []string {
	if s == nil {
		return nil
	}
	for _, nf := range s.Narrowed {
		for from, to := range nf.Renamed {
			if glob.SameName(from, name) && !glob.SameName(to, name) {
				return []string{fmt.Sprintf("the bundle has no connector of this name because the rules renamed the bundle's %q to %q: the source tenant still has %q; deleted here only as not in the bundle (--allow-delete)", from, to, from)}
			}
		}
	}
	return nil
}

// leftOutNote says why the target-only connector l must be kept although it is
// in scope: the export knew of a connector of the same name (ignoring letter
// case, as ISC's names are unique, and Unicode normalization: internal/glob) or the same scriptName in the source tenant
// and left it out (hidden, filtered, SailPoint-owned; bundle.Coverage.LeftOut).
// Such a connector is not absent from the source, so the bundle does not stand
// for deleting it. Connectors the export found gone (404) give no reason.
// It returns "" when nothing protects l.
func leftOutNote(m bundle.Manifest, l tenant.Connector) string {
	if m.Coverage == nil {
		return ""
	}
	for _, lo := range m.Coverage.LeftOut {
		if lo.Reason == bundle.LeftOutGone {
			continue
		}
		if (lo.Name != "" && glob.SameName(lo.Name, l.Name)) || lo.ScriptName == l.ScriptName {
			return fmt.Sprintf("not deleted: the source tenant has this connector (%s), but the export left it out (%s)", lo.ScriptName, lo.Reason)
		}
	}
	return ""
}
