package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"filippo.io/age"
	"github.com/urfave/cli/v3"
	"golang.org/x/sync/errgroup"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/internal/english"
	"github.com/connvault/connvault/repository"
	"github.com/connvault/connvault/tenant"
)

// repoFlag is the --repo flag of backup, snapshots, prune and restore.
func repoFlag() cli.Flag {
	return &cli.StringFlag{Name: "repo", Usage: "repository location: DIR, file:///DIR, s3://BUCKET/PREFIX[?endpoint=URL&use_path_style=true&region=R], gs://BUCKET/PREFIX or azblob://CONTAINER/PREFIX"}
}

// backupTarget is one tenant to back up: its name in the repository and its
// client options, or Err when its profile cannot give them (a secret's
// variable unset, its file missing): that tenant fails alone.
type backupTarget struct {
	Name   string
	Tenant tenant.Options
	Err    error
}

// backupRow is one tenant's line of the backup summary (--json: one object).
type backupRow struct {
	Tenant         string            `json:"tenant"`
	Result         string            `json:"result"` // stored, unchanged, partial or failed
	Snapshot       string            `json:"snapshot,omitempty"`
	Time           string            `json:"time,omitempty"` // the snapshot's
	Connectors     int               `json:"connectors"`
	Failed         int               `json:"failed,omitempty"`
	Bytes          int64             `json:"bytes"` // stored (0 when unchanged)
	Encrypted      bool              `json:"encrypted"`
	ContentDigest  string            `json:"contentDigest,omitempty"`
	Tags           []string          `json:"tags,omitempty"`
	Gone           []string          `json:"gone,omitempty"`      // hidden connectors carried forward, gone from the tenant (exit 3)
	GoneNames      []string          `json:"goneNames,omitempty"` // their names, in the same order
	Replaced       map[string]string `json:"replaced,omitempty"`  // gone scriptName → the new one of the same name
	Seconds        float64           `json:"seconds"`
	Error          string            `json:"error,omitempty"`
	UnchangedSince string            `json:"unchangedSince,omitempty"`
	// Damaged says why the latest snapshot was not trusted although the
	// tenant is unchanged (its object missing, truncated or altered): this
	// run stored a new one.
	Damaged string `json:"damaged,omitempty"`
	// Forgotten are the --forget scriptNames the tenant's latest snapshot
	// carried forward or reported gone.
	Forgotten []string `json:"forgotten,omitempty"`
	finished  time.Time
	err       error
	notes     []string // how the parts were read, where --parts detail could not (readsNotes)
	// ambiguous are the translations the tenant's answers could not tell
	// present, not stored (export.Result.Ambiguous).
	ambiguous []bundle.Ambiguity
}

