package importer

import (
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/connvault/connvault/bundle"
)

// DefaultConcurrency is how many connectors are worked on at once when
// Options.Concurrency is 0. The tenant's rate limit, not this, bounds throughput.
const DefaultConcurrency = 4

// DefaultMaxDeletes is Options.MaxDeletes when it is 0: how many connectors
// an import with AllowDelete may delete before it asks for a higher limit.
const DefaultMaxDeletes = 5

// DefaultStateDir is where journals, undo bundles and mapping files go when
// Options.StateDir is "".
const DefaultStateDir = ".connvault"

// Source is what an import reads: a verified bundle's manifest and its
// connectors, already transformed by the caller (rules, placeholders).
// ScriptName references are remapped by the importer itself.
type Source struct {
	Manifest bundle.Manifest
	Path     string
	// Connectors are the connectors, in bundle order. With Load set, the
	// importer reads content only with Load, and they need only be heads
	// (Head): ScriptName, Name, Type, ClassName, Status, Sources and the
	// locales of the translations (Translations' keys), so that an import of
	// a large bundle holds no content.
	Connectors []bundle.Connector
	// Load, when set, returns connector i (of Connectors) with its content,
	// transformed as the heads were: read again from the bundle each time.
	Load func(i int) (bundle.Connector, error)
}

// Options configure MakePlan, Apply and Rollback.
type Options struct {
	// Mapping (the --map file) maps source scriptNames to target scriptNames.
	// It matches bundle connectors to target connectors the list cannot show
	// (DEVELOPMENT/DEMO ones), or whose name differs, and it remaps references
	// to connectors outside the bundle. Every target must exist. MakePlan
	// uses it and records it in the plan; Apply uses the plan's.
	Mapping map[string]string
	// AllowDelete plans (MakePlan) and performs (Apply) the deletion of custom
	// connectors that are only in the target. Built-ins are never deleted.
	AllowDelete bool
	// DeleteScope narrows which target-only connectors AllowDelete may
	// delete: name globs (internal/glob's rule, as --include). For a bundle
	// that records no scope (written before connvault recorded one) it is
	// the only scope there is: without it such a bundle deletes nothing.
	DeleteScope []string
	// MaxDeletes bounds the deletions Apply performs: a plan deleting more
	// is refused, naming each connector. 0 means DefaultMaxDeletes; a
	// negative value allows none.
	MaxDeletes int
	// NoSources turns source discovery off (--sources=false): the target's
	// sources are not read, so unlisted connectors are not found through them
	// and deletions are not checked for sources in use.
	NoSources bool
	// ForceDeleteInUse deletes (AllowDelete, or rollback of a create) a
	// connector that target sources use; without it such a deletion is
	// refused, naming the sources.
	ForceDeleteInUse bool
	// AllowIncomplete accepts a bundle whose export recorded failed items.
	AllowIncomplete bool
	// Force makes a rollback restore parts, and delete connectors, that
	// changed since the import (PlanRollback reports them; without Force
	// they are skipped).
	Force bool
	// SkipConflicts lets Apply run a plan with conflicts, leaving those items
	// untouched; without it such a plan is refused.
	SkipConflicts bool
	// Concurrency bounds how many connectors are worked on at once (0 → 4).
	// All of them share the client's rate governor.
	Concurrency int
	// StateDir holds journals, and undo bundles and mapping files unless their
	// paths are given ("" → ".connvault"). Reruns must use the same StateDir.
	StateDir string
	// Lock, when it holds StateDir's lock (LockStateDir), is the lock Apply
	// and ApplyRollback run under; otherwise each takes the lock itself for
	// its run (and refuses with ErrStateDirBusy while another run holds it).
	Lock *StateLock
	// UndoPath is where Apply writes the undo bundle ("" → StateDir/undo-<run id>.tar.gz).
	// A rerun of an interrupted import keeps the first run's undo bundle.
	UndoPath string
	// MappingPath is where Apply writes the mapping file ("" → StateDir/mapping-<run id>.json).
	MappingPath string
	// ToolVersion is recorded in undo bundles.
	ToolVersion string
	// Now returns the time recorded in plans, journals and undo bundles (nil → time.Now).
	Now func() time.Time
	// Progress is told about each item Apply or Rollback finishes (nil → none).
	Progress Progress
	// Logger receives debug and warning logs (nil → discard).
	Logger *slog.Logger
}

// Progress receives progress reports from Apply and Rollback; it has the
// shape of export.Progress, so one progress bar serves both.
type Progress interface {
	// SetTotal is called once with the number of items that will be worked on.
	SetTotal(n int)
	// Done reports one item finished: err is nil when it fully succeeded. It
	// is called from any goroutine.
	Done(name string, err error)
}

type noProgress struct{}

func (noProgress) SetTotal(int)       {}
func (noProgress) Done(string, error) {}

// report tells p about a finished item.
func report(p Progress, r ItemResult) {
	var err error
	switch r.Status {
	case StatusFailed, StatusPartial:
		err = errors.New(firstNonEmpty(r.Error, strings.Join(r.Notes, "; "), r.Status))
	}
	p.Done(r.Name, err)
}

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MaxDeletes == 0 {
		o.MaxDeletes = DefaultMaxDeletes
	}
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
