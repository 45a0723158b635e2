package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/internal/english"
	"github.com/connvault/connvault/tenant"
)

var _ importer.Target = (*tenant.Client)(nil)

// importOptions are the flags shared by plan, import and migrate.
type importOptions struct {
	Bundle, Map       string
	Input             transformArgs // rules, values, --include/--exclude
	PlanFile          string        // import PLAN.json
	Tenant            tenant.Options
	Importer          importer.Options
	DryRun, Yes, JSON bool
}

// planFlags are the flags that shape a plan: plan's, and import's and
// migrate's with importOnlyFlags.
func planFlags(verb string) []cli.Flag {
	allowDelete, concurrency := "delete custom connectors that exist only in the target and are inside the bundle's scope", "connectors read and written at once (one shared rate governor)"
	if verb == "plan" {
		allowDelete, concurrency = "plan the deletion of custom connectors that exist only in the target and are inside the bundle's scope (a saved plan then deletes them)", "connectors read at once (one shared rate governor)"
	}
	flags := append(tenantFlags(), transformFlags()...)
	flags = append(flags, filterFlags(verb)...)
	return append(flags,
		&cli.StringFlag{Name: "map", Usage: "mapping file (source scriptName → target scriptName), as written by a previous import"},
		&cli.BoolFlag{Name: "allow-delete", Usage: allowDelete},
		&cli.StringSliceFlag{Name: "delete-scope", Usage: "glob of names --allow-delete may delete (repeatable; the rule of --include); needed for a bundle that records no scope"},
		sourcesFlag(),
		forceDeleteInUseFlag(),
		&cli.BoolFlag{Name: "allow-incomplete", Usage: "accept a bundle whose export was incomplete"},
		&cli.IntFlag{Name: "concurrency", Value: 4, Usage: concurrency},
		&cli.StringFlag{Name: "state-dir", Value: importer.DefaultStateDir, Usage: "directory of the journal, undo bundles and mapping files"},
		&cli.BoolFlag{Name: "json", Usage: "print results as JSON on stdout"},
	)
}

// importOnlyFlags are the flags of a run that writes (import, migrate).
func importOnlyFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "max-deletes", Value: importer.DefaultMaxDeletes, Usage: "refuse a plan that deletes more connectors than this"},
		&cli.BoolFlag{Name: "skip-conflicts", Usage: "import the rest when some connectors conflict (same name, different type or className); conflicts are never written"},
		&cli.BoolFlag{Name: "dry-run", Usage: "show the plan and stop; write nothing"},
		&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "apply without asking"},
	}
}

func importOptionsFrom(c *cli.Command, e *env) (importOptions, error) {
	topts, err := tenantOptions(c, e.getenv, e.log)
	if err != nil {
		return importOptions{}, err
	}
	return importOptionsWith(c, e, topts)
}

// importOptionsWith reads the import flags for a target tenant given by topts.
func importOptionsWith(c *cli.Command, e *env, topts tenant.Options) (importOptions, error) {
	if c.Int("concurrency") < 1 {
		return importOptions{}, usageErrorf("--concurrency must be at least 1")
	}
	o := importOptions{
		Map: c.String("map"), Tenant: topts, JSON: c.Bool("json"),
		Input: transformArgs{
			Rules: c.String("rules"), Values: c.String("values"),
			Include: c.StringSlice("include"), Exclude: c.StringSlice("exclude"),
			Open: e.openBundle,
		},
		Importer: importer.Options{
			AllowDelete:      c.Bool("allow-delete"),
			DeleteScope:      c.StringSlice("delete-scope"),
			MaxDeletes:       maxDeletes(c.Int("max-deletes")),
			NoSources:        !c.Bool("sources"),
			ForceDeleteInUse: c.Bool("force-delete-in-use"),
			AllowIncomplete:  c.Bool("allow-incomplete"),
			SkipConflicts:    c.Bool("skip-conflicts"),
			Concurrency:      c.Int("concurrency"),
			StateDir:         c.String("state-dir"),
			ToolVersion:      Version,
			Logger:           e.log,
		},
	}
	if o.Map != "" {
		m, err := importer.LoadMapping(o.Map)
		if err != nil {
			return importOptions{}, fmt.Errorf("mapping file: %w", err)
		}
		o.Importer.Mapping = m
	}
	return o, nil
}

