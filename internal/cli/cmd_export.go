package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/internal/english"
	"github.com/connvault/connvault/tenant"
)

var _ export.Source = (*tenant.Client)(nil)

// exportOptions are the flags of `connvault export`.
type exportOptions struct {
	Out    string
	JSON   bool
	Tenant tenant.Options
	Export export.Options
	// ScriptNamesFrom are bundles whose hidden connectors are carried
	// forward (--script-names-from), besides the bundle already at Out.
	ScriptNamesFrom []string
	// TenantMoved (--tenant-moved) lets Out hold a bundle of another tenant
	// URL: the same tenant, moved; it is replaced and carried forward.
	TenantMoved bool
}

func exportFlags() []cli.Flag {
	flags := append(tenantFlags(),
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "destination (required): FILE.tar.gz|.tgz, a directory (existing, or ending in /), or - for stdout"})
	flags = append(flags, selectionFlags()...)
	flags = append(flags, filterFlags("export")...)
	return append(flags,
		sourcesFlag(),
		&cli.StringSliceFlag{Name: "script-names-from", Usage: "carry forward the hidden connectors this bundle names (repeatable; the bundle at --out is read anyway)"},
		&cli.BoolFlag{Name: "tenant-moved", Usage: "replace (and carry forward) a bundle at --out of another tenant URL: the same tenant under a new URL (refused without it)"},
		&cli.IntFlag{Name: "concurrency", Value: export.DefaultConcurrency, Usage: "connectors fetched at once"},
		&cli.BoolFlag{Name: "json", Usage: "print a JSON summary on stdout"},
	)
}

// selectionFlags say what an export reads, besides --include/--exclude:
// export's and migrate's.
func selectionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "script-name", Usage: "also export this connector by scriptName (repeatable; the list hides DEVELOPMENT/DEMO ones)"},
		&cli.StringFlag{Name: "filter", Usage: `ISC filter sent to the tenant, e.g. 'name sw "HR"'`},
		&cli.StringFlag{Name: "locales", Value: "all", Usage: "translations to fetch: all (the 19 of the spec), detail (those the detail names), or a list like en,de,fr"},
		&cli.StringFlag{Name: "parts", Value: export.PartsAuto, Usage: "how parts are read: auto (the detail, where a sample proves it carries them), detail (the detail, unless a sample shows it lacks them), endpoints (one GET per part)"},
		&cli.BoolFlag{Name: "builtin", Usage: "include SailPoint-owned connectors"},
		&cli.BoolFlag{Name: "fail-fast", Usage: "abort on the first connector that fails instead of recording it"},
	}
}

// exportOptionsFrom reads the selection, filter and concurrency flags.
func exportOptionsFrom(c *cli.Command, e *env) (export.Options, error) {
	locales, err := parseLocales(c.String("locales"))
	if err != nil {
		return export.Options{}, err
	}
	if c.Int("concurrency") < 1 {
		return export.Options{}, usageErrorf("--concurrency must be at least 1")
	}
	switch c.String("parts") {
	case export.PartsAuto, export.PartsDetail, export.PartsEndpoints:
	default:
		return export.Options{}, usageErrorf("--parts %q: want auto, detail or endpoints", c.String("parts"))
	}
	return export.Options{
		Filter:      c.String("filter"),
		Include:     c.StringSlice("include"),
		Exclude:     c.StringSlice("exclude"),
		ScriptNames: c.StringSlice("script-name"),
		Locales:     locales,
		Parts:       c.String("parts"),
		BuiltIn:     c.Bool("builtin"),
		NoSources:   !c.Bool("sources"),
		Concurrency: c.Int("concurrency"),
		FailFast:    c.Bool("fail-fast"),
		Logger:      e.log,
	}, nil
}

func exportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "export a tenant's custom connectors into a verified bundle",
		UsageText: "connvault export --out backup.tar.gz [--script-name NAME]... [--filter F] [--include GLOB]... [--exclude GLOB]...",
		Flags:     exportFlags(),
		Action: func(ctx context.Context, c *cli.Command) error {
			if c.NArg() > 0 {
				return usageErrorf("export takes no arguments (got %q)", c.Args().Slice())
			}
			if err := checkOut(c.String("out")); err != nil {
				return err
			}
			if err := checkWritable("--out", c.String("out"), isDirForm(c.String("out"))); err != nil {
				return err
			}
			if c.String("out") == "-" {
				e.json = false // stdout carries the archive, never a document
			}
			if c.String("out") == "-" && isTerminal(e.stdout) {
				return usageErrorf("--out - writes a gzip archive to stdout, which is a terminal; redirect it (connvault export --out - > backup.tar.gz) or pipe it (| connvault verify -)")
			}
			topts, err := tenantOptions(c, e.getenv, e.log)
			if err != nil {
				return err
			}
			eo, err := exportOptionsFrom(c, e)
			if err != nil {
				return err
			}
			o := exportOptions{Out: c.String("out"), JSON: c.Bool("json"), Tenant: topts, Export: eo,
				ScriptNamesFrom: c.StringSlice("script-names-from"), TenantMoved: c.Bool("tenant-moved")}
			sum, err := runExport(ctx, e, o)
			if err != nil {
				return err
			}
			return reportExport(e, o, sum)
		},
	}
}

