package export

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
)

// DefaultConcurrency is how many connectors are fetched at once when
// Options.Concurrency is 0.
const DefaultConcurrency = 8

// Source is the tenant an export reads. *tenant.Client satisfies it.
// Its methods are called from several goroutines at once.
type Source interface {
	// ListAllConnectors returns every connector the list shows (RELEASED
	// ones only), reading every page, with filters sent as the ISC filters
	// parameter ("" for none). It calls onTotal, if not nil, with the
	// tenant's count of matching connectors as soon as it is known.
	ListAllConnectors(ctx context.Context, filters string, onTotal func(total int)) ([]tenant.Connector, error)
	// GetConnector returns the detail of the connector scriptName, whatever
	// its status. An unknown scriptName is an error for which
	// tenant.IsNotFound reports true.
	GetConnector(ctx context.Context, scriptName string) (tenant.ConnectorDetail, error)
	// GetPart returns the bytes the tenant serves for part p of connector
	// scriptName, unchanged. A part the connector does not have is an error
	// for which tenant.IsNotFound reports true.
	GetPart(ctx context.Context, scriptName string, p tenant.Part) ([]byte, error)
	// ListAllSources returns every source of the tenant (each names its
	// connector's scriptName). Without the scope to read them it returns an
	// error for which tenant.IsForbidden reports true.
	ListAllSources(ctx context.Context, filters string) ([]tenant.Source, error)
}

// Progress hears how an export advances. Run serialises its calls.
type Progress interface {
	// SetTotal sets the number of connectors expected. It may be called more
	// than once: first with the tenant's count while listing, then with the
	// exact number chosen for export.
	SetTotal(n int)
	// Done reports one connector finished: exported when err is nil, else
	// recorded as failed (or, with FailFast, about to abort the run). name
	// is the connector's name, or its scriptName when the list did not show it.
	Done(name string, err error)
}

// NopProgress is a Progress that ignores everything, the default.
type NopProgress struct{}

// SetTotal does nothing.
func (NopProgress) SetTotal(int) {}

// Done does nothing.
func (NopProgress) Done(string, error) {}

// Options says what to export and how. The zero value exports every custom
// connector the list shows, with all 19 locales, 8 at a time.
type Options struct {
	// Filter is sent to the tenant as the list's ISC filters parameter.
	Filter string
	// Include and Exclude are globs matched locally against each listed
	// connector's name, ignoring case (see the package documentation).
	Include, Exclude []string
	// ScriptNames are connectors exported whatever the list, the filters and
	// globs say: the way to export DEVELOPMENT and DEMO connectors.
	ScriptNames []string
	// Locales are the translations asked for. Empty (or "all") means the
	// spec's 19; the single value "detail" means only those named by each
	// connector's translationProperties.
	Locales []string
	// Parts says how each connector's parts are read: PartsAuto (the
	// default, ""), PartsDetail or PartsEndpoints. Under PartsAuto and
	// PartsDetail a part the detail carries costs no request of its own.
	Parts string
	// CarryForward are hidden connectors carried forward from earlier
	// bundles (see CarryForward): exported like ScriptNames, except that the
	// globs apply to them and one the tenant no longer has is left out as
	// gone instead of failing. CarriedFrom names those bundles, for the
	// manifest.
	CarryForward []Hidden
	CarriedFrom  []string
	// NoSources turns source discovery off (--sources=false). Otherwise the
	// tenant's sources are read once: hidden connectors they use are
	// exported (the coverage says which source brought each in), and every
	// connector's manifest entry lists the sources using it and their
	// uploaded connector files.
	NoSources bool
	// BuiltIn includes SailPoint-owned connectors, which are left out by
	// default (see sailPointOwned for the rule).
	BuiltIn bool
	// Concurrency is how many connectors are fetched at once; 0 means
	// DefaultConcurrency.
	Concurrency int
	// FailFast aborts the run at the first connector that cannot be read
	// instead of recording it and going on.
	FailFast bool
	// Progress hears about every connector; nil means NopProgress.
	Progress Progress
	// Logger receives debug and warning records; nil discards them.
	Logger *slog.Logger
}

