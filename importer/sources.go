package importer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
)

// MatchedBySource: an unlisted (DEVELOPMENT, DEMO, DEPRECATED) connector of
// the same name, found through the target's sources, which name it.
const MatchedBySource = "source"

// SourceRef is a source that uses a connector: its id, name, and the connector
// files (jars) it shows as uploaded.
type SourceRef struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	UploadedFiles []string `json:"uploadedFiles,omitempty"`
}

// sourceIndex is what one run learned from the target's sources: one list
// walk, grouped by the scriptName each source names.
type sourceIndex struct {
	read  bool   // the sources were read
	note  string // why not, said once ("" when read or turned off)
	byUse map[string][]SourceRef
}

// uses returns the sources naming scriptName, sorted by name.
func (x *sourceIndex) uses(scriptName string) []SourceRef {
	if x == nil {
		return nil
	}
	return x.byUse[scriptName]
}

// readSources lists the target's sources once, unless opts turn discovery off.
// A 403 (the token lacks idn:sources:read) is not an error: the index says
// what could not be seen, and the run carries on without it.
func readSources(ctx context.Context, t Target, opts Options) (*sourceIndex, error) {
	if opts.NoSources {
		return &sourceIndex{}, nil
	}
	ss, err := t.ListAllSources(ctx, "")
	switch {
	case tenant.IsForbidden(err):
		return &sourceIndex{note: fmt.Sprintf("sources not read: the token lacks %s (403, tracking id %s); "+
			"hidden connectors that sources use cannot be found, and which sources use a connector is unknown",
			tenant.ScopeSourcesRead, trackingID(err))}, nil
	case err != nil:
		return nil, fmt.Errorf("read the target's sources (turn this off with --sources=false): %w", err)
	}
	return indexSources(ss), nil
}

func indexSources(ss []tenant.Source) *sourceIndex {
	x := &sourceIndex{read: true, byUse: map[string][]SourceRef{}}
	for _, s := range ss {
		if s.Connector == "" {
			continue
		}
		x.byUse[s.Connector] = append(x.byUse[s.Connector], SourceRef{ID: s.ID, Name: s.Name, UploadedFiles: s.UploadedFiles()})
	}
	for _, refs := range x.byUse {
		slices.SortFunc(refs, func(a, b SourceRef) int { return strings.Compare(a.Name+"\x00"+a.ID, b.Name+"\x00"+b.ID) })
	}
	return x
}