// checkOut refuses an --out that names no bundle form, before any request.
func checkOut(out string) error {
	lower := strings.ToLower(out)
	switch {
	case out == "":
		return usageErrorf("export needs --out PATH (FILE.tar.gz, DIR/, or - for stdout)")
	case out == "-", strings.HasSuffix(lower, ".tar.gz"), strings.HasSuffix(lower, ".tgz"), isDirForm(out):
		return nil
	}
	return usageErrorf("--out %s: want FILE.tar.gz or FILE.tgz, a directory (existing, or ending in /), or - for stdout", out)
}

func parseLocales(s string) ([]string, error) {
	switch s {
	case "", "all":
		return nil, nil
	case "detail":
		return []string{"detail"}, nil
	}
	var out []string
	for _, l := range strings.Split(s, ",") {
		l = strings.TrimSpace(l)
		if !tenant.ValidLocale(l) {
			return nil, usageErrorf("--locales: %q is not one of the spec's locales (%s)", l, strings.Join(tenant.Locales(), ", "))
		}
		out = append(out, l)
	}
	return out, nil
}

// exportSummary is what `export --json` prints.
type exportSummary struct {
	Out           string             `json:"out"`
	Connectors    int                `json:"connectors"`
	Files         int                `json:"files"`
	Bytes         int64              `json:"bytes"`
	Requests      int64              `json:"requests"`
	Retries       int64              `json:"retries"`
	RateLimited   int64              `json:"rateLimited"`
	Duration      string             `json:"duration"`
	Seconds       float64            `json:"seconds"`
	ContentDigest string             `json:"contentDigest"`
	Complete      bool               `json:"complete"`
	Errors        []bundle.ItemError `json:"errors,omitempty"`
	Coverage      bundle.Coverage    `json:"coverage"`
	Reads         *bundle.Reads      `json:"reads,omitempty"` // how the parts were read (--parts)
	Ambiguous     []bundle.Ambiguity `json:"ambiguous,omitempty"`
	Manifest      *bundle.Manifest   `json:"-"`
	Stats         tenant.Stats       `json:"-"`
	Result        export.Result      `json:"-"`
}

func runExport(ctx context.Context, e *env, o exportOptions) (exportSummary, error) {
	start := time.Now()
	cl, err := newClient(o.Tenant, nil)
	if err != nil {
		return exportSummary{}, err
	}
	createdAt, err := bundle.CreatedAtFromEnv(e.getenv, time.Now())
	if err != nil {
		return exportSummary{}, usageErrorf("SOURCE_DATE_EPOCH: %v", err)
	}
	if o.Export.CarryForward, o.Export.CarriedFrom, err = carryForward(ctx, o.Out, cl.BaseURL(), o.TenantMoved, o.ScriptNamesFrom); err != nil {
		return exportSummary{}, err
	}
	wopts := bundle.WriterOptions{
		CreatedAt:   createdAt,
		ToolVersion: Version,
		Source:      bundle.Source{URL: cl.BaseURL(), API: cl.API()},
		Options:     export.OptionsJSON(o.Export),
		Scope:       export.ScopeOf(o.Export),
	}
	var w *bundle.Writer
	if o.Out == "-" {
		w, err = bundle.CreateStream(e.stdout, "", wopts)
	} else {
		w, err = bundle.Create(o.Out, wopts)
	}
	if err != nil {
		return exportSummary{}, err
	}
	defer w.Abort()

	perConnector := float64(4 + len(tenant.Locales()))
	switch {
	case o.Export.Parts != export.PartsEndpoints:
		perConnector = 1 // the detail alone, where it carries every part
	case len(o.Export.Locales) > 0:
		perConnector = float64(4 + len(o.Export.Locales))
	}
	b := newBar(e.line(), !o.JSON, "export", perConnector, cl.Governor().Rate(), func() int64 { return cl.Stats().Requests })
	o.Export.Progress = b
	res, err := export.Run(ctx, cl, w, o.Export)
	b.Finish()
	if _, ok := errors.AsType[*export.NoMatchError](err); ok {
		return exportSummary{}, &exitErr{code: exitUsage, err: fmt.Errorf("export: %w", err)}
	}
	if err != nil {
		return exportSummary{}, fmt.Errorf("export: %w", err)
	}
	m, err := w.Commit(ctx)
	if err != nil {
		return exportSummary{}, fmt.Errorf("write bundle %s: %w", o.Out, err)
	}
	st := cl.Stats()
	dur := time.Since(start)
	return exportSummary{
		Out: o.Out, Connectors: len(m.Connectors), Files: res.Files, Bytes: res.Bytes,
		Requests: st.Requests, Retries: st.Retries, RateLimited: st.RateLimited,
		Duration: dur.Round(time.Millisecond).String(), Seconds: dur.Seconds(),
		ContentDigest: m.ContentDigest, Complete: m.Complete, Errors: m.Errors,
		Manifest: &m, Stats: st, Result: res, Coverage: res.Coverage, Reads: res.Reads, Ambiguous: res.Ambiguous,
	}, nil
}