// prepared is a verified, transformed bundle with its plan against the target.
// The bundle stays open (src reads connectors from it): close releases it.
type prepared struct {
	client *tenant.Client
	src    importer.Source
	plan   *importer.Plan
	close  func()
}

// prepare verifies and transforms the bundle, checks the mapping and plans
// against the target. It reads only.
func prepare(ctx context.Context, e *env, o importOptions) (*prepared, error) {
	cl, err := newClient(o.Tenant, nil)
	if err != nil {
		return nil, err
	}
	in := o.Input
	in.Name = e.shown(o.Bundle)
	src, closeSrc, err := streamTransformed(ctx, o.Bundle, in, e.getenv, e.stderr)
	if err != nil {
		return nil, err
	}
	if in.Name == stdinName {
		src.Path = "-" // the plan names its input as the user gave it
	}
	if len(o.Importer.Mapping) > 0 {
		if err := importer.ValidateMapping(ctx, cl, o.Importer.Mapping); err != nil {
			closeSrc()
			return nil, fmt.Errorf("mapping file %s: %w", o.Map, err)
		}
	}
	p, err := importer.MakePlan(ctx, cl, src, o.Importer)
	if err != nil {
		closeSrc()
		return nil, fmt.Errorf("plan: %w", err)
	}
	return &prepared{client: cl, src: src, plan: p, close: closeSrc}, nil
}

func importCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "import a bundle (or apply a saved plan) into the target tenant",
		UsageText: "connvault import BUNDLE|PLAN.json [--dry-run] [--yes] [--rules R] [--values V] [--map M] [--include GLOB]...",
		Flags: append(append(planFlags("import"), importOnlyFlags()...),
			&cli.StringFlag{Name: "undo", Usage: "where to write the undo bundle (default STATE-DIR/undo-<run>.tar.gz)"},
			&cli.StringFlag{Name: "mapping-out", Usage: "where to write the mapping file (default STATE-DIR/mapping-<run>.json)"},
		),
		Action: func(ctx context.Context, c *cli.Command) error {
			defer softMemoryLimit(importMemoryLimit)()
			if c.NArg() != 1 {
				return usageErrorf("import takes one bundle or plan file, got %d arguments", c.NArg())
			}
			arg := c.Args().First()
			saved, planErr := importer.LoadPlan(arg)
			if planErr == nil {
				if err := refuseWithSavedPlan(c); err != nil {
					return err
				}
			} else if strings.HasSuffix(arg, ".json") {
				return fmt.Errorf("read plan %s: %w", arg, planErr)
			}
			o, err := importOptionsFrom(c, e)
			if err != nil {
				return err
			}
			o.DryRun, o.Yes = c.Bool("dry-run"), c.Bool("yes")
			o.Importer.UndoPath, o.Importer.MappingPath = c.String("undo"), c.String("mapping-out")
			if saved != nil {
				o.PlanFile = arg
				return runImportPlan(ctx, e, o, saved)
			}
			if o.Bundle, err = e.input(arg); err != nil {
				return err
			}
			return runImport(ctx, e, o)
		},
	}
}

// planShapingFlags are the flags a saved plan was made with; given again
// with it they would be ignored or change what was approved.
var planShapingFlags = []string{"rules", "values", "map", "include", "exclude", "allow-delete", "delete-scope", "allow-incomplete"}

// refuseWithSavedPlan refuses flags that shape a plan when a saved plan is
// applied: the plan applies as it was made and approved.
func refuseWithSavedPlan(c *cli.Command) error {
	for _, name := range planShapingFlags {
		if c.IsSet(name) {
			return usageErrorf("--%s cannot be given with a saved plan, which applies as it was made; make a new plan with it (connvault plan ... --%s ... --out plan.json)", name, name)
		}
	}
	return nil
}

