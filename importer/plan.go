package importer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/internal/collation"
	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/transform"
)

// Errors of bad input, refused by MakePlan before anything is written.
var (
	// ErrIncomplete: the bundle records connectors that could not be exported.
	ErrIncomplete = errors.New("bundle is incomplete")
	// ErrConflictingNames: two bundle connectors share a name, or would land
	// on the same target connector.
	ErrConflictingNames = errors.New("conflicting names")
	// ErrMapping: the mapping names a target connector that does not exist.
	ErrMapping = errors.New("bad mapping")
)

// Action is what an import does with one connector.
type Action string

// The actions of a plan.
const (
	ActionCreate    Action = "create"    // not in the target: create it, then write its parts
	ActionUpdate    Action = "update"    // in the target, some parts differ: write those
	ActionUnchanged Action = "unchanged" // in the target and equal
	ActionConflict  Action = "conflict"  // same name, different type or className (or read-only): not applied
	ActionDelete    Action = "delete"    // only in the target, deletion allowed
	ActionKeep      Action = "keep"      // only in the target, kept
	// ActionSkip is a rollback result's: the connector was left alone,
	// changed since the import (RollbackItem.Skipped).
	ActionSkip Action = "skip"
)

// How a bundle connector was matched to a target connector (Item.MatchedBy).
const (
	MatchedByMapping    = "mapping"    // the mapping file names it
	MatchedByName       = "name"       // the list shows a connector of that name
	MatchedByJournal    = "journal"    // an earlier import into this target created it
	MatchedByScriptName = "scriptName" // the source scriptName exists here (restore into the same tenant)
)

// Item is one connector of a plan.
type Item struct {
	Action           Action   `json:"action"`
	Name             string   `json:"name"`
	Key              string   `json:"key,omitempty"` // bundle key; "" for target-only connectors
	SourceScriptName string   `json:"sourceScriptName,omitempty"`
	TargetScriptName string   `json:"targetScriptName,omitempty"` // "" for a create
	MatchedBy        string   `json:"matchedBy,omitempty"`
	Parts            []string `json:"parts,omitempty"`  // in write order: "source-config", …, "translations/de", "metadata"
	Notes            []string `json:"notes,omitempty"`  // differences not written, irreversible effects
	Reason           string   `json:"reason,omitempty"` // why a conflict is one
	// Sources are the target sources that use TargetScriptName (when the
	// sources were read).
	Sources []SourceRef `json:"sources,omitempty"`
	// StaleSources (creates only) are the target sources that name
	// SourceScriptName: a connector created under a new scriptName leaves
	// them behind. OldHolder names the target connector that has
	// SourceScriptName now, if any.
	StaleSources []SourceRef `json:"staleSources,omitempty"`
	OldHolder    string      `json:"oldScriptNameHolder,omitempty"`
	// WouldDelete (keep items of a plan without --allow-delete): the
	// connector is inside the deletion scope, so --allow-delete would delete
	// it. False where --allow-delete would keep it too.
	WouldDelete bool `json:"wouldDelete,omitempty"`
	// Status is the connector's status in the target once imported: the
	// target's for a matched connector (the API cannot change it), the
	// bundle's for a create (DEVELOPMENT for DEPRECATED). Not RELEASED means
	// the target's connector list hides it (see Result.Hidden).
	Status string `json:"targetStatus,omitempty"`
	// ContinuesCreate (updates and unchanged items): the unfinished run this
	// import continues created the target connector; writing its parts
	// finishes that create, and a rollback of the run deletes it.
	ContinuesCreate bool `json:"continuesCreate,omitempty"`

	normalised []string // parts equal to the target's only in canonical form
}

// PlanFormat and PlanFormatVersion identify saved plan files.
const (
	PlanFormat        = "connvault-plan"
	PlanFormatVersion = 1
)

// BundleRef identifies the bundle a plan was made from.
type BundleRef struct {
	Path          string `json:"path,omitempty"`          // "-" for a bundle read from standard input
	ContentDigest string `json:"contentDigest,omitempty"` // the manifest's
	InputDigest   string `json:"inputDigest"`             // of the connectors after transforms
}