func reportExport(e *env, o exportOptions, s exportSummary) error {
	if o.JSON {
		out := e.stdout
		if o.Out == "-" {
			out = e.stderr // stdout carries the archive
		}
		if err := writeJSON(out, s); err != nil {
			return err
		}
	} else {
		out := e.stdout
		if o.Out == "-" {
			out = e.stderr
		}
		fmt.Fprintf(out, "exported %s (%s, %d bytes) to %s in %s: %s, %s, %d rate-limited\ncontent digest %s\n",
			english.Connectors(s.Connectors), english.Count(s.Files, "file", "files"), s.Bytes, o.Out, s.Duration,
			english.Count(int(s.Requests), "request", "requests"), english.Count(int(s.Retries), "retry", "retries"), s.RateLimited, s.ContentDigest)
	}
	if !o.JSON {
		out := e.stdout
		if o.Out == "-" {
			out = e.stderr
		}
		reportCoverage(out, s.Coverage)
	}
	if s.Connectors == 0 {
		fmt.Fprintln(e.stderr, "note: no connector matched; the bundle is empty")
	}
	for _, n := range readsNotes(s.Reads) {
		fmt.Fprintln(e.stderr, "note: "+n)
	}
	for _, a := range s.Ambiguous {
		fmt.Fprintln(e.stderr, ambiguityLine(a, "the manifest"))
	}
	if !s.Complete {
		failed := 0
		for _, ie := range s.Errors {
			if ie.Part == bundle.PartList {
				fmt.Fprintf(e.stderr, "failed: the connector list: %s\n", ie.Error)
				continue
			}
			failed++
			fmt.Fprintf(e.stderr, "failed: %s: %s\n", strings.TrimSpace(firstNonEmpty(ie.Name, ie.ScriptName)+" "+ie.Part), ie.Error)
		}
		what := english.Connectors(failed) + " could not be exported"
		if failed < len(s.Errors) {
			what = "the connector list had a gap"
			if failed > 0 {
				what += " and " + english.Connectors(failed) + " could not be exported"
			}
		}
		return &exitErr{code: exitPartial, err: fmt.Errorf("%s; the bundle is marked incomplete", what)}
	}
	return nil
}

// readsNotes is what a person who asked for --parts detail must hear about
// how the parts were read: each kind of part the sample showed the detail
// does not carry (read per part instead, so the run cost more requests),
// and each it could not judge (taken from the detail unproven). Under auto
// such switches are the mode's normal work and are only recorded.
func readsNotes(r *bundle.Reads) []string {
	if r == nil || r.Mode != export.PartsDetail {
		return nil
	}
	var out []string
	for _, why := range r.Switched {
		out = append(out, "--parts detail: the tenant's detail does not carry every part ("+why+"); that kind of part was read from its own endpoints instead, so the bundle holds it (manifest reads.switched)")
	}
	for _, why := range r.Unproven {
		out = append(out, "--parts detail: "+why+"; that kind of part was taken from the detail unproven (manifest reads.unproven; --parts auto reads it per part)")
	}
	return out
}

// ambiguityLine says which translations of a connector were not stored
// because the tenant's answers could not tell them present, and where that
// is recorded.
func ambiguityLine(a bundle.Ambiguity, recordedIn string) string {
	return fmt.Sprintf("ambiguous: %s: translations %s not stored: %s (recorded in %s)",
		firstNonEmpty(a.Name, a.ScriptName), strings.Join(a.Locales, ", "), a.Reason, recordedIn)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