// lockState takes the lock of the state directory for a run that may write
// (not a dry run), before it reads anything: the bundle, the target or the
// journals (README, "Limitations"). A lock already taken (o.Importer.Lock,
// by migrate before its export) is kept. Under the lock it refuses an
// --undo or --mapping-out whose directory is missing or not writable
// (checkWritable), or that exists and is not an unfinished run's own file
// (importer.CheckOutputs). The returned unlock is never nil.
func lockState(o *importOptions, what string) (unlock func(), err error) {
	if o.DryRun {
		return func() {}, nil
	}
	unlock = func() {}
	if o.Importer.Lock == nil {
		l, err := importer.LockStateDir(o.Importer.StateDir, what, time.Now())
		if err != nil {
			return nil, err
		}
		o.Importer.Lock, unlock = l, l.Unlock
	}
	err = errors.Join(checkWritable("--undo", o.Importer.UndoPath, false), checkWritable("--mapping-out", o.Importer.MappingPath, false))
	if err == nil {
		err = importer.CheckOutputs(o.Importer.StateDir, o.Importer.UndoPath, o.Importer.MappingPath)
	}
	if err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

func runImport(ctx context.Context, e *env, o importOptions) error {
	unlock, err := lockState(&o, "an import into "+o.Tenant.BaseURL)
	if err != nil {
		return err
	}
	defer unlock()
	p, err := prepare(ctx, e, o)
	if err != nil {
		return err
	}
	defer p.close()
	return applyPrepared(ctx, e, o, p)
}

// runImportPlan applies a saved plan: the bundle and rules it names are read
// and transformed again, and importer.Apply refuses the plan if that input or
// the target changed since it was made (Apply's drift check re-reads each
// pre-image once and writes from what it read). The plan carries its mapping.
func runImportPlan(ctx context.Context, e *env, o importOptions, saved *importer.Plan) error {
	// What the plan was made with is what was approved: it applies as saved.
	o.Importer.AllowDelete = saved.AllowDelete
	o.Input = transformArgs{Rules: saved.Rules, Values: saved.Values, Include: saved.Include, Exclude: saved.Exclude, Open: e.openBundle}
	unlock, err := lockState(&o, "an import of plan "+absPath(o.PlanFile))
	if err != nil {
		return err
	}
	defer unlock()
	cl, err := newClient(o.Tenant, nil)
	if err != nil {
		return err
	}
	if err := saved.CheckTarget(cl.BaseURL()); err != nil {
		// Before anything is shown: a plan for another tenant is not this one's.
		return fmt.Errorf("plan %s: %w; point SAIL_BASE_URL at that tenant, or make a new plan", o.PlanFile, err)
	}
	src, closeSrc, err := streamTransformed(ctx, saved.Bundle.Path, o.Input, e.getenv, io.Discard)
	if err != nil {
		return err
	}
	defer closeSrc()
	o.Yes = true // the saved plan is what was approved
	if err := applyPrepared(ctx, e, o, &prepared{client: cl, src: src, plan: saved}); err != nil {
		return fmt.Errorf("plan %s: %w", o.PlanFile, err)
	}
	return nil
}

func applyPrepared(ctx context.Context, e *env, o importOptions, p *prepared) error {
	if !o.JSON {
		p.plan.WriteTable(e.stdout)
	}
	if o.DryRun {
		if o.JSON {
			return writeJSON(e.stdout, p.plan)
		}
		fmt.Fprintln(e.stdout, "\nDry run: nothing was written.")
		return nil
	}
	if n := p.plan.Count(importer.ActionConflict); n > 0 && !o.Importer.SkipConflicts {
		return withResult(fmt.Errorf("%w: %s the name of a target connector of another type or className; resolve them, or import the rest with --skip-conflicts", importer.ErrConflicts, english.Count(n, "connector has", "connectors have")), p.plan)
	}
	if !p.plan.HasChanges() {
		// Apply all the same: it writes nothing, but it finishes an
		// interrupted run and writes the mapping file.
		if !o.JSON {
			fmt.Fprintf(e.stdout, "\nNo changes: the target already matches the bundle.\n")
		}
		o.Yes = true
	}
	if !o.Yes {
		if err := confirm(ctx, e, p.plan.WriteTable, "Apply these changes to "+p.client.BaseURL()+"?"); err != nil {
			return err
		}
	}
	b := newBar(e.line(), !o.JSON, "import", 3, p.client.Governor().Rate(), func() int64 { return p.client.Stats().Requests })
	o.Importer.Progress = b
	start := time.Now()
	res, err := importer.Apply(ctx, p.client, p.src, p.plan, o.Importer)
	b.Finish()
	if err != nil {
		// What the run did before it stopped is its --json result.
		err = withResult(fmt.Errorf("import: %w", err), res)
		if left := unfinished(res); left != "" && (ctx.Err() != nil || errors.Is(err, context.Canceled)) {
			return &interruptedImport{err: err, left: fmt.Sprintf("%s: run the same command again to finish them, or roll the run back (%s)",
				left, rollbackLine(o.Importer.StateDir, res.UndoPath))}
		}
		return err
	}
	return reportImport(e, o.JSON, res, time.Since(start), p.client.Stats(), o.Importer.StateDir)
}

// interruptedImport is an import interrupted (Ctrl-C) after it wrote to the
// target; left says what it left unfinished there and what to do, for the
// closing message in place of "nothing is left half-written".
type interruptedImport struct {
	err  error
	left string
}

func (e *interruptedImport) Error() string { return e.err.Error() }
func (e *interruptedImport) Unwrap() error { return e.err }

// unfinished says what a run that stopped before its end left unfinished in
// the target: connectors it created but has not written (they hold the
// tenant's defaults), or wrote only some parts of; "" when there are none.
func unfinished(res importer.Result) string {
	var what []string
	if n := len(res.Unwritten); n > 0 {
		what = append(what, english.Count(n, "connector was", "connectors were")+" created but not yet written (they hold the tenant's default content)")
	}
	if n := len(res.PartlyWritten); n > 0 {
		what = append(what, english.Count(n, "connector was", "connectors were")+" only partly written")
	}
	if len(what) == 0 {
		return ""
	}
	return strings.Join(what, " and ")
}

// rollbackLine is the command that rolls back the run of undo: rollback
// reads the run's journal in the state directory, so a state directory other
// than the default is named.
func rollbackLine(stateDir, undo string) string {
	if stateDir == "" || filepath.Clean(stateDir) == importer.DefaultStateDir {
		return "connvault rollback " + undo
	}
	return "connvault rollback --state-dir " + stateDir + " " + undo
}

// reportImport prints the result of an import, or of a rollback
// (stateDir "": no invitation to roll back again; an import's names the
// journal a rollback reads), with the closing summary,
// whose retries and rate-limited counts (st, the client's) are the only place
// a retry that succeeded is reported at the default log level.
func reportImport(e *env, asJSON bool, res importer.Result, took time.Duration, st tenant.Stats, stateDir string) error {
	rolledBack := stateDir == ""
	if asJSON {
		if err := writeJSON(e.stdout, res); err != nil {
			return err
		}
	} else {
		res.WriteTable(e.stdout)
		fmt.Fprintf(e.stdout, "\n%s (%d reads, %d writes) in %s: %s, %d rate-limited\n", english.Count(int(res.Requests), "request", "requests"), res.Reads, res.Writes, took.Round(time.Millisecond), english.Count(int(st.Retries), "retry", "retries"), st.RateLimited)
		if res.UndoPath != "" && !rolledBack {
			fmt.Fprintf(e.stdout, "Undo bundle: %s (%s)\n", res.UndoPath, rollbackLine(stateDir, res.UndoPath))
		}
		if res.MappingPath != "" {
			fmt.Fprintf(e.stdout, "Mapping file: %s\n", res.MappingPath)
		}
		if !rolledBack {
			writeHiddenTargets(e.stdout, res.Hidden)
		}
	}
	if n := res.Failed(); n > 0 {
		var failed, partial, skipped int
		for _, it := range res.Items {
			switch {
			case it.Action == importer.ActionSkip:
				skipped++
			case it.Status == importer.StatusPartial:
				partial++
			case it.Status == importer.StatusFailed:
				failed++
			}
		}
		var whats []string
		if failed > 0 {
			whats = append(whats, english.Connectors(failed)+" failed")
		}
		if partial > 0 {
			whats = append(whats, english.Count(partial, "connector was", "connectors were")+" only partly done")
		}
		if skipped > 0 {
			whats = append(whats, english.Count(skipped, "connector was", "connectors were")+" skipped, changed since the import (--force overrides)")
		}
		what := strings.Join(whats, ", ")
		advice := "see the errors and notes above; a plain rerun will not change them"
		if res.Retryable() {
			advice = "rerun the same command to continue"
		}
		if left := unfinished(res); left != "" && !rolledBack {
			advice = fmt.Sprintf("%s; %s, or roll the run back (%s)", left, advice, rollbackLine(stateDir, res.UndoPath))
		}
		return &exitErr{code: exitPartial, err: fmt.Errorf("%s; %s", what, advice)}
	}
	return nil
}

// absPath makes a non-empty path absolute (as is, if that fails).
func absPath(p string) string {
	if p == "" {
		return ""
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// errCancelledAtPrompt is Ctrl-C at a confirmation prompt: nothing was
// written, and there is nothing to continue.
var errCancelledAtPrompt = errors.New("cancelled at the prompt: nothing was written")

// errNoConfirm refuses a change nobody could confirm.
var errNoConfirm = errors.New("refusing to write without confirmation: stdin is not a terminal; pass --yes to proceed")

// confirm asks on the terminal and accepts only "yes". The caller printed
// the plan on stdout; when stdout is not a terminal, show writes it again
// where the question is asked (stderr, or /dev/tty when stderr is not a
// terminal either), so the user sees what they approve. Ctrl-C (ctx done)
// ends the wait at once: the error is ctx's, so the exit code is 130.
func confirm(ctx context.Context, e *env, show func(io.Writer), question string) error {
	f, ok := e.stdin.(*os.File)
	if !ok || !isTerminal(f) {
		return &exitErr{code: exitUsage, err: errNoConfirm}
	}
	tty := e.stderr
	if !isTerminal(tty) {
		if t, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			defer t.Close()
			tty = t
		}
	}
	if show != nil && !isTerminal(e.stdout) {
		show(tty)
	}
	fmt.Fprintf(tty, "\n%s Only 'yes' will be accepted: ", question)
	type answer struct {
		line string
		err  error
	}
	answers := make(chan answer, 1)
	go func() { // left blocked on the terminal if ctx ends first: the process is exiting
		line, err := bufio.NewReader(f).ReadString('\n')
		answers <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(tty)
		return fmt.Errorf("%w: %w", errCancelledAtPrompt, ctx.Err())
	case a := <-answers:
		if a.err != nil && !errors.Is(a.err, io.EOF) {
			return fmt.Errorf("read answer: %w", a.err)
		}
		if strings.TrimSpace(a.line) != "yes" {
			return &exitErr{code: exitUsage, err: errors.New("cancelled: nothing was written")}
		}
	}
	return nil
}

// sourcesFlag is --sources: read the tenant's sources (one list walk) to learn
// the scriptNames in use; --sources=false turns that off.
func sourcesFlag() cli.Flag {
	return &cli.BoolFlag{Name: "sources", Value: true,
		Usage: "read the tenant's sources (needs idn:sources:read) to find hidden connectors they use and which connectors are in use; --sources=false turns it off"}
}

func forceDeleteInUseFlag() cli.Flag {
	return &cli.BoolFlag{Name: "force-delete-in-use", Usage: "delete (--allow-delete, rollback of a create) connectors that sources use; they are refused otherwise"}
}

// maxDeletes turns --max-deletes into importer.Options.MaxDeletes, where 0
// means the default: an explicit 0 allows none.
func maxDeletes(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// writeHiddenTargets tells which connectors the target now holds that its
// list hides (not RELEASED), and the flags its exports and backups need to
// include them: nothing else would back them up.
func writeHiddenTargets(w io.Writer, hidden []importer.HiddenConnector) {
	if len(hidden) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s in the target %s not RELEASED, so the connector list hides them:\n", english.Connectors(len(hidden)), map[bool]string{true: "is", false: "are"}[len(hidden) == 1])
	var flags []string
	for _, h := range hidden {
		was := ""
		if h.SourceScriptName != "" {
			was = ", was " + h.SourceScriptName
		}
		fmt.Fprintf(w, "  %s  %s (%s%s)\n", h.ScriptName, h.Name, h.Status, was)
		flags = append(flags, "--script-name "+h.ScriptName)
	}
	fmt.Fprintf(w, "Exports and backups of the target include them only when named once (later runs carry them forward):\n  %s\n", strings.Join(flags, " "))
}