// Result is what an export did.
type Result struct {
	// Manifest is left zero by Run, which does not commit; a caller that
	// commits the writer stores Commit's manifest here for reporting.
	Manifest bundle.Manifest
	// Connectors is how many connectors were added to the bundle; Names
	// maps each one's scriptName to its name.
	Connectors int
	Names      map[string]string
	// Files and Bytes count the files added and their total size.
	Files int
	Bytes int64
	// Failed are the connectors that could not be read, also recorded in
	// the writer with Fail, sorted by scriptName.
	Failed []bundle.ItemError
	// Coverage is what the run knew of the tenant besides what it exported:
	// how many connectors were listed and counted, the hidden ones named or
	// carried forward, and every connector known but left out, with the
	// reason. Run also records it in the writer (SetCoverage).
	Coverage bundle.Coverage
	// Reads is how the parts were read: the mode, the sample and why a kind
	// of part went to per-part reads. Run also records it in the writer.
	Reads *bundle.Reads
	// Ambiguous are the translations the tenant's answers could not tell
	// present from absent, which were not stored; also recorded in the
	// writer with Ambiguous. See localeJudge.
	Ambiguous []bundle.Ambiguity
}

// Run lists the tenant's connectors, chooses those opts asks for, and fetches
// them concurrently, adding each one to w as soon as it is read. It does not
// Commit or Abort w: the caller commits on success or partial success and
// aborts on error or cancellation.
//
// A connector that cannot be read is recorded with w.Fail and returned in
// Result.Failed. Run returns an error only when the whole run fails: invalid
// options, the list cannot be read, a connector cannot be added to w, a
// connector fails with opts.FailFast, or ctx ends (the error then wraps
// ctx's cause).
func Run(ctx context.Context, src Source, w *bundle.Writer, opts Options) (Result, error) {
	r, err := newRun(src, w, opts)
	if err != nil {
		return Result{}, err
	}
	r.log.Debug("listing connectors", "filter", opts.Filter)
	total := -1
	listed, err := src.ListAllConnectors(ctx, opts.Filter, func(n int) {
		total = n
		r.progress.SetTotal(n + len(r.named) + len(opts.CarryForward))
	})
	gap := ""
	if ge, ok := errors.AsType[*tenant.ListGapError](err); ok {
		// Export what was seen, and say what was not: the bundle is
		// incomplete, never silently short.
		listed, total, gap, err = ge.Connectors, ge.Total, ge.Error(), nil
		ie := bundle.ItemError{Part: bundle.PartList, Error: gap}
		r.w.Fail(ie)
		r.res.Failed = append(r.res.Failed, ie)
	}
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("export interrupted: %w", context.Cause(ctx))
		}
		return Result{}, fmt.Errorf("list connectors: %w", err)
	}
	if opts.Filter != "" && len(listed) == 0 && gap == "" {
		return Result{}, &NoMatchError{Filter: opts.Filter}
	}
	if err := r.readSources(ctx, opts); err != nil {
		return Result{}, err
	}
	known := append(slices.Clone(opts.CarryForward), r.discovered(ctx, listed, opts.CarryForward, opts.Filter)...)
	if gap == "" {
		if err := r.sel.unmatched(listed, known); err != nil {
			return Result{}, err
		}
	}
	sel := choose(listed, r.named, known, r.sel)
	r.log.Debug("connectors chosen", "listed", len(listed), "chosen", len(sel.targets))
	r.progress.SetTotal(len(sel.targets))

	err = r.exportAll(ctx, sel.targets)
	r.res.Ambiguous = r.locales.judge.finish()
	for _, a := range r.res.Ambiguous {
		r.w.Ambiguous(a)
	}
	slices.SortFunc(r.res.Failed, func(a, b bundle.ItemError) int {
		return cmp.Or(cmp.Compare(a.ScriptName, b.ScriptName), cmp.Compare(a.Part, b.Part))
	})
	if ctx.Err() != nil {
		return r.res, fmt.Errorf("export interrupted: %w", context.Cause(ctx))
	}
	r.res.Coverage = r.coverage(len(listed), total, gap, sel)
	r.w.SetCoverage(r.res.Coverage)
	r.res.Reads = r.reads.record()
	r.w.SetReads(*r.res.Reads)
	return r.res, err
}

// exportAll exports targets: under PartsAuto and PartsDetail the sample
// first (see reads), then the rest as the sample decided.
func (r *run) exportAll(ctx context.Context, targets []target) error {
	var sample, rest []target
	for i, t := range targets {
		if r.reads.sampled(i) {
			sample = append(sample, t)
		} else {
			rest = append(rest, t)
		}
	}
	sampleHow := how{sample: true, localePlan: r.locales, reads: r.reads}
	if err := r.exportEach(ctx, sample, sampleHow); err != nil {
		return err
	}
	if r.reads.undecided() && len(rest) > 0 {
		more := rest[:min(sampleMore, len(rest))]
		rest = rest[len(more):]
		if err := r.exportEach(ctx, more, sampleHow); err != nil {
			return err
		}
	}
	return r.exportEach(ctx, rest, how{xmlDetail: r.reads.xmlFromDetail(), trDetail: r.reads.translationsFromDetail(),
		allLocales: r.reads.sampling(), localePlan: r.locales, reads: r.reads})
}

