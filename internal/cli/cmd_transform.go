package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
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
	Path string
	// From is the bundle's manifest as read; Manifest is what the result
	// stands for (transform.Rules.Narrow).
	From       bundle.Manifest
	Manifest   bundle.Manifest
	Connectors []bundle.Connector
	// Warnings are what the caller prints before going on: exclude globs
	// that match no connector of the bundle (transform.Rules.Check).
	Warnings []string
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
	// Name is how messages name the bundle ("" means its path; env.shown).
	Name string
}

// transformSetup is a bundle opened for transforming: verified, with the
// --include/--exclude filter (names) and the rules loaded and checked
// against it (checkRules, whose warnings it keeps). The caller closes b.
type transformSetup struct {
	b            *bundle.Bundle
	names, rules *transform.Rules
	lookup       transform.Lookup
	warnings     []string
	name         string // how messages name the bundle
}

// openTransform loads the rules and globs of in, opens the bundle at path
// and checks them against it; nothing is left open on an error.
func openTransform(ctx context.Context, path string, in transformArgs, getenv func(string) string) (transformSetup, error) {
	rules, lookup, err := loadRules(in.Rules, in.Values, getenv)
	if err != nil {
		return transformSetup{}, err
	}
	names, err := transform.NameFilter(in.Include, in.Exclude)
	if err != nil {
		return transformSetup{}, usageErrorf("%v", err)
	}
	open := in.Open
	if open == nil {
		open = (*env)(nil).openBundle // no identities
	}
	b, err := open(ctx, path)
	if err != nil {
		return transformSetup{}, err
	}
	warnings, err := checkRules(b.Manifest, names, rules)
	if err != nil {
		_ = b.Close()
		return transformSetup{}, err
	}
	return transformSetup{b: b, names: names, rules: rules, lookup: lookup, warnings: warnings, name: cmp.Or(in.Name, path)}, nil
}

// narrowed is what the bundle stands for after --include/--exclude and the
// rules: the scope narrowed, each connector dropped left out with its rule.
func (ts transformSetup) narrowed() bundle.Manifest {
	return ts.rules.Narrow(ts.names.Narrow(ts.b.Manifest))
}

// loadTransformed opens and verifies the whole bundle at path, loads every
// connector and applies the rules. Nothing is written anywhere.
func loadTransformed(ctx context.Context, path string, in transformArgs, getenv func(string) string) (transformInput, error) {
	ts, err := openTransform(ctx, path, in, getenv)
	if err != nil {
		return transformInput{}, err
	}
	defer ts.b.Close()
	cs, err := ts.b.LoadAll()
	if err != nil {
		return transformInput{}, fmt.Errorf("load %s: %w", ts.name, err)
	}
	if cs, err = ts.names.Apply(cs, nil); err != nil {
		return transformInput{}, fmt.Errorf("choose connectors of %s: %w", ts.name, err)
	}
	out, err := ts.rules.Apply(cs, ts.lookup)
	if err != nil {
		return transformInput{}, fmt.Errorf("transform %s: %w", ts.name, err)
	}
	return transformInput{Path: path, From: ts.b.Manifest, Manifest: ts.narrowed(), Connectors: out, Warnings: ts.warnings}, nil
}