func backupCommand(e *env) *cli.Command {
	flags := append(tenantFlags(), repoFlag(),
		&cli.StringSliceFlag{Name: "tenant", Usage: "tenant to back up: a name in --config, or without --config the name of the SAIL_* tenant in the repository (default: from its URL); repeatable with --config"},
		&cli.StringFlag{Name: "config", Usage: "profiles file naming the tenants (see migrate)"},
		&cli.BoolFlag{Name: "all", Usage: "back up every tenant of --config"},
		&cli.IntFlag{Name: "tenants-concurrency", Value: 2, Usage: "tenants backed up at once (one rate governor per client id)"},
		&cli.StringSliceFlag{Name: "tag", Usage: "label the snapshots (repeatable)"},
		&cli.StringSliceFlag{Name: "recipient", Usage: "encrypt snapshots with age for this recipient, age1… (repeatable)"},
		&cli.StringSliceFlag{Name: "recipients-file", Usage: "encrypt snapshots for the age recipients listed in this file (repeatable)"},
		&cli.StringFlag{Name: "metrics-file", Usage: "write Prometheus textfile metrics here (node_exporter's textfile collector)"},
		&cli.BoolFlag{Name: "allow-plaintext", Usage: "store a clear snapshot although the tenant's latest snapshot is encrypted (refused without it)"},
		&cli.BoolFlag{Name: "tenant-moved", Usage: "store the snapshot although the tenant's latest snapshot is of another tenant URL (refused without it)"},
		&cli.StringSliceFlag{Name: "forget", Usage: "drop this scriptName from the hidden connectors carried forward and from those reported gone (repeatable)"},
	)
	flags = append(flags, selectionFlags()...)
	flags = append(flags, filterFlags("export")...)
	flags = append(flags, sourcesFlag())
	flags = append(flags,
		&cli.IntFlag{Name: "concurrency", Value: export.DefaultConcurrency, Usage: "connectors fetched at once, per tenant"},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON object per tenant (an array) on stdout"},
	)
	return &cli.Command{
		Name:      "backup",
		Usage:     "export tenants into snapshots of a repository (nothing new is stored for an unchanged tenant)",
		UsageText: "connvault backup --repo URL [--tenant NAME]... [--config profiles.yaml --all] [--tag T]... [--recipient age1…]... [export flags]",
		Flags:     flags,
		Action: func(ctx context.Context, c *cli.Command) error {
			if c.NArg() > 0 {
				return usageErrorf("backup takes no arguments (got %q)", c.Args().Slice())
			}
			if c.String("repo") == "" {
				return usageErrorf("backup needs --repo LOCATION")
			}
			if c.Int("tenants-concurrency") < 1 {
				return usageErrorf("--tenants-concurrency must be at least 1")
			}
			inputs := append([]string{c.String("config")}, c.StringSlice("recipients-file")...)
			if err := refuseOverInput("--metrics-file", c.String("metrics-file"), inputs...); err != nil {
				return err
			}
			if err := checkWritable("--metrics-file", c.String("metrics-file"), false); err != nil {
				return err
			}
			targets, err := backupTargets(c, e)
			if err != nil {
				return err
			}
			recipients, err := repository.Recipients(c.StringSlice("recipient"), c.StringSlice("recipients-file"))
			if err != nil {
				return usageErrorf("%v", err)
			}
			eo, err := exportOptionsFrom(c, e)
			if err != nil {
				return err
			}
			createdAt, err := bundle.CreatedAtFromEnv(e.getenv, time.Now())
			if err != nil {
				return usageErrorf("SOURCE_DATE_EPOCH: %v", err)
			}
			repo, err := repository.Open(ctx, c.String("repo"), true)
			if err != nil {
				return err
			}
			defer repo.Close()
			rows := runBackups(ctx, repo, targets, backupSettings{
				export: eo, tags: c.StringSlice("tag"), recipients: recipients,
				createdAt: createdAt, concurrency: c.Int("tenants-concurrency"),
				allowPlaintext: c.Bool("allow-plaintext"), moved: c.Bool("tenant-moved"), forget: c.StringSlice("forget"),
			})
			if path := c.String("metrics-file"); path != "" {
				if err := writeMetrics(ctx, path, repo, rows); err != nil {
					return err
				}
			}
			warnUnknownForget(e.stderr, c.StringSlice("forget"), rows)
			if err := reportBackups(e, c.Bool("json"), rows); err != nil && ctx.Err() != nil {
				return fmt.Errorf("backup interrupted: %w", context.Cause(ctx))
			} else if err != nil {
				return err
			}
			return nil
		},
	}
}

