package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v3"
)

func migrateCommand(e *env) *cli.Command {
	flags := append(planFlags("migrate"), importOnlyFlags()...)
	flags = append(flags, selectionFlags()...)
	flags = append(flags,
		&cli.StringFlag{Name: "config", Value: "connvault.yaml", Usage: "profiles file naming the tenants (secrets come from the environment variables or files it names)"},
		&cli.StringFlag{Name: "from", Usage: "source tenant (required) (a name in the profiles file)"},
		&cli.StringFlag{Name: "to", Usage: "target tenant (required) (a name in the profiles file)"},
	)
	return &cli.Command{
		Name:      "migrate",
		Usage:     "export from one tenant and import into another in one run",
		UsageText: "connvault migrate --config connvault.yaml --from sandbox --to production [--include GLOB]... [--dry-run] [--yes]",
		Flags:     flags,
		Action: func(ctx context.Context, c *cli.Command) error {
			defer softMemoryLimit(importMemoryLimit)()
			if c.NArg() > 0 {
				return usageErrorf("migrate takes no arguments (got %q)", c.Args().Slice())
			}
			if c.String("from") == "" || c.String("to") == "" {
				return usageErrorf("migrate needs --from and --to, names of tenants in the profiles file")
			}
			pf, err := loadProfiles(c.String("config"))
			if err != nil {
				return err
			}
			from, err := profileOptions(c, e, pf, c.String("from"))
			if err != nil {
				return err
			}
			to, err := profileOptions(c, e, pf, c.String("to"))
			if err != nil {
				return err
			}
			if !c.Bool("yes") && !c.Bool("dry-run") {
				// Refuse now rather than after a whole export.
				if f, ok := e.stdin.(*os.File); !ok || !isTerminal(f) {
					return &exitErr{code: exitUsage, err: errNoConfirm}
				}
			}
			io, err := importOptionsWith(c, e, to)
			if err != nil {
				return err
			}
			// --include and --exclude choose what is exported; the bundle holds
			// only those, so the import need not filter again.
			io.Input.Include, io.Input.Exclude = nil, nil
			selection, err := exportOptionsFrom(c, e)
			if err != nil {
				return err
			}
			io.DryRun = c.Bool("dry-run")
			unlock, err := lockState(&io, "a migration into "+to.BaseURL)
			if err != nil {
				return err
			}
			defer unlock()
			if err := os.MkdirAll(io.Importer.StateDir, 0o700); err != nil {
				return fmt.Errorf("create state dir: %w", err)
			}
			// A random part, as import's run ids have: two runs in one second
			// keep two bundles (and the second does not carry the first's
			// hidden connectors forward).
			random := make([]byte, 3)
			_, _ = rand.Read(random)
			out := filepath.Join(io.Importer.StateDir, fmt.Sprintf("migrate-%s-%s-%x.tar.gz", c.String("from"), time.Now().UTC().Format("20060102T150405Z"), random))
			eo := exportOptions{Out: out, Tenant: from, JSON: io.JSON, Export: selection}
			// The export and the import report as their commands do; with
			// --json their documents are caught and printed as one:
			// {"export": …, "plan": …} (--dry-run) or {"export": …, "import": …}.
			var exported, imported bytes.Buffer
			ee, ie := e, e
			if io.JSON {
				ee, ie = e.withStdout(&exported), e.withStdout(&imported)
			}
			sum, err := runExport(ctx, ee, eo)
			if err != nil {
				return err
			}
			if err := reportExport(ee, eo, sum); err != nil && sum.Complete {
				return err
			}
			if !sum.Complete && !io.Importer.AllowIncomplete {
				err = &exitErr{code: exitPartial, err: fmt.Errorf("export of %s was incomplete (%d errors); the bundle is at %s; nothing was imported", c.String("from"), len(sum.Errors), out)}
			} else {
				if !io.JSON {
					fmt.Fprintln(e.stdout)
				}
				io.Bundle, io.DryRun, io.Yes = out, c.Bool("dry-run"), c.Bool("yes")
				err = runImport(ctx, ie, io)
			}
			if !io.JSON {
				return err
			}
			doc := map[string]any{"export": json.RawMessage(exported.Bytes())}
			switch {
			case imported.Len() == 0: // nothing imported: the error says why
			case io.DryRun:
				doc["plan"] = json.RawMessage(imported.Bytes())
			default:
				doc["import"] = json.RawMessage(imported.Bytes())
			}
			if err != nil {
				// The one document says the run failed, as a failed
				// command's does (failedJSON), with what the import knew.
				doc["ok"], doc["command"], doc["error"], doc["exitCode"] = false, "migrate", err.Error(), exitCode(ctx, err)
				if kr := (*knownResult)(nil); imported.Len() == 0 && errors.As(err, &kr) {
					doc["import"] = kr.result
				}
			}
			if jerr := writeJSON(e.stdout, doc); jerr != nil && err == nil {
				err = jerr
			}
			return err
		},
	}
}
