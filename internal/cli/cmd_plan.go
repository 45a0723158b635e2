package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/connvault/connvault/importer"
)

func planCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "show what importing a bundle into the target tenant would do (writes nothing)",
		UsageText: "connvault plan BUNDLE [--rules R] [--values V] [--map M] [--include GLOB]... [--out plan.json] [--detailed-exitcode]",
		Flags: append(planFlags("plan"),
			&cli.StringFlag{Name: "out", Usage: "save the plan as JSON to this file, to apply later with: connvault import FILE"},
			&cli.BoolFlag{Name: "detailed-exitcode", Usage: "exit 4 when the plan has changes"},
		),
		Action: func(ctx context.Context, c *cli.Command) error {
			defer softMemoryLimit(importMemoryLimit)()
			if c.NArg() != 1 {
				return usageErrorf("plan takes one bundle, got %d arguments", c.NArg())
			}
			o, err := importOptionsFrom(c, e)
			if err != nil {
				return err
			}
			if c.Args().First() == "-" && c.String("out") != "" {
				return usageErrorf("plan --out needs the bundle as a file: a saved plan reads it again when applied")
			}
			if err := checkPlanOut(c.String("out")); err != nil {
				return err
			}
			if o.Bundle, err = e.input(c.Args().First()); err != nil {
				return err
			}
			p, err := prepare(ctx, e, o)
			if err != nil {
				return err
			}
			defer p.close()
			if out := c.String("out"); out != "" {
				// A saved plan names its inputs by absolute path, so that it
				// applies from any directory.
				p.plan.Rules, p.plan.Values, p.plan.Map = absPath(o.Input.Rules), absPath(o.Input.Values), absPath(o.Map)
				p.plan.Include, p.plan.Exclude = o.Input.Include, o.Input.Exclude
				p.plan.Bundle.Path = absPath(p.plan.Bundle.Path)
				if err := importer.SavePlan(out, p.plan); err != nil {
					return err
				}
			}
			if o.JSON {
				if err := writeJSON(e.stdout, p.plan); err != nil {
					return err
				}
			} else {
				p.plan.WriteTable(e.stdout)
				if out := c.String("out"); out != "" {
					fmt.Fprintf(e.stdout, "\nSaved the plan to %s; apply it with: connvault import %s\n", out, out)
				}
			}
			if c.Bool("detailed-exitcode") && p.plan.HasChanges() {
				return &exitErr{code: exitChanges, err: errQuiet}
			}
			return nil
		},
	}
}

// checkPlanOut refuses, before anything is read, a plan --out that cannot
// be written (checkWritable), or that exists and is not a saved plan (a bundle, the plan's own input, any other file or
// a directory): replacing a plan with a new one is what --out is for,
// replacing anything else would lose it.
func checkPlanOut(out string) error {
	if out == "" {
		return nil
	}
	if _, err := os.Lstat(out); errors.Is(err, fs.ErrNotExist) {
		return checkWritable("--out", out, false)
	}
	if _, err := importer.LoadPlan(out); err != nil {
		return usageErrorf("--out %s exists and is not a saved plan; plan --out replaces only a plan it saved: choose another path", out)
	}
	return nil
}
