package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/internal/english"
)

func rollbackCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "rollback",
		Usage:     "undo an import from its undo bundle: restore only what it wrote, where unchanged since",
		UsageText: "connvault rollback [--dry-run] [--json] [--force] [--yes] UNDO_BUNDLE",
		Flags: append(tenantFlags(),
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "apply without asking"},
			&cli.BoolFlag{Name: "dry-run", Usage: "show the rollback plan and stop; write nothing"},
			&cli.BoolFlag{Name: "force", Usage: "also restore parts, and delete created connectors, that changed since the import"},
			&cli.BoolFlag{Name: "json", Usage: "print the plan (with --dry-run) or the results as JSON on stdout"},
			&cli.IntFlag{Name: "concurrency", Value: 4, Usage: "connectors written at once"},
			&cli.StringFlag{Name: "state-dir", Value: importer.DefaultStateDir, Usage: "directory of the import's journal (it knows what the import created and wrote)"},
			sourcesFlag(),
			forceDeleteInUseFlag(),
		),
		Action: func(ctx context.Context, c *cli.Command) error {
			defer softMemoryLimit(importMemoryLimit)()
			if c.NArg() != 1 {
				return usageErrorf("rollback takes one undo bundle, got %d arguments", c.NArg())
			}
			topts, err := tenantOptions(c, e.getenv, e.log)
			if err != nil {
				return err
			}
			cl, err := newClient(topts, nil)
			if err != nil {
				return err
			}
			opts := importer.Options{Concurrency: c.Int("concurrency"), StateDir: c.String("state-dir"), Force: c.Bool("force"),
				ToolVersion: Version, Logger: e.log, NoSources: !c.Bool("sources"), ForceDeleteInUse: c.Bool("force-delete-in-use")}
			undo := c.Args().First()
			if !c.Bool("dry-run") {
				// Before the journal is read: an import or rollback running
				// in the same state directory may be writing it.
				l, err := importer.LockStateDir(opts.StateDir, "a rollback of "+cl.BaseURL(), time.Now())
				if err != nil {
					return err
				}
				defer l.Unlock()
				opts.Lock = l
			}
			p, err := importer.PlanRollback(ctx, cl, undo, opts)
			if err != nil {
				return fmt.Errorf("rollback: %w", err)
			}
			asJSON := c.Bool("json")
			if c.Bool("dry-run") {
				if asJSON {
					if err := writeJSON(e.stdout, p); err != nil {
						return err
					}
				} else {
					p.WriteTable(e.stdout)
					fmt.Fprintln(e.stdout, "\nDry run: nothing was written.")
				}
				if n := p.Incomplete(); n > 0 {
					// The exit code the rollback itself will have, for a
					// script that checks before it rolls back.
					return &exitErr{code: exitPartial, err: fmt.Errorf("the rollback would leave %s not fully undone (skipped or partial; see the plan)", english.Connectors(n))}
				}
				return nil
			}
			if !asJSON {
				p.WriteTable(e.stdout)
			}
			if !c.Bool("yes") {
				if err := confirm(ctx, e, p.WriteTable, "Roll "+cl.BaseURL()+" back as planned above?"); err != nil {
					return err
				}
			}
			start := time.Now()
			res, err := importer.ApplyRollback(ctx, cl, p, opts)
			if err != nil {
				return withResult(fmt.Errorf("rollback: %w", err), res) // what it did before it stopped
			}
			return reportImport(e, asJSON, res, time.Since(start), cl.Stats(), "")
		},
	}
}