// TargetRef identifies a tenant.
type TargetRef struct {
	URL string `json:"url"`
	API string `json:"api,omitempty"`
}

// Plan is what an import will do, computed from the bundle and the target's
// state by MakePlan. A saved plan (SavePlan) is applied only if the target has
// not drifted since: PreImages holds what was read.
type Plan struct {
	Format        string            `json:"format"`
	FormatVersion int               `json:"formatVersion"`
	Bundle        BundleRef         `json:"bundle"`
	Target        TargetRef         `json:"target"`
	Mapping       map[string]string `json:"mapping,omitempty"` // the --map used: Apply remaps with it
	AllowDelete   bool              `json:"allowDelete,omitempty"`
	// Rules, Values and Map are the paths of the rules, values and mapping
	// files the plan was made with, recorded by the caller so that applying a
	// saved plan can prepare the same input again. The importer ignores them.
	Rules  string `json:"rules,omitempty"`
	Values string `json:"values,omitempty"`
	Map    string `json:"map,omitempty"`
	// Include and Exclude are the name globs (plan --include/--exclude) the
	// plan was made with, recorded by the caller like Rules.
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
	Items   []Item   `json:"items"`
	// PreImages maps the target scriptName of every connector matched (and of
	// every one to delete) to the SHA-256 of its detail as read.
	PreImages map[string]string `json:"preImages"`
	// PreImageParts holds per-part hashes of the same, to name what drifted.
	PreImageParts map[string]map[string]string `json:"preImageParts,omitempty"`
	// SourcesRead: the target's sources were read (Item.Sources is known);
	// SourcesNote says why not when they could not be.
	SourcesRead bool   `json:"sourcesRead"`
	SourcesNote string `json:"sourcesNote,omitempty"`
	// Scope is the bundle's scope after the rules (nil: not recorded), and
	// ScopeText describes it with Options.DeleteScope. Only target
	// connectors inside it can be deleted.
	Scope     *bundle.Scope `json:"scope,omitempty"`
	ScopeText string        `json:"scopeText,omitempty"`
	// InScope counts the target's custom connectors inside the scope, the
	// matched ones included; -1 when deletion was not allowed.
	InScope int `json:"inScope"`
	// ScopeChecked: every deletion was checked against the scope. Apply
	// refuses deletions of a plan without it (a plan saved by an older
	// connvault).
	ScopeChecked bool `json:"scopeChecked,omitempty"`
	// Warnings name every place where a bundle connector, as the import
	// will write it, still names the source scriptName of a bundle connector
	// whose scriptName differs in the target (leftoverReferences).
	Warnings []string `json:"warnings,omitempty"`
	// Absent lists the names to create: none of them was listed when planned.
	Absent []string `json:"absent,omitempty"`
	// TargetOnly lists the scriptNames of custom connectors only in the target.
	TargetOnly []string `json:"targetOnly,omitempty"`
	// Normalised says, once, that the target serves parts in another form
	// than the bundle (line endings, XML declaration) which count as equal
	// in canonical form; "" when it serves them as the bundle holds them.
	Normalised string `json:"normalised,omitempty"`
	// Reads and Requests count what planning cost (Requests: HTTP requests,
	// -1 when the target does not count them).
	Reads     int64     `json:"reads"`
	Requests  int64     `json:"requests"`
	CreatedAt time.Time `json:"createdAt"`

	details *detailStore // as read, spooled; nil once applied or when loaded
	srcs    *sourceIndex // the target's sources as read; nil when loaded
}

// HasChanges reports whether applying the plan would write anything.
func (p *Plan) HasChanges() bool {
	for _, it := range p.Items {
		switch it.Action {
		case ActionCreate, ActionUpdate, ActionDelete:
			return true
		}
	}
	return false
}

// Count returns how many items have action a.
func (p *Plan) Count(a Action) int {
	n := 0
	for _, it := range p.Items {
		if it.Action == a {
			n++
		}
	}
	return n
}