// backupTargets reads which tenants to back up: profiles of --config (with
// --all or --tenant), or the SAIL_* tenant.
func backupTargets(c *cli.Command, e *env) ([]backupTarget, error) {
	names := c.StringSlice("tenant")
	if c.String("config") == "" {
		if c.Bool("all") {
			return nil, usageErrorf("--all needs --config, the profiles file naming the tenants")
		}
		if len(names) > 1 {
			return nil, usageErrorf("several --tenant need --config, the profiles file naming them")
		}
		topts, err := tenantOptions(c, e.getenv, e.log)
		if err != nil {
			return nil, err
		}
		name := tenantNameOf(topts.BaseURL)
		if len(names) == 1 {
			name = names[0]
		}
		if err := repository.CheckTenant(name); err != nil {
			return nil, usageErrorf("--tenant: %v", err)
		}
		return []backupTarget{{Name: name, Tenant: topts}}, nil
	}
	pf, err := loadProfiles(c.String("config"))
	if err != nil {
		return nil, err
	}
	switch {
	case c.Bool("all") && len(names) > 0:
		return nil, usageErrorf("give --all or --tenant, not both")
	case c.Bool("all"):
		for n := range pf.Tenants {
			names = append(names, n)
		}
		slices.Sort(names)
	case len(names) == 0:
		return nil, usageErrorf("backup --config needs --all or --tenant NAME")
	}
	var targets []backupTarget
	for _, n := range names {
		if err := repository.CheckTenant(n); err != nil {
			return nil, usageErrorf("profile %q cannot name a tenant in a repository: %v", n, err)
		}
		o, err := profileOptions(c, e, pf, n)
		if ee, ok := errors.AsType[*exitErr](err); ok && ee.code == exitUsage {
			return nil, err // the command line is wrong (an unknown tenant, a bad flag): nothing runs
		}
		// Any other error is this tenant's profile or secret: it fails
		// alone, reported in its row and metrics; the others run.
		targets = append(targets, backupTarget{Name: n, Tenant: o, Err: err})
	}
	return targets, nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// tenantNameOf names the SAIL_* tenant in a repository when --tenant does
// not: the first label of its host (acme of acme.api.identitynow.com), or
// the whole host and port of a loopback address.
func tenantNameOf(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return "tenant"
	}
	host := u.Hostname()
	name := host
	if first, _, ok := strings.Cut(host, "."); ok && strings.HasSuffix(host, ".identitynow.com") {
		name = first
	} else if u.Port() != "" {
		name += "-" + u.Port()
	}
	return strings.Trim(unsafeName.ReplaceAllString(name, "-"), "-.")
}

// backupSettings are what every tenant's backup shares.
type backupSettings struct {
	export      export.Options
	tags        []string
	recipients  []age.Recipient
	createdAt   time.Time
	concurrency int
	// allowPlaintext, moved and forget are repository.BackupOptions'.
	allowPlaintext bool
	moved          bool
	forget         []string
}

// runBackups backs the targets up, s.concurrency at a time, each tenant's
// failure recorded in its row and never stopping the others. Tenants that
// share a client id share one rate governor.
func runBackups(ctx context.Context, repo *repository.Repo, targets []backupTarget, s backupSettings) []backupRow {
	rows := make([]backupRow, len(targets))
	governors := map[string]*tenant.Governor{}
	clients := make([]*tenant.Client, len(targets))
	for i, t := range targets {
		rows[i] = backupRow{Tenant: t.Name, Tags: s.tags}
		cl, err := (*tenant.Client)(nil), t.Err
		if err == nil {
			cl, err = newClient(t.Tenant, governors)
		}
		if err != nil {
			rows[i].Result, rows[i].Error, rows[i].err, rows[i].finished = "failed", err.Error(), err, time.Now()
			continue
		}
		clients[i] = cl
	}
	var g errgroup.Group
	g.SetLimit(s.concurrency)
	for i := range targets {
		if clients[i] == nil {
			continue
		}
		g.Go(func() error {
			rows[i] = backupOne(ctx, repo, targets[i].Name, clients[i], s) // each goroutine its own row
			return nil
		})
	}
	_ = g.Wait()
	return rows
}