// exportEach exports targets, r.concurrency at a time, each read as h says.
func (r *run) exportEach(ctx context.Context, targets []target, h how) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.concurrency)
	for _, t := range targets {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return r.export(gctx, t, h) })
	}
	return g.Wait()
}

// run is the state of one Run.
type run struct {
	src         Source
	w           *bundle.Writer
	sel         selector
	named       []string
	locales     localePlan
	reads       *reads
	concurrency int
	failFast    bool
	log         *slog.Logger
	progress    *lockedProgress
	carriedFrom []string

	sourcesState  string                        // for the coverage: read, off, or why not
	usedBy        map[string][]bundle.SourceUse // by the scriptName the sources name
	connectorName map[string]string             // the sources' connectorName, by scriptName

	mu      sync.Mutex // guards res and missing
	res     Result
	missing map[string]bool // named connectors the tenant answered 404 for
}

func newRun(src Source, w *bundle.Writer, opts Options) (*run, error) {
	sel, err := newSelector(opts)
	if err != nil {
		return nil, err
	}
	locales, err := resolveLocales(opts.Locales)
	if err != nil {
		return nil, err
	}
	reads, err := newReads(opts.Parts)
	if err != nil {
		return nil, err
	}
	locales.judge = &localeJudge{}
	for _, n := range opts.ScriptNames {
		if n == "" {
			return nil, errors.New("empty script name")
		}
	}
	r := &run{
		src:         src,
		w:           w,
		sel:         sel,
		named:       opts.ScriptNames,
		locales:     locales,
		reads:       reads,
		concurrency: opts.Concurrency,
		failFast:    opts.FailFast,
		log:         opts.Logger,
		progress:    &lockedProgress{p: opts.Progress},
		carriedFrom: opts.CarriedFrom,
		missing:     map[string]bool{},
		res:         Result{Names: map[string]string{}},
	}
	switch {
	case r.concurrency < 0:
		return nil, fmt.Errorf("concurrency %d: must not be negative", opts.Concurrency)
	case r.concurrency == 0:
		r.concurrency = DefaultConcurrency
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.progress.p == nil {
		r.progress.p = NopProgress{}
	}
	return r, nil
}

// export fetches connector t and adds it to the bundle, or records why it
// could not. It returns an error only when the run must stop.
func (r *run) export(ctx context.Context, t target, h how) error {
	if t.checkOwner {
		if lo, owned := r.checkOwner(ctx, t); owned {
			r.leave(lo)
			r.progress.Done(t.label(), nil)
			return nil
		}
	}
	c, err := fetch(ctx, r.src, t, h)
	var entry bundle.Entry
	if err == nil {
		c.Sources = r.usedBy[t.ScriptName]
		var aerr error
		entry, aerr = r.w.Add(c)
		switch {
		case errors.Is(aerr, bundle.ErrKeyTaken), errors.Is(aerr, bundle.ErrPartMissing):
			// Another connector's scriptName differs only in letter case,
			// or a part its detail announces is missing: this one is
			// recorded as failed, the backup goes on.
			err = fmt.Errorf("add to bundle: %w", aerr)
		case aerr != nil:
			return fmt.Errorf("add %q to bundle: %w", t.ScriptName, aerr)
		}
	}
	if err == nil {
		r.mu.Lock()
		r.res.Connectors++
		r.res.Names[c.ScriptName] = c.Name
		r.res.Files += len(entry.Files)
		for _, f := range entry.Files {
			r.res.Bytes += f.Size
		}
		r.mu.Unlock()
		r.log.Debug("connector exported", "scriptName", t.ScriptName, "files", len(entry.Files))
		r.progress.Done(t.label(), nil)
		return nil
	}
	if ctx.Err() != nil {
		// Cancelled, by the caller or by another connector under FailFast:
		// not this connector's failure.
		return context.Cause(ctx)
	}
	if pe, ok := errors.AsType[*partError](err); ok && pe.part == "" && tenant.IsNotFound(pe.err) && t.hidden {
		if t.carried {
			// Carried forward from an earlier bundle (or named by a
			// source), and deleted since: the backup reflects the tenant,
			// and says so.
			rule := "carried forward from an earlier bundle; the tenant answers 404"
			if len(t.usedBy) > 0 {
				rule = usedByText(t.usedBy) + ", which names it; the tenant answers 404 (the source names a deleted connector)"
			}
			r.leave(bundle.LeftOut{ScriptName: t.ScriptName, Name: t.Name, Reason: bundle.LeftOutGone, Rule: rule})
			r.progress.Done(t.label(), nil)
			return nil
		}
		r.mu.Lock()
		r.missing[t.ScriptName] = true
		r.mu.Unlock()
	}
	r.progress.Done(t.label(), err)
	if r.failFast || errors.Is(err, tenant.ErrWaitTooLong) {
		// The tenant asks every request to wait longer than allowed: the
		// run stops (nothing is written) rather than record every
		// connector as failed.
		return fmt.Errorf("export %q: %w", t.ScriptName, err)
	}
	ie := itemError(t, err)
	r.log.Debug("connector not exported", "scriptName", t.ScriptName, "part", ie.Part, "error", ie.Error)
	r.w.Fail(ie)
	r.mu.Lock()
	r.res.Failed = append(r.res.Failed, ie)
	r.mu.Unlock()
	return nil
}

// checkOwner reads the detail of a listed connector whose type does not
// start with "custom", or of a carried one, and applies sailPointOwned. A detail that cannot be
// read is no evidence: the connector is then exported (and fails there, if
// it still cannot be read).
func (r *run) checkOwner(ctx context.Context, t target) (bundle.LeftOut, bool) {
	d, err := r.src.GetConnector(ctx, t.ScriptName)
	if err != nil {
		r.log.Debug("cannot tell whether the connector is SailPoint's; exporting it", "scriptName", t.ScriptName, "error", err)
		return bundle.LeftOut{}, false
	}
	typ := t.Type
	if typ == "" { // carried forward or found through sources: no list gave it
		typ = d.Type
	}
	owned, rule := sailPointOwned(typ, d)
	if !owned {
		return bundle.LeftOut{}, false
	}
	if len(t.usedBy) > 0 {
		rule += "; found through sources: " + usedByText(t.usedBy)
	}
	return bundle.LeftOut{ScriptName: t.ScriptName, Name: cmp.Or(t.Name, d.Name), Type: typ, Status: string(d.Status),
		Reason: bundle.LeftOutSailPointOwned, Rule: rule}, true
}

// leave records a connector left out.
func (r *run) leave(lo bundle.LeftOut) {
	r.mu.Lock()
	r.res.Coverage.LeftOut = append(r.res.Coverage.LeftOut, lo)
	r.mu.Unlock()
}

// lockedProgress serialises calls to a Progress.
type lockedProgress struct {
	mu sync.Mutex
	p  Progress
}

func (l *lockedProgress) SetTotal(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.SetTotal(n)
}

func (l *lockedProgress) Done(name string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p.Done(name, err)
}

// recordedOptions are the options that decide a bundle's content, as the
// manifest records them.
type recordedOptions struct {
	Filter      string   `json:"filter,omitempty"`
	Include     []string `json:"include,omitempty"`
	Exclude     []string `json:"exclude,omitempty"`
	ScriptNames []string `json:"scriptNames,omitempty"`
	Locales     []string `json:"locales"`
	BuiltIn     bool     `json:"builtIn"`
}

// OptionsJSON is what the manifest records of opts: the options that decide
// the bundle's content (filter, globs, script names, locales, built-in), not
// how it was fetched. Locales are the list asked for, or ["detail"]. It holds
// no secret.
func OptionsJSON(opts Options) json.RawMessage {
	rec := recordedOptions{
		Filter:      opts.Filter,
		Include:     opts.Include,
		Exclude:     opts.Exclude,
		ScriptNames: opts.ScriptNames,
		Locales:     opts.Locales,
		BuiltIn:     opts.BuiltIn,
	}
	if lp, err := resolveLocales(opts.Locales); err == nil {
		rec.Locales = lp.locales
		if lp.fromDetail {
			rec.Locales = []string{detailOnly}
		}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		// Strings, slices and a bool always encode.
		panic(fmt.Sprintf("encode export options: %v", err))
	}
	return b
}

// ScopeOf is the scope a bundle exported with opts stands for (see
// bundle.Scope): its filter, globs, named scriptNames (those carried forward
// that the globs keep among them) and built-in choice.
func ScopeOf(opts Options) *bundle.Scope {
	named := slices.Clone(opts.ScriptNames)
	if sel, err := newSelector(opts); err == nil {
		for _, h := range opts.CarryForward {
			if _, out := sel.filteredOut(h.Name); !out && !slices.Contains(named, h.ScriptName) {
				named = append(named, h.ScriptName)
			}
		}
	}
	return &bundle.Scope{
		Filter:      opts.Filter,
		Include:     slices.Clone(opts.Include),
		Exclude:     slices.Clone(opts.Exclude),
		ScriptNames: named,
		BuiltIn:     opts.BuiltIn,
	}
}