// MakePlan reads the target (the list, then one GET per matched connector)
// and plans the import of src. It writes nothing. Bad input is refused here:
// an incomplete bundle (unless AllowIncomplete), duplicate names, two bundle
// connectors matching one target connector, a mapping naming a missing
// connector.
//
// Matching, in order: the mapping; a listed connector of the same name
// (case-insensitively); scriptNames that earlier imports into this target
// created under that name (from the journals in StateDir); the source
// scriptName itself when the bundle comes from this very tenant. The list does
// not show DEVELOPMENT/DEMO connectors, so a connector of the same name that is
// not RELEASED and not found by these probes is planned as a create; the
// tenant will refuse the name and the item fails asking for a mapping entry.
func MakePlan(ctx context.Context, t Target, src Source, opts Options) (*Plan, error) {
	opts = opts.withDefaults()
	if err := checkSource(src, opts); err != nil {
		return nil, err
	}
	m := newMeter(t)
	// One pass over the content: the digest, and what details must be
	// completed with (meter.want), before any detail is read.
	digest, err := inputDigest(src, m.want)
	if err != nil {
		return nil, err
	}
	pl := &planner{t: m, src: src, opts: opts, details: newDetailStore()}
	p, err := pl.plan(ctx, digest)
	if err != nil {
		pl.details.close()
		return nil, err
	}
	return p, nil
}

func (pl *planner) plan(ctx context.Context, digest string) (*Plan, error) {
	m, src, opts, t := pl.t, pl.src, pl.opts, pl.t.Target
	matches, listed, err := pl.match(ctx)
	if err != nil {
		return nil, err
	}
	p := &Plan{
		Format:        PlanFormat,
		FormatVersion: PlanFormatVersion,
		Bundle:        BundleRef{Path: src.Path, ContentDigest: src.Manifest.ContentDigest, InputDigest: digest},
		Target:        TargetRef{URL: t.BaseURL(), API: t.API()},
		Mapping:       maps.Clone(opts.Mapping),
		AllowDelete:   opts.AllowDelete,
		PreImages:     map[string]string{},
		PreImageParts: map[string]map[string]string{},
		CreatedAt:     opts.Now().UTC(),
		details:       pl.details,
	}
	remap := remapTable(opts.Mapping, src.Connectors, matches)
	for i := range src.Connectors {
		c, err := src.load(i)
		if err != nil {
			return nil, err
		}
		var d tenant.ConnectorDetail
		if matches[i].target != "" {
			if d, _, err = pl.details.get(matches[i].target); err != nil {
				return nil, err
			}
		}
		it, err := planItem(c, matches[i], d, remap)
		if err != nil {
			return nil, err
		}
		m.norm.add(c.Name, it.normalised)
		it.normalised = nil
		if it.Action == ActionCreate {
			p.Absent = append(p.Absent, c.Name)
		} else if it.Action != ActionConflict {
			p.addPreImage(d)
		}
		p.Items = append(p.Items, it)
	}
	slices.SortStableFunc(p.Items, func(a, b Item) int { return strings.Compare(a.Key, b.Key) })
	if err := markContinued(p, pl.opts.StateDir); err != nil {
		return nil, err
	}
	if p.Warnings, err = leftoverReferences(src, matches, remap); err != nil {
		return nil, err
	}
	only, inScope, err := pl.targetOnly(ctx, listed, matches)
	if err != nil {
		return nil, err
	}
	p.Scope, p.ScopeText, p.InScope, p.ScopeChecked = src.Manifest.Scope, describeScope(src, opts), inScope, true
	for _, it := range only {
		p.TargetOnly = append(p.TargetOnly, it.TargetScriptName)
		if it.Action == ActionDelete {
			d, _, err := pl.details.get(it.TargetScriptName)
			if err != nil {
				return nil, err
			}
			p.addPreImage(d)
		}
		p.Items = append(p.Items, it)
	}
	pl.annotateSources(p)
	p.srcs = pl.srcs
	p.Reads, p.Requests = m.reads.Load(), m.requests()
	p.Normalised = m.norm.summary()
	return p, nil
}