// backupOne backs one tenant up and says how it went.
func backupOne(ctx context.Context, repo *repository.Repo, name string, cl *tenant.Client, s backupSettings) backupRow {
	start := time.Now()
	row := backupRow{Tenant: name, Tags: s.tags, Encrypted: len(s.recipients) > 0}
	res, err := repo.Backup(ctx, cl, repository.BackupOptions{
		Tenant: name,
		Export: s.export,
		Writer: bundle.WriterOptions{
			CreatedAt: s.createdAt, ToolVersion: Version,
			Source: bundle.Source{URL: cl.BaseURL(), API: cl.API()},
		},
		Tags:           s.tags,
		Recipients:     s.recipients,
		AllowPlaintext: s.allowPlaintext,
		Moved:          s.moved,
		Forget:         s.forget,
	})
	row.Seconds = time.Since(start).Seconds()
	row.finished = time.Now()
	if err != nil {
		row.Result, row.Error, row.err = "failed", err.Error(), err
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			row.Error = "interrupted"
		}
		return row
	}
	row.notes, row.ambiguous = readsNotes(res.Export.Reads), res.Export.Ambiguous
	sn := res.Snapshot
	row.Snapshot, row.Time, row.Connectors, row.Failed = sn.ID, sn.Time.UTC().Format(time.RFC3339), sn.Connectors, sn.Failed
	row.ContentDigest, row.Encrypted, row.Replaced, row.Damaged = sn.ContentDigest, sn.Encrypted, res.Replaced, res.Damaged
	row.Forgotten = res.Forgotten
	for _, g := range res.Gone {
		row.Gone, row.GoneNames = append(row.Gone, g.ScriptName), append(row.GoneNames, g.Name)
	}
	if len(row.Replaced) == 0 {
		row.Replaced = nil
	}
	switch {
	case res.Unchanged:
		row.Result, row.UnchangedSince, row.Tags = "unchanged", row.Time, sn.Tags
	case !sn.Complete:
		row.Result, row.Bytes = "partial", sn.Size
	default:
		row.Result, row.Bytes = "stored", sn.Size
	}
	return row
}