// checkRules checks the --include/--exclude globs (names) and the rules
// against the whole bundle of m before anything is written: an include
// glob, rename key or metadata match that matches no connector is a usage
// error (exit 2) naming each (transform.NoMatchError); an exclude glob that
// matches nothing is a warning returned.
func checkRules(m bundle.Manifest, names, rules *transform.Rules) ([]string, error) {
	var warnings []string
	var errs []error
	for _, r := range []*transform.Rules{names, rules} {
		w, err := r.Check(m)
		warnings = append(warnings, w...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return warnings, &exitErr{code: exitUsage, err: err}
	}
	return warnings, nil
}

func transformCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "transform",
		Usage:     "rewrite a bundle for its target tenant (filters, renames, placeholders, metadata)",
		UsageText: "connvault transform IN OUT --rules rules.yaml [--values values.yaml] [--include GLOB]... [--exclude GLOB]... [--json]",
		Flags: append(append(transformFlags(), filterFlags("keep")...),
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document on stdout: input, output, connectors, renames, content digest"}),
		Action: func(ctx context.Context, c *cli.Command) error {
			if c.NArg() != 2 {
				return usageErrorf("transform takes an input and an output bundle, got %d arguments", c.NArg())
			}
			in, err := e.input(c.Args().Get(0))
			if err != nil {
				return err
			}
			out := c.Args().Get(1)
			if err := refuseOverInput("OUT", out, c.Args().Get(0), c.String("rules"), c.String("values")); err != nil {
				return err
			}
			if err := checkWritable("OUT", out, isDirForm(out)); err != nil {
				return err
			}
			ti, err := loadTransformed(ctx, in, transformArgs{Rules: c.String("rules"), Values: c.String("values"), Include: c.StringSlice("include"), Exclude: c.StringSlice("exclude"), Open: e.openBundle, Name: e.shown(in)}, e.getenv)
			if err != nil {
				return err
			}
			for _, w := range ti.Warnings {
				fmt.Fprintf(e.stderr, "warning: %s\n", w)
			}
			createdAt, err := bundle.CreatedAtFromEnv(e.getenv, time.Now())
			if err != nil {
				return usageErrorf("SOURCE_DATE_EPOCH: %v", err)
			}
			from := ti.From
			opts, _ := json.Marshal(map[string]any{"transformedFrom": from.ContentDigest, "rules": c.String("rules"), "exportOptions": from.Options})
			// The output stands for what the input stands for, narrowed by
			// the rules: scope, coverage, reads, ambiguity and failed items
			// go through (bundle.WriteDerived), never dropped.
			m, err := bundle.WriteDerived(ctx, out, bundle.WriterOptions{CreatedAt: createdAt, ToolVersion: Version, Options: opts}, ti.Manifest, ti.Connectors)
			if err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			sum := transformSummary{Input: c.Args().Get(0), Output: out, Connectors: len(m.Connectors), Of: len(from.Connectors),
				Renames: renames(from, m), ContentDigest: m.ContentDigest, Complete: m.Complete}
			if c.Bool("json") {
				return writeJSON(e.stdout, sum)
			}
			fmt.Fprintf(e.stdout, "wrote %s: %d of %s, content digest %s\n", out, sum.Connectors, english.Connectors(sum.Of), m.ContentDigest)
			if sum.Connectors == 0 && sum.Of > 0 {
				// Every include matched something, but together with the
				// excludes they keep nothing: an import of it deletes nothing.
				fmt.Fprintf(e.stderr, "warning: the rules kept none of the %s; check include and exclude\n", english.Connectors(sum.Of))
			}
			return nil
		},
	}
}

// transformSummary is transform's --json document.
type transformSummary struct {
	Input         string   `json:"input"`
	Output        string   `json:"output"`
	Connectors    int      `json:"connectors"` // in the output
	Of            int      `json:"of"`         // in the input
	Renames       []rename `json:"renames"`
	ContentDigest string   `json:"contentDigest"` // of the output
	Complete      bool     `json:"complete"`
}

// rename is a connector transform renamed, by scriptName.
type rename struct {
	ScriptName string `json:"scriptName"`
	From       string `json:"from"`
	To         string `json:"to"`
}

// renames lists the connectors of out whose name differs from in's, by
// scriptName.
func renames(in, out bundle.Manifest) []rename {
	before := map[string]string{}
	for _, e := range in.Connectors {
		before[e.ScriptName] = e.Name
	}
	list := []rename{}
	for _, e := range out.Connectors {
		if was, ok := before[e.ScriptName]; ok && was != e.Name {
			list = append(list, rename{ScriptName: e.ScriptName, From: was, To: e.Name})
		}
	}
	return list
}