// hiddenInUse reads each connector that sources name but the list does not
// show, and returns their scriptNames by glob.NameKey of the name. It reads nothing
// when every bundle connector's name is listed.
func (pl *planner) hiddenInUse(ctx context.Context, listed []tenant.Connector) (map[string]string, error) {
	out := map[string]string{}
	if pl.srcs == nil || !pl.srcs.read {
		return out, nil
	}
	shown := map[string]bool{}
	names := map[string]bool{}
	for _, c := range listed {
		shown[c.ScriptName] = true
		names[glob.NameKey(c.Name)] = true
	}
	if !slices.ContainsFunc(pl.src.Connectors, func(c bundle.Connector) bool { return !names[glob.NameKey(c.Name)] }) {
		return out, nil
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(pl.opts.Concurrency)
	for _, sn := range slices.Sorted(maps.Keys(pl.srcs.byUse)) {
		if shown[sn] {
			continue
		}
		g.Go(func() error {
			d, found, err := pl.get(gctx, sn)
			if err != nil || !found { // a source may name a connector deleted since
				return err
			}
			mu.Lock()
			out[glob.NameKey(d.Name)] = sn
			mu.Unlock()
			return nil
		})
	}
	return out, g.Wait()
}

// Note texts of in-use connectors.
const (
	noteForceDeleteInUse = "--force-delete-in-use deletes it anyway"
)

// usedBy names sources for a message: "HR Prod" (2c91…), "HR EU" (…).
func usedBy(refs []SourceRef) string {
	var parts []string
	for _, r := range refs {
		parts = append(parts, fmt.Sprintf("%q (%s)", r.Name, r.ID))
	}
	return strings.Join(parts, ", ")
}

// annotateSources adds what the sources tell to a plan: the sources using
// each target connector; a deletion of a connector in use becomes a keep
// (unless ForceDeleteInUse); a create whose source scriptName target sources
// still name says that they will not follow.
func (pl *planner) annotateSources(p *Plan) {
	p.SourcesRead, p.SourcesNote = pl.srcs.read, pl.srcs.note
	if !pl.srcs.read {
		return
	}
	for i := range p.Items {
		it := &p.Items[i]
		if it.TargetScriptName != "" {
			it.Sources = pl.srcs.uses(it.TargetScriptName)
		}
		switch {
		case it.Action == ActionDelete && len(it.Sources) > 0 && !pl.opts.ForceDeleteInUse:
			it.Action = ActionKeep
			it.Notes = append(it.Notes, fmt.Sprintf("not deleted: in use by %d %s: %s; %s",
				len(it.Sources), plural(len(it.Sources), "source", "sources"), usedBy(it.Sources), noteForceDeleteInUse))
			delete(p.PreImages, it.TargetScriptName)
			delete(p.PreImageParts, it.TargetScriptName)
		case it.Action == ActionDelete && len(it.Sources) > 0:
			it.Notes = append(it.Notes, fmt.Sprintf("deleted although in use (--force-delete-in-use): %s will name a connector that no longer exists", usedBy(it.Sources)))
		case it.Action == ActionCreate:
			if stale := pl.srcs.uses(it.SourceScriptName); len(stale) > 0 {
				it.StaleSources, it.OldHolder = stale, pl.holder(it.SourceScriptName)
			}
		}
	}
}

// holder is the name of the target connector that has scriptName now, if the
// plan read it ("" otherwise).
func (pl *planner) holder(scriptName string) string {
	if name, ok := pl.details.name(scriptName); ok {
		return name
	}
	return pl.listed[scriptName]
}

// ScriptNameChange is what an import tells of a connector it created under a
// scriptName other than the bundle's: the sources that still name the old
// one (they cannot be re-pointed) and the connector that has it now, if any.
type ScriptNameChange struct {
	From    string      `json:"from"`
	To      string      `json:"to"`
	Sources []SourceRef `json:"sources,omitempty"`
	TakenBy string      `json:"takenBy,omitempty"`
}

// Lines are the user's lines about the change, most important first.
func (c *ScriptNameChange) Lines() []string {
	return append([]string{fmt.Sprintf("scriptName changed: %s → %s", c.From, c.To)}, staleLines(c.From, c.Sources, c.TakenBy)...)
}

// staleLines tell of the sources that still name old after a connector was
// (or will be) created under another scriptName, and of the connector that
// has old now.
func staleLines(old string, stale []SourceRef, takenBy string) []string {
	var out []string
	if n := len(stale); n > 0 {
		out = append(out, fmt.Sprintf("%d %s still %s %s and cannot be re-pointed (ISC refuses to change a source's connector): %s; recreate %s (spconfig-remap rewrites an SP-Config export with the mapping file)",
			n, plural(n, "source", "sources"), plural(n, "names", "name"), old, usedBy(stale), plural(n, "it", "them")))
	}
	if takenBy != "" {
		out = append(out, fmt.Sprintf("%s now belongs to another connector, %q: the sources naming %s use that connector now", old, takenBy, old))
	}
	return out
}

// deletions are the plan's deletions: name by target scriptName.
func deletions(p *Plan) map[string]string {
	out := map[string]string{}
	for _, it := range p.Items {
		if it.Action == ActionDelete {
			out[it.TargetScriptName] = it.Name
		}
	}
	return out
}

// ErrInUse: a deletion would remove a connector that sources use.
var ErrInUse = errors.New("connector in use by sources")

// checkInUse refuses, before any write, to delete a connector that target
// sources use, unless ForceDeleteInUse: deletes are the plan's deletions and
// the rollback's deletions of created connectors, by target scriptName and
// name. It reads the sources now (a saved plan may be old). Sources it cannot
// read (403, or discovery off) are not checked; the returned note says so.
func checkInUse(ctx context.Context, t Target, deletes map[string]string, opts Options) (*sourceIndex, error) {
	x, err := readSources(ctx, t, opts)
	if err != nil || !x.read || opts.ForceDeleteInUse {
		return x, err
	}
	var refused []string
	for _, sn := range slices.Sorted(maps.Keys(deletes)) {
		if refs := x.uses(sn); len(refs) > 0 {
			refused = append(refused, fmt.Sprintf("%q (%s) is used by %s", deletes[sn], sn, usedBy(refs)))
		}
	}
	if len(refused) > 0 {
		return x, fmt.Errorf("%w: %s; sources cannot be re-pointed, so they would be left broken; %s",
			ErrInUse, strings.Join(refused, "; "), noteForceDeleteInUse)
	}
	return x, nil
}

// Upload is one connector file (jar) a bundle records on a source that uses
// the connector. No operation downloads connector files, so a restore cannot
// bring them back: the result lists each, done when the target's source of
// that id (or, in another tenant, of that name) shows the file.
type Upload struct {
	Source   string `json:"source"`
	SourceID string `json:"sourceId,omitempty"` // the target source's id, when it exists
	File     string `json:"file"`
	Done     bool   `json:"done"`
}

// Line is the user's line for u.
func (u Upload) Line() string {
	switch {
	case u.Done:
		return fmt.Sprintf("uploaded: %s on source %q (%s)", u.File, u.Source, u.SourceID)
	case u.SourceID != "":
		return fmt.Sprintf("to do: upload %s to source %q (%s)", u.File, u.Source, u.SourceID)
	}
	return fmt.Sprintf("to do: source %q is not in the target: recreate it (SP-Config import; spconfig-remap rewrites its connectorScriptName), then upload %s to it", u.Source, u.File)
}

// checklistUploads adds to each item the connector files its bundle
// connector's sources had, checked against the target's sources (x, or read
// now when the plan was loaded). Sources it cannot read leave every upload
// to do.
func (a *applier) checklistUploads(ctx context.Context, res *Result, x *sourceIndex) {
	if !slices.ContainsFunc(a.plan.Items, func(it Item) bool { return hasUploads(a.src[it.SourceScriptName]) }) {
		return
	}
	if x == nil {
		var err error
		if x, err = readSources(ctx, a.t, a.opts); err != nil {
			x = &sourceIndex{}
		}
	}
	byID, byName := map[string]SourceRef{}, map[string]SourceRef{}
	for _, refs := range x.byUse {
		for _, r := range refs {
			byID[r.ID], byName[glob.NameKey(r.Name)] = r, r
		}
	}
	for i := range res.Items {
		it := &res.Items[i]
		c, ok := a.src[it.SourceScriptName]
		if !ok {
			continue
		}
		for _, s := range c.Sources {
			ref, found := byID[s.ID]
			if !found || !a.sameTenant {
				ref, found = byName[glob.NameKey(s.Name)]
			}
			for _, f := range s.UploadedFiles {
				u := Upload{Source: s.Name, File: f}
				if found {
					u.SourceID, u.Done = ref.ID, slices.Contains(ref.UploadedFiles, f)
				}
				it.Uploads = append(it.Uploads, u)
			}
		}
	}
}

func hasUploads(c bundle.Connector) bool {
	return slices.ContainsFunc(c.Sources, func(s bundle.SourceUse) bool { return len(s.UploadedFiles) > 0 })
}
