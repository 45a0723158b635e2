package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/repository"
	"github.com/connvault/connvault/tenant"
)

func restoreCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "restore",
		Usage:     "plan or import a repository's snapshot into the target tenant, as import does (verification, plan, undo bundle, journal)",
		UsageText: "connvault restore --repo URL [--tenant T] [--config profiles.yaml --to NAME] SNAPSHOT|latest [--dry-run] [--yes] [import flags]",
		Flags: append(append(planFlags("import"), importOnlyFlags()...), repoFlag(),
			&cli.StringFlag{Name: "tenant", Usage: "the snapshot's tenant in the repository (needed for latest when it holds several)"},
			&cli.StringFlag{Name: "to", Usage: "target tenant: a name in the profiles file --config (default: the SAIL_* tenant)"},
			&cli.StringFlag{Name: "config", Value: "connvault.yaml", Usage: "profiles file naming the --to tenant (see migrate)"},
			&cli.StringFlag{Name: "undo", Usage: "where to write the undo bundle (default STATE-DIR/undo-<run>.tar.gz)"},
			&cli.StringFlag{Name: "mapping-out", Usage: "where to write the mapping file (default STATE-DIR/mapping-<run>.json)"},
		),
		Action: func(ctx context.Context, c *cli.Command) error {
			defer softMemoryLimit(importMemoryLimit)()
			if c.NArg() != 1 {
				return usageErrorf("restore takes one snapshot id (or a unique prefix of one) or latest, got %d arguments", c.NArg())
			}
			target, err := restoreTarget(c, e)
			if err != nil {
				return err
			}
			o, err := importOptionsWith(c, e, target)
			if err != nil {
				return err
			}
			o.DryRun, o.Yes = c.Bool("dry-run"), c.Bool("yes")
			o.Importer.UndoPath, o.Importer.MappingPath = c.String("undo"), c.String("mapping-out")
			unlock, err := lockState(&o, "a restore into "+o.Tenant.BaseURL)
			if err != nil {
				return err
			}
			defer unlock()
			ids, err := e.identities()
			if err != nil {
				return err
			}
			repo, err := openRepo(ctx, c)
			if err != nil {
				return err
			}
			defer repo.Close()
			snap, err := repo.Resolve(ctx, c.Args().First(), c.String("tenant"))
			if errors.Is(err, repository.ErrUnknownSnapshot) || errors.Is(err, repository.ErrAmbiguousSnapshot) || errors.Is(err, repository.ErrUnknownTenant) {
				return &exitErr{code: exitUsage, err: err} // a bad argument
			}
			if err != nil {
				return err
			}
			o.Bundle = fmt.Sprintf("%s snapshot %s of tenant %s", repo.Location(), snap.ID, snap.Tenant)
			o.Input.Open = func(ctx context.Context, _ string) (*bundle.Bundle, error) {
				return repo.Open(ctx, snap, ids, bundle.ReadOptions{})
			}
			if !o.JSON {
				fmt.Fprintf(e.stderr, "restoring snapshot %s of tenant %s (%s, %d connectors, complete %t) into %s\n",
					snap.ID, snap.Tenant, snap.Time.UTC().Format(time.RFC3339), snap.Connectors, snap.Complete, targetName(c, target))
			}
			return runImport(ctx, e, o)
		},
	}
}

// restoreTarget is the tenant a restore writes to: the profile --to names in
// the profiles file --config, or else the SAIL_* tenant.
func restoreTarget(c *cli.Command, e *env) (tenant.Options, error) {
	if c.String("to") == "" {
		if c.IsSet("config") {
			return tenant.Options{}, usageErrorf("--config names the profiles file of --to: give --to NAME as well, or neither to restore into the SAIL_* tenant")
		}
		return tenantOptions(c, e.getenv, e.log)
	}
	pf, err := loadProfiles(c.String("config"))
	if err != nil {
		return tenant.Options{}, err
	}
	return profileOptions(c, e, pf, c.String("to"))
}

// targetName names the tenant a restore writes to, as the user chose it.
func targetName(c *cli.Command, target tenant.Options) string {
	if to := c.String("to"); to != "" {
		return fmt.Sprintf("%s (%s)", to, target.BaseURL)
	}
	return target.BaseURL + " (SAIL_BASE_URL)"
}