// reportBackups prints the summary and decides the exit code: 3 when a
// tenant failed or its snapshot is incomplete, 2 when a tenant failed on
// bad input (an --include matching none of its connectors, a clear backup
// after encrypted ones, another tenant URL than the latest snapshot's), 130
// when interrupted.
func reportBackups(e *env, asJSON bool, rows []backupRow) error {
	if asJSON {
		if err := writeJSON(e.stdout, rows); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TENANT\tRESULT\tSNAPSHOT\tCONNECTORS\tBYTES\tSECONDS\tNOTE")
		for _, r := range rows {
			note := r.Error
			switch {
			case r.Result == "unchanged":
				note = "unchanged since " + r.UnchangedSince + ": nothing stored"
			case r.Result == "partial":
				note = fmt.Sprintf("%d connectors failed: snapshot marked incomplete", r.Failed)
			case r.Damaged != "":
				note = "the latest snapshot is damaged (see below): a new one is stored"
			}
			if len(r.Gone) > 0 {
				note = strings.TrimSpace(note + fmt.Sprintf(" (%d hidden connectors gone: see below)", len(r.Gone)))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%.1f\t%s\n", r.Tenant, r.Result, r.Snapshot, r.Connectors, r.Bytes, r.Seconds, note)
		}
		tw.Flush()
		for _, r := range rows {
			writeGone(e.stdout, r)
			if r.Damaged != "" {
				fmt.Fprintf(e.stdout, "\nWARNING: tenant %s: %s.\nSnapshot %s, stored now, is a sound copy of the tenant; prune removes the broken one.\n", r.Tenant, r.Damaged, r.Snapshot)
			}
		}
	}
	for _, r := range rows {
		for _, n := range r.notes {
			fmt.Fprintf(e.stderr, "note: tenant %s: %s\n", r.Tenant, n)
		}
		for _, a := range r.ambiguous {
			fmt.Fprintln(e.stderr, ambiguityLine(a, "the manifest of tenant "+r.Tenant+"'s snapshot"))
		}
	}
	var failed, partial, gone []string
	badInput := false // a refusal of what the command line asked: exit 2, as export and import give it
	for _, r := range rows {
		switch r.Result {
		case "failed":
			failed = append(failed, r.Tenant)
			_, noMatch := errors.AsType[*export.NoMatchError](r.err)
			badInput = badInput || noMatch || errors.Is(r.err, repository.ErrPlaintextAfterEncrypted) || errors.Is(r.err, repository.ErrTenantMoved)
		case "partial":
			partial = append(partial, r.Tenant)
		}
		if len(r.Gone) > 0 {
			gone = append(gone, r.Tenant)
		}
	}
	if len(failed)+len(partial)+len(gone) == 0 {
		return nil
	}
	msg := ""
	if len(failed) > 0 {
		msg = fmt.Sprintf("backup failed for %s", strings.Join(failed, ", "))
	}
	if len(partial) > 0 {
		msg = strings.TrimPrefix(msg+"; ", "; ") + fmt.Sprintf("incomplete snapshots for %s", strings.Join(partial, ", "))
	}
	if len(gone) > 0 {
		msg = strings.TrimPrefix(msg+"; ", "; ") + fmt.Sprintf("hidden connectors carried forward are gone from %s (see above)", strings.Join(gone, ", "))
	}
	if badInput {
		return &exitErr{code: exitUsage, err: errors.New(msg)}
	}
	return &exitErr{code: exitPartial, err: errors.New(msg)}
}

// warnUnknownForget warns, on stderr, of each --forget scriptName that no
// tenant of the run carried forward or reported gone: a typo, or a forget
// already done (the flag can then leave the command line). It is a warning,
// not an error: with several tenants a scriptName is one tenant's, and a
// forget left in a cron line must not fail the nights after. Tenants that
// failed before reading their latest snapshot are not counted.
func warnUnknownForget(w io.Writer, forget []string, rows []backupRow) {
	known := map[string]bool{}
	failed := 0
	for _, r := range rows {
		for _, sn := range r.Forgotten {
			known[sn] = true
		}
		if r.Result == "failed" {
			failed++
		}
	}
	for _, sn := range forget {
		if known[sn] {
			continue
		}
		also := ""
		if failed > 0 {
			also = fmt.Sprintf(" (%s failed before it could be checked)", english.Count(failed, "tenant", "tenants"))
		}
		fmt.Fprintf(w, "connvault: warning: --forget %s: no latest snapshot of the tenants backed up carries it forward or reports it gone: a typo, or forgotten already%s\n", sn, also)
		known[sn] = true // once per scriptName
	}
}

// writeGone says, after the summary, which hidden connectors that earlier
// snapshots carried forward the tenant no longer has, and what to do: every
// backup repeats it (and exits 3) until they are named again or forgotten.
func writeGone(w io.Writer, r backupRow) {
	for _, old := range slices.Sorted(maps.Keys(r.Replaced)) {
		fmt.Fprintf(w, "tenant %s: hidden connector %s is now exported as %s (same name): no longer reported gone\n", r.Tenant, old, r.Replaced[old])
	}
	if len(r.Gone) == 0 {
		return
	}
	fmt.Fprintf(w, "\nWARNING: tenant %s: %d hidden connectors that earlier snapshots held are gone from the tenant (404) and are NOT in this backup:\n", r.Tenant, len(r.Gone))
	for i, sn := range r.Gone {
		fmt.Fprintf(w, "  %s (%s)\n", sn, r.GoneNames[i])
	}
	fmt.Fprintf(w, "If a restore recreated them under new scriptNames (restore and import list them), name those once with --script-name;\n"+
		"if they were deleted on purpose, drop them with --forget SCRIPTNAME. Until then every backup says so and exits 3.\n")
}