// markContinued marks the items whose target connector the unfinished run
// of this import (in stateDir; the run Apply will continue) created: a fresh
// plan matches them by name or journal, as updates, but they are that run's
// creates. A locale such an update adds can be undone after all: a rollback
// of the run deletes the connector.
func markContinued(p *Plan, stateDir string) error {
	runs, err := readRuns(stateDir)
	if err != nil {
		return err
	}
	r, ok := resumable(runs, p.Target.URL, planBundleID(p))
	if !ok {
		return nil
	}
	creates, err := r.creates()
	if err != nil {
		return err
	}
	for i := range p.Items {
		it := &p.Items[i]
		if it.TargetScriptName == "" || it.Action != ActionUpdate && it.Action != ActionUnchanged ||
			creates[glob.NameKey(it.Name)].scriptName != it.TargetScriptName {
			continue
		}
		it.ContinuesCreate = true
		it.Notes = slices.DeleteFunc(it.Notes, func(n string) bool { return strings.HasSuffix(n, noteLocaleIrreversible) })
		it.Notes = append(it.Notes, fmt.Sprintf("%s (%s): this finishes its create, and a rollback of that run deletes it", noteContinues, r.begin.RunID))
	}
	return nil
}

// noteContinues is the note of a connector the run an import continues
// created.
const noteContinues = "created by the interrupted run this one continues"

// noteLocaleIrreversible ends the note of a locale an update adds.
const noteLocaleIrreversible = "cannot be undone (the API cannot delete a locale)"

func (p *Plan) addPreImage(d tenant.ConnectorDetail) {
	p.PreImages[d.ScriptName] = detailHash(d)
	p.PreImageParts[d.ScriptName] = partHashes(d)
}

// checkSource refuses input that cannot be imported, before any request.
func checkSource(src Source, opts Options) error {
	if !src.Manifest.Complete && !opts.AllowIncomplete {
		var names []string
		for _, e := range src.Manifest.Errors {
			names = append(names, fmt.Sprintf("%s (%s)", e.Subject(), e.Error))
		}
		return fmt.Errorf("%w: the export is incomplete: %s; fix the export or import anyway with --allow-incomplete",
			ErrIncomplete, strings.Join(names, ", "))
	}
	names := map[string]bundle.Connector{}
	scripts := map[string]bool{}
	for _, c := range src.Connectors {
		if c.ScriptName == "" || c.Name == "" {
			return fmt.Errorf("bundle connector %q (scriptName %q): name and scriptName are required", c.Name, c.ScriptName)
		}
		if scripts[c.ScriptName] {
			return fmt.Errorf("%w: scriptName %q appears twice in the bundle", ErrConflictingNames, c.ScriptName)
		}
		scripts[c.ScriptName] = true
		key := glob.NameKey(c.Name)
		if other, ok := names[key]; ok {
			return fmt.Errorf("%w: bundle connectors %q (%s) and %q (%s) have the same name; connector names are unique in a tenant",
				ErrConflictingNames, other.Name, other.ScriptName, c.Name, c.ScriptName)
		}
		names[key] = c
	}
	return nil
}

// match is a bundle connector's counterpart in the target, whose detail
// the planner's store holds.
type match struct {
	target string // target scriptName; "" → create
	by     string
}

type planner struct {
	t    *meter
	src  Source
	opts Options

	srcs   *sourceIndex      // the target's sources, read once by match
	listed map[string]string // listed scriptName → name

	details *detailStore // the target details read, by target scriptName
}

// get returns a target connector, reading it once; found is false on a 404.
// The detail is spooled (detailStore), and read back from the spool when
// asked for again.
func (pl *planner) get(ctx context.Context, scriptName string) (d tenant.ConnectorDetail, found bool, err error) {
	if d, ok, err := pl.details.get(scriptName); ok || err != nil {
		return d, ok, err
	}
	d, err = pl.t.GetConnector(ctx, scriptName)
	if tenant.IsNotFound(err) {
		return d, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("read connector %q: %w", scriptName, err)
	}
	return d, true, pl.details.put(d)
}

