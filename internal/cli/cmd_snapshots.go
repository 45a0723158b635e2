package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/connvault/connvault/internal/english"
	"github.com/connvault/connvault/repository"
)

// snapshotRow is a line of `snapshots` (--json: one object per snapshot).
type snapshotRow struct {
	ID            string   `json:"id"`
	Tenant        string   `json:"tenant"`
	Time          string   `json:"time"`
	Connectors    int      `json:"connectors"`
	ContentDigest string   `json:"contentDigest"`
	Complete      bool     `json:"complete"`
	Size          int64    `json:"size"`
	Encrypted     bool     `json:"encrypted"`
	Tags          []string `json:"tags"`
	URL           string   `json:"url,omitempty"` // the tenant URL the snapshot was taken of
	// State is "ok", or "missing" or "damaged" (its object gone, or of
	// another size than the record says), which Problem explains.
	State   string `json:"state"`
	Problem string `json:"problem,omitempty"`
}

func rowOf(s repository.Snapshot) snapshotRow {
	tags := s.Tags
	if tags == nil {
		tags = []string{}
	}
	return snapshotRow{ID: s.ID, Tenant: s.Tenant, Time: s.Time.UTC().Format(time.RFC3339), Connectors: s.Connectors,
		ContentDigest: s.ContentDigest, Complete: s.Complete, Size: s.Size, Encrypted: s.Encrypted, Tags: tags, URL: s.Source.URL, State: s.State(), Problem: s.Problem}
}

func snapshotsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "snapshots",
		Usage:     "list the snapshots of a repository, oldest first",
		UsageText: "connvault snapshots --repo URL [--tenant T] [--json]",
		Flags: []cli.Flag{repoFlag(),
			&cli.StringFlag{Name: "tenant", Usage: "only this tenant's snapshots"},
			&cli.BoolFlag{Name: "json", Usage: "print the snapshots as a JSON array"},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			if c.NArg() > 0 {
				return usageErrorf("snapshots takes no arguments (got %q)", c.Args().Slice())
			}
			repo, err := openRepo(ctx, c)
			if err != nil {
				return err
			}
			defer repo.Close()
			if t := c.String("tenant"); t != "" {
				if err := repo.RequireTenant(ctx, t); err != nil {
					return unknownTenant(err)
				}
			}
			snaps, err := repo.List(ctx, c.String("tenant"))
			if err != nil {
				return err
			}
			rows := make([]snapshotRow, len(snaps))
			for i, s := range snaps {
				rows[i] = rowOf(s)
			}
			if c.Bool("json") {
				return writeJSON(e.stdout, rows)
			}
			tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTENANT\tTIME\tCONNECTORS\tCOMPLETE\tSIZE\tENCRYPTED\tSTATE\tTAGS\tCONTENT DIGEST\tURL")
			var broken []snapshotRow
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%t\t%d\t%t\t%s\t%s\t%s\t%s\n", r.ID, r.Tenant, r.Time, r.Connectors, r.Complete, r.Size, r.Encrypted, r.State, strings.Join(r.Tags, ","), shortDigest(r.ContentDigest), r.URL)
				if r.Problem != "" {
					broken = append(broken, r)
				}
			}
			tw.Flush()
			fmt.Fprintln(e.stdout, english.Count(len(rows), "snapshot", "snapshots"))
			if len(broken) > 0 {
				fmt.Fprintf(e.stdout, "\nWARNING: %s cannot be restored:\n", english.Count(len(broken), "snapshot", "snapshots"))
				for _, r := range broken {
					fmt.Fprintf(e.stdout, "  %s of tenant %s: %s\n", r.ID, r.Tenant, r.Problem)
				}
				fmt.Fprintln(e.stdout, "A backup stores a new snapshot in place of a broken latest one; prune removes the broken ones (its policy counts only sound snapshots).")
			}
			return nil
		},
	}
}

// shortDigest shortens "sha256:<hex>" for a table.
func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

// openRepo opens the repository of --repo for reading.
func openRepo(ctx context.Context, c *cli.Command) (*repository.Repo, error) {
	if c.String("repo") == "" {
		return nil, usageErrorf("%s needs --repo LOCATION", c.Name)
	}
	return repository.Open(ctx, c.String("repo"), false)
}

// unknownTenant makes a --tenant the repository does not hold a bad
// argument (exit 2); other errors stay as they are.
func unknownTenant(err error) error {
	if errors.Is(err, repository.ErrUnknownTenant) {
		return &exitErr{code: exitUsage, err: err}
	}
	return err
}
