package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/connvault/connvault/repository"
)

func pruneCommand(e *env) *cli.Command {
	keep := func(name, what string) cli.Flag {
		return &cli.IntFlag{Name: "keep-" + name, Usage: "keep the " + what + " (-1: all)"}
	}
	return &cli.Command{
		Name:      "prune",
		Usage:     "remove the snapshots a keep-policy does not keep (restic's semantics); the newest complete snapshot of each tenant always stays",
		UsageText: "connvault prune --repo URL [--keep-last N] [--keep-daily N]... [--keep-tag T]... [--tenant T] [--dry-run] [--json]",
		Flags: []cli.Flag{repoFlag(),
			keep("last", "N newest snapshots"),
			keep("hourly", "newest snapshot of each of the N newest hours that have one"),
			keep("daily", "newest snapshot of each of the N newest days that have one"),
			keep("weekly", "newest snapshot of each of the N newest ISO weeks that have one"),
			keep("monthly", "newest snapshot of each of the N newest months that have one"),
			keep("yearly", "newest snapshot of each of the N newest years that have one"),
			&cli.StringSliceFlag{Name: "keep-tag", Usage: "keep snapshots with all these tags, a,b (repeatable: any of the lists)"},
			&cli.StringFlag{Name: "tenant", Usage: "only this tenant's snapshots"},
			&cli.BoolFlag{Name: "dry-run", Usage: "say what would be kept and removed; remove nothing"},
			&cli.BoolFlag{Name: "json", Usage: "print the decision per tenant as JSON"},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			if c.NArg() > 0 {
				return usageErrorf("prune takes no arguments (got %q)", c.Args().Slice())
			}
			p := repository.Policy{
				Last: c.Int("keep-last"), Hourly: c.Int("keep-hourly"), Daily: c.Int("keep-daily"),
				Weekly: c.Int("keep-weekly"), Monthly: c.Int("keep-monthly"), Yearly: c.Int("keep-yearly"),
			}
			for _, n := range []int{p.Last, p.Hourly, p.Daily, p.Weekly, p.Monthly, p.Yearly} {
				if n < -1 {
					return usageErrorf("a --keep-* count must be -1 (all), 0 or more, not %d", n)
				}
			}
			for _, t := range c.StringSlice("keep-tag") {
				p.Tags = append(p.Tags, strings.Split(t, ","))
			}
			if p.Empty() {
				return usageErrorf("prune needs a keep policy: --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly or --keep-tag (without one it would remove every snapshot)")
			}
			repo, err := openRepo(ctx, c)
			if err != nil {
				return err
			}
			defer repo.Close()
			removed := map[string]bool{} // snapshot ids and leftover keys
			leftovers := 0
			plans, err := repo.Prune(ctx, repository.PruneOptions{Policy: p, Tenant: c.String("tenant"), DryRun: c.Bool("dry-run"),
				Removed:         func(s repository.Snapshot) { removed[s.ID] = true },
				RemovedLeftover: func(l repository.Leftover) { removed[l.Key] = true; leftovers++ }})
			if err != nil && len(removed) == 0 {
				// Nothing happened: the error says why (with --json, in
				// the document runEnv prints for a command that stopped).
				return unknownTenant(err)
			}
			// A repository (or --tenant) without snapshots is a result too:
			// nothing to keep or remove, said in the table and the JSON.
			plans = orEmpty(plans)
			if c.Bool("json") {
				if jerr := writeJSON(e.stdout, map[string]any{"policy": p.String(), "dryRun": c.Bool("dry-run"), "tenants": plans, "removed": len(removed) - leftovers, "removedLeftovers": leftovers}); jerr != nil && err == nil {
					err = jerr
				}
			} else {
				writePrune(e, p, plans, c.Bool("dry-run"), removed)
			}
			return err
		},
	}
}

// writePrune prints what prune keeps and why, and what it removed (or, in a
// dry run, would remove); a snapshot a failed prune did not reach is shown
// as not removed.
func writePrune(e *env, p repository.Policy, plans []repository.TenantPrune, dryRun bool, removed map[string]bool) {
	verb := "removed"
	if dryRun {
		verb = "would remove"
	}
	fmt.Fprintf(e.stdout, "policy: keep %s\n", p)
	if len(plans) == 0 {
		fmt.Fprintln(e.stdout, "no snapshots and no leftovers: nothing to keep or remove")
	}
	for _, tp := range plans {
		fmt.Fprintf(e.stdout, "\ntenant %s: keep %d, %s %d\n", tp.Tenant, len(tp.Keep), verb, len(tp.Remove))
		for _, k := range tp.Keep {
			fmt.Fprintf(e.stdout, "  keep    %s  %s  %s\n", k.Snapshot.ID, k.Snapshot.Time.UTC().Format(time.RFC3339), strings.Join(k.Reasons, ", "))
		}
		what := func(key string) string {
			switch {
			case dryRun:
				return "would remove"
			case !removed[key]:
				return "NOT removed (prune stopped)"
			}
			return "removed"
		}
		for _, s := range tp.Remove {
			why := ""
			if s.Problem != "" {
				why = "  " + s.Problem + ": cannot be restored"
			}
			fmt.Fprintf(e.stdout, "  %s  %s  %s%s\n", what(s.ID), s.ID, s.Time.UTC().Format(time.RFC3339), why)
		}
		for _, l := range tp.Leftovers {
			fmt.Fprintf(e.stdout, "  %s  leftover %s (%d bytes, stored %s by a backup stopped before its record was written)\n", what(l.Key), l.Key, l.Size, l.ModTime.UTC().Format(time.RFC3339))
		}
	}
	if dryRun {
		fmt.Fprintln(e.stdout, "\nDry run: nothing was removed.")
	}
}
