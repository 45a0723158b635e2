package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/internal/english"
	"github.com/connvault/connvault/transform"
)

// transformInput is a verified bundle with the rules applied.
type transformInput struct {
	Path       string
	Manifest   bundle.Manifest
	Connectors []bundle.Connector
}

func transformFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "rules", Usage: "rules file (YAML, version: 2): filters, renames, replacements, placeholders, metadata"},
		&cli.StringFlag{Name: "values", Usage: "values file (YAML map NAME: value) for ${NAME} placeholders, which the rules file must enable"},
	}
}

// loadRules reads the rules and values files named by flags ("" for none).
func loadRules(rulesPath, valuesPath string, getenv func(string) string) (*transform.Rules, transform.Lookup, error) {
	var rules *transform.Rules
	if rulesPath != "" {
		data, err := os.ReadFile(rulesPath)
		if err != nil {
			return nil, nil, fmt.Errorf("read rules: %w", err)
		}
		if rules, err = transform.ParseRules(rulesPath, data); err != nil {
			return nil, nil, err
		}
	}
	var values map[string]string
	if valuesPath != "" {
		data, err := os.ReadFile(valuesPath)
		if err != nil {
			return nil, nil, fmt.Errorf("read values: %w", err)
		}
		if values, err = transform.LoadValues(valuesPath, data); err != nil {
			return nil, nil, err
		}
	}
	// Values come only from the values file and the environment variables
	// the rules file names (never SAIL_*): a plain import writes the
	// bundle's bytes as they are.
	lookup, err := rules.Lookup(values, getenv)
	if err != nil {
		return nil, nil, fmt.Errorf("--values %s: %w", valuesPath, err)
	}
	return rules, lookup, nil
}

// transformArgs are the inputs that shape what a bundle becomes before it is
// planned: the rules and values files and the --include/--exclude globs,
// which choose connectors by name before the rules do (internal/glob).
type transformArgs struct {
	Rules, Values    string
	Include, Exclude []string
	// Open opens the bundle (env.openBundle, or a repository's snapshot
	// for restore); nil opens it without identities.
	Open func(ctx context.Context, path string) (*bundle.Bundle, error)
}

// loadTransformed opens and verifies the whole bundle at path, loads every
// connector and applies the rules. Nothing is written anywhere.
func loadTransformed(ctx context.Context, path string, in transformArgs, getenv func(string) string) (transformInput, error) {
	rules, lookup, err := loadRules(in.Rules, in.Values, getenv)
	if err != nil {
		return transformInput{}, err
	}
	names, err := transform.NameFilter(in.Include, in.Exclude)
	if err != nil {
		return transformInput{}, usageErrorf("%v", err)
	}
	open := in.Open
	if open == nil {
		open = (*env)(nil).openBundle // no identities
	}
	b, err := open(ctx, path)
	if err != nil {
		return transformInput{}, err
	}
	defer b.Close()
	cs, err := b.LoadAll()
	if err != nil {
		return transformInput{}, fmt.Errorf("load %s: %w", path, err)
	}
	if cs, err = names.Apply(cs, nil); err != nil {
		return transformInput{}, fmt.Errorf("choose connectors of %s: %w", path, err)
	}
	out, err := rules.Apply(cs, lookup)
	if err != nil {
		return transformInput{}, fmt.Errorf("transform %s: %w", path, err)
	}
	m := b.Manifest
	m.Scope = rules.NarrowScope(names.NarrowScope(m.Scope)) // what the bundle stands for after --include/--exclude and the rules
	return transformInput{Path: path, Manifest: m, Connectors: out}, nil
}

func transformCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "transform",
		Usage:     "rewrite a bundle for its target tenant (filters, renames, placeholders, metadata)",
		UsageText: "connvault transform IN OUT --rules rules.yaml [--values values.yaml] [--include GLOB]... [--exclude GLOB]...",
		Flags:     append(transformFlags(), filterFlags("keep")...),
		Action: func(ctx context.Context, c *cli.Command) error {
			if c.NArg() != 2 {
				return usageErrorf("transform takes an input and an output bundle, got %d arguments", c.NArg())
			}
			in, err := e.input(c.Args().Get(0))
			if err != nil {
				return err
			}
			out := c.Args().Get(1)
			ti, err := loadTransformed(ctx, in, transformArgs{Rules: c.String("rules"), Values: c.String("values"), Include: c.StringSlice("include"), Exclude: c.StringSlice("exclude"), Open: e.openBundle}, e.getenv)
			if err != nil {
				return err
			}
			createdAt, err := bundle.CreatedAtFromEnv(e.getenv, time.Now())
			if err != nil {
				return usageErrorf("SOURCE_DATE_EPOCH: %v", err)
			}
			opts, _ := json.Marshal(map[string]any{"transformedFrom": ti.Manifest.ContentDigest, "rules": c.String("rules"), "exportOptions": ti.Manifest.Options})
			m, err := bundle.WriteAll(ctx, out, bundle.WriterOptions{
				CreatedAt: createdAt, ToolVersion: Version, Source: ti.Manifest.Source, Options: opts,
				Scope: ti.Manifest.Scope,
			}, ti.Connectors, ti.Manifest.Errors)
			if err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			fmt.Fprintf(e.stdout, "wrote %s: %d of %s, content digest %s\n", out, len(m.Connectors), english.Connectors(len(ti.Manifest.Connectors)), m.ContentDigest)
			if len(m.Connectors) == 0 && len(ti.Manifest.Connectors) > 0 {
				// Likely a typo in include: say so (an import of it deletes nothing).
				fmt.Fprintf(e.stderr, "warning: the rules kept none of the %s; check include and exclude for typos\n", english.Connectors(len(ti.Manifest.Connectors)))
			}
			return nil
		},
	}
}