// match finds each bundle connector's counterpart in the target and reads it.
func (pl *planner) match(ctx context.Context) ([]match, []tenant.Connector, error) {
	listed, err := pl.t.ListAllConnectors(ctx, "", nil)
	if err != nil {
		return nil, nil, fmt.Errorf("list connectors of the target: %w", err)
	}
	for i, l := range listed {
		// What planning uses of a list item; its metadata, features and
		// unknown members would be held for the whole run.
		listed[i] = tenant.Connector{Name: l.Name, Type: l.Type, ScriptName: l.ScriptName, ClassName: l.ClassName, Status: l.Status}
	}
	if err := pl.checkMapping(ctx); err != nil {
		return nil, nil, err
	}
	if pl.srcs, err = readSources(ctx, pl.t, pl.opts); err != nil {
		return nil, nil, err
	}
	hidden, err := pl.hiddenInUse(ctx, listed)
	if err != nil {
		return nil, nil, err
	}
	byName := map[string][]tenant.Connector{}
	pl.listed = map[string]string{}
	for _, c := range listed {
		pl.listed[c.ScriptName] = c.Name
		k := glob.NameKey(c.Name)
		byName[k] = append(byName[k], c)
	}
	earlier, err := createdEarlier(pl.opts.StateDir, pl.t.BaseURL())
	if err != nil {
		return nil, nil, err
	}
	sameTenant := pl.src.Manifest.Source.URL != "" && tenant.SameURL(pl.src.Manifest.Source.URL, pl.t.BaseURL())

	matches := make([]match, len(pl.src.Connectors))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(pl.opts.Concurrency)
	for i, c := range pl.src.Connectors {
		if err := gctx.Err(); err != nil {
			break
		}
		g.Go(func() error {
			k := glob.NameKey(c.Name)
			m, err := pl.matchOne(gctx, c, byName[k], hidden[k], earlier[k], sameTenant)
			matches[i] = m
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	claimed := map[string]int{}
	for i, m := range matches {
		if m.target == "" {
			continue
		}
		if j, ok := claimed[m.target]; ok {
			a, b := pl.src.Connectors[j], pl.src.Connectors[i]
			return nil, nil, fmt.Errorf("%w: bundle connectors %q (%s, by %s) and %q (%s, by %s) both match target connector %q",
				ErrConflictingNames, a.Name, a.ScriptName, matches[j].by, b.Name, b.ScriptName, m.by, m.target)
		}
		claimed[m.target] = i
	}
	return matches, listed, nil
}

func (pl *planner) matchOne(ctx context.Context, c bundle.Connector, listed []tenant.Connector, hidden string, journal []string, sameTenant bool) (match, error) {
	if t, ok := pl.opts.Mapping[c.ScriptName]; ok {
		_, _, err := pl.get(ctx, t) // existence checked by checkMapping
		return match{target: t, by: MatchedByMapping}, err
	}
	if len(listed) > 0 {
		pick := listed[0]
		if len(listed) > 1 {
			i := slices.IndexFunc(listed, func(l tenant.Connector) bool { return l.Name == c.Name })
			if i < 0 {
				return match{}, fmt.Errorf("%w: the target lists several connectors named like %q; name the right one in the mapping file",
					ErrConflictingNames, c.Name)
			}
			pick = listed[i]
		}
		_, found, err := pl.get(ctx, pick.ScriptName)
		if err != nil {
			return match{}, err
		}
		if !found {
			return match{}, fmt.Errorf("read connector %q (%q): listed but not found; the target is changing, plan again", pick.ScriptName, c.Name)
		}
		return match{target: pick.ScriptName, by: MatchedByName}, nil
	}
	type candidate struct{ scriptName, by string }
	var cands []candidate
	if hidden != "" {
		cands = append(cands, candidate{hidden, MatchedBySource})
	}
	for _, s := range journal {
		cands = append(cands, candidate{s, MatchedByJournal})
	}
	if sameTenant {
		cands = append(cands, candidate{c.ScriptName, MatchedByScriptName})
	}
	seen := map[string]bool{}
	for _, cand := range cands {
		if seen[cand.scriptName] {
			continue
		}
		seen[cand.scriptName] = true
		d, found, err := pl.get(ctx, cand.scriptName)
		if err != nil {
			return match{}, err
		}
		if found && glob.SameName(d.Name, c.Name) {
			return match{target: cand.scriptName, by: cand.by}, nil
		}
	}
	return match{}, nil
}

// checkMapping reads every target the mapping names; all must exist.
func (pl *planner) checkMapping(ctx context.Context) error {
	var (
		mu      sync.Mutex
		missing []string
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(pl.opts.Concurrency)
	for _, src := range slices.Sorted(maps.Keys(pl.opts.Mapping)) {
		g.Go(func() error {
			t := pl.opts.Mapping[src]
			_, found, err := pl.get(gctx, t)
			if err != nil {
				return fmt.Errorf("check mapping %q → %q: %w", src, t, err)
			}
			if !found {
				mu.Lock()
				missing = append(missing, fmt.Sprintf("%q → %q", src, t))
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("%w: the target has no connector for %s", ErrMapping, strings.Join(missing, ", "))
	}
	return nil
}

// ValidateMapping checks that every target scriptName of m exists in t; the
// error names each one that does not.
func ValidateMapping(ctx context.Context, t Target, m map[string]string) error {
	pl := &planner{t: newMeter(t), opts: Options{Mapping: m}.withDefaults(), details: newDetailStore()}
	defer pl.details.close()
	return pl.checkMapping(ctx)
}

// targetOnly plans the custom connectors the list shows and no bundle
// connector matched: kept, or, with AllowDelete, deleted when they are inside
// the bundle's deletion scope (read first, for the undo bundle). Built-ins
// are left out. An incomplete bundle deletes nothing (any target-only
// connector may be one the export failed to capture, listed or not in its
// errors), nor does a bundle holding no connector, nor one that records no
// scope unless Options.DeleteScope states one. It also returns how many of
// the target's custom connectors are in scope (the matched ones count), or
// -1 when deletion is not allowed.
func (pl *planner) targetOnly(ctx context.Context, listed []tenant.Connector, matches []match) ([]Item, int, error) {
	claimed := map[string]bool{}
	for _, m := range matches {
		claimed[m.target] = true
	}
	inScope := -1
	scope, err := newDeletionScope(ctx, pl.t, pl.src, pl.opts)
	var wouldDelete func(tenant.Connector) bool
	if !pl.opts.AllowDelete {
		// Without --allow-delete the scope only says which connectors it
		// would delete (Item.WouldDelete); if it cannot be evaluated, none
		// is said to be.
		if err == nil && scope.reason == "" {
			in := scope
			wouldDelete = func(l tenant.Connector) bool { return in.contains(l) && leftOutNote(pl.src.Manifest, l) == "" }
		}
		scope = nil
	} else {
		if err != nil {
			return nil, 0, err
		}
		inScope = 0
		for _, m := range matches {
			if m.target != "" {
				inScope++
			}
		}
	}
	var items []Item
	for _, l := range listed {
		if claimed[l.ScriptName] || builtIn(l.Type) {
			continue
		}
		it := Item{Action: ActionKeep, Name: l.Name, TargetScriptName: l.ScriptName}
		switch {
		case scope == nil:
			it.WouldDelete = wouldDelete != nil && wouldDelete(l)
			if it.WouldDelete {
				it.Notes = append(it.Notes, renamedAwayNote(pl.src.Manifest.Scope, l.Name)...)
			}
		case scope.reason != "":
			it.Notes = append(it.Notes, scope.reason)
		case !scope.contains(l):
			it.Notes = append(it.Notes, noteOutside)
		case leftOutNote(pl.src.Manifest, l) != "":
			it.Notes = append(it.Notes, leftOutNote(pl.src.Manifest, l))
		default:
			inScope++
			it.Action = ActionDelete
			it.Notes = append(it.Notes, renamedAwayNote(pl.src.Manifest.Scope, l.Name)...)
			d, found, err := pl.get(ctx, l.ScriptName)
			if err != nil {
				return nil, 0, err
			}
			if !found {
				continue // deleted meanwhile
			}
			if !builtIn(d.Type) {
				items = append(items, it)
			}
			continue
		}
		items = append(items, it)
	}
	slices.SortFunc(items, func(a, b Item) int {
		if c := collation.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.TargetScriptName, b.TargetScriptName)
	})
	return items, inScope, nil
}

// remapTable returns the scriptName remapping to apply to bundle content:
// the mapping file, then each matched connector (source → target).
func remapTable(mapping map[string]string, cs []bundle.Connector, matches []match) map[string]string {
	out := map[string]string{}
	for s, t := range mapping {
		if s != t {
			out[s] = t
		}
	}
	for i, m := range matches {
		if m.target != "" && m.target != cs[i].ScriptName {
			out[cs[i].ScriptName] = m.target
		}
	}
	return out
}

// leftoverReferences returns a warning for every place where a bundle
// connector, remapped as the import will write it, still names the source
// scriptName of a bundle connector that has another scriptName in the target
// (one matched under another scriptName, or one to create, whose scriptName
// the tenant will choose): a reference under a key that does not name a
// scriptName, which remapping leaves alone (transform.RemapScriptNames).
func leftoverReferences(src Source, matches []match, remap map[string]string) ([]string, error) {
	cs := src.Connectors
	scan := maps.Clone(remap)
	var names []string
	for i, c := range cs {
		switch t := matches[i].target; {
		case t == "":
			// Any value but the source's, and no word bytes: one that
			// held the source scriptName (it was "\x00new:" + it) is
			// found in the remapped content, and every reference to a
			// create was warned of as not remapped.
			scan[c.ScriptName] = createdPlaceholder
			names = append(names, c.ScriptName)
		case t != c.ScriptName:
			names = append(names, c.ScriptName)
		}
	}
	var out []string
	finder := transform.NewScriptNameFinder(names)
	for i := range cs {
		if len(names) == 0 {
			break
		}
		c, err := src.load(i)
		if err != nil {
			return nil, err
		}
		for _, o := range finder.Find(transform.RemapScriptNames(c, scan)) {
			out = append(out, fmt.Sprintf("%q: %s names the source scriptName %q, which is not remapped (it is not tied to a key naming a scriptName); if it is a reference, rewrite it with a replace rule",
				c.Name, o.File+fmt.Sprintf(" line %d", o.Line), o.ScriptName))
		}
	}
	return out, nil
}

// createdPlaceholder stands for the scriptName a create will get when
// leftoverReferences remaps references to it: no byte of it is a word byte
// (transform.FindScriptNames), so it never reads as a scriptName.
const createdPlaceholder = "\x00#\x00"

// remapped returns c with scriptName references rewritten by table.
func remapped(c bundle.Connector, table map[string]string) bundle.Connector {
	if len(table) == 0 {
		return c
	}
	return transform.RemapScriptNames(c, table)
}

// planItem plans one bundle connector against its match.
func planItem(c bundle.Connector, m match, d tenant.ConnectorDetail, remap map[string]string) (Item, error) {
	it := Item{Name: c.Name, Key: bundle.KeyFor(c.ScriptName), SourceScriptName: c.ScriptName,
		TargetScriptName: m.target, MatchedBy: m.by}
	want, err := bundleContent(remapped(c, remap))
	if err != nil {
		return Item{}, err
	}
	it.Status = c.Status
	if m.target != "" && d.Status != "" {
		it.Status = string(d.Status)
	}
	if m.target == "" {
		it.Action = ActionCreate
		it.Parts = allParts(want)
		if c.ClassName == "" {
			it.Action, it.Reason = ActionConflict, "the bundle has no className, which the tenant requires to create a connector"
		}
		if c.Status == string(tenant.StatusDeprecated) {
			it.Notes = append(it.Notes, "status DEPRECATED cannot be set on create: it will be created as DEVELOPMENT")
			it.Status = string(tenant.StatusDevelopment)
		}
		return it, nil
	}
	if reason := conflictReason(c, d); reason != "" {
		it.Action, it.Reason = ActionConflict, reason
		return it, nil
	}
	have := detailContent(d)
	it.normalised = normalisedParts(want, have)
	it.Parts = diff(want, have)
	if owned, _ := tenant.SailPointOwned(d.Type, d); len(it.Parts) > 0 && owned {
		it.Action, it.Reason = ActionConflict, fmt.Sprintf("%s differ, but SailPoint's built-in connectors are read-only", strings.Join(it.Parts, ", "))
		it.Parts = nil
		return it, nil
	}
	it.Notes = differences(c, want, d, have)
	it.Action = ActionUnchanged
	if len(it.Parts) > 0 {
		it.Action = ActionUpdate
	}
	return it, nil
}

// conflictReason says why c cannot be imported into d, or "".
func conflictReason(c bundle.Connector, d tenant.ConnectorDetail) string {
	var rs []string
	if c.Type != "" && d.Type != "" && c.Type != d.Type {
		rs = append(rs, fmt.Sprintf("type differs (bundle %q, target %q)", c.Type, d.Type))
	}
	if c.ClassName != "" && d.ClassName != "" && c.ClassName != d.ClassName {
		rs = append(rs, fmt.Sprintf("className differs (bundle %q, target %q)", c.ClassName, d.ClassName))
	}
	if len(rs) == 0 {
		return ""
	}
	return strings.Join(rs, "; ") + "; the API cannot change them"
}

// differences notes what an update cannot make equal, and what it cannot undo.
func differences(c bundle.Connector, want content, d tenant.ConnectorDetail, have content) []string {
	var notes []string
	if c.Name != d.Name {
		notes = append(notes, fmt.Sprintf("named %q in the target: names cannot be changed", d.Name))
	}
	if c.Status != "" && d.Status != "" && c.Status != string(d.Status) {
		notes = append(notes, fmt.Sprintf("status is %s in the bundle, %s in the target: the API cannot change it", c.Status, d.Status))
	}
	if dc := directConnect(c); dc != d.DirectConnect {
		notes = append(notes, fmt.Sprintf("directConnect is %t in the bundle, %t in the target: the API cannot change it", dc, d.DirectConnect))
	}
	notes = append(notes, unwritableDifferences(c, d)...)
	haveLocales, wantLocales := have.locales(), want.locales()
	for _, l := range wantLocales {
		if !slices.Contains(haveLocales, l) {
			notes = append(notes, fmt.Sprintf("adds locale %s: %s", l, noteLocaleIrreversible))
		}
	}
	for _, l := range haveLocales {
		if !slices.Contains(wantLocales, l) {
			notes = append(notes, fmt.Sprintf("keeps locale %s, which the bundle lacks (the API cannot delete a locale)", l))
		}
	}
	return notes
}

// noted are the connector.json fields differences already notes, or that
// make a conflict (type, className).
var noted = []string{"name", "status", "directConnect", "type", "className"}

// unwritableDifferences notes every other connector.json field (besides
// connectorMetadata and the fields each tenant sets its own way,
// bundle.TenantFields) whose value differs between the bundle and the
// target: no API operation writes them (per the v2025 spec, updateConnector
// patches only connectorMetadata and the three XML documents), so an update
// leaves them as they are and an "unchanged" connector may still differ
// there, e.g. fileUpload or sourceConfigFrom.
func unwritableDifferences(c bundle.Connector, d tenant.ConnectorDetail) []string {
	have, err := toBundle(d)
	if err != nil {
		return nil
	}
	fs, err := bundle.DetailDifferences(c.Detail, have.Detail, true)
	if err != nil {
		return nil
	}
	var notes []string
	for _, f := range fs {
		if slices.Contains(noted, f.Field) {
			continue
		}
		notes = append(notes, fmt.Sprintf("%s is %s in the bundle, %s in the target: the API cannot change it", f.Field, jsonValue(f.A), jsonValue(f.B)))
	}
	return notes
}

// jsonValue shows a field's compact JSON value, "absent" for none, and cuts
// a long one short.
func jsonValue(v []byte) string {
	switch {
	case v == nil:
		return "absent"
	case len(v) > 60:
		return string(v[:57]) + "..."
	}
	return string(v)
}
