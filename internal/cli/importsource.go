package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/transform"
)

// streamTransformed opens and verifies the bundle at path and passes each
// connector, one at a time, through the --include/--exclude filter and the
// rules, as loadTransformed does to all of them at once, keeping only its
// head (importer.Source): plan, import and migrate hold no bundle content.
// The source's Load reads a connector again from the open bundle (its
// verified spool, or its directory) and transforms it again. The caller
// closes the bundle with the function returned, once the import is done.
//
// Like loadTransformed it checks the globs and rules against the whole
// bundle first (checkRules) and prints what checkRules warns of to stderr.
func streamTransformed(ctx context.Context, path string, in transformArgs, getenv func(string) string, stderr io.Writer) (importer.Source, func(), error) {
	ts, err := openTransform(ctx, path, in, getenv)
	if err != nil {
		return importer.Source{}, nil, err
	}
	b, names, rules, lookup, name := ts.b, ts.names, ts.rules, ts.lookup, ts.name
	closeBundle := func() { _ = b.Close() }
	for _, w := range ts.warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	// transformed passes c through both passes: what Load returns must be
	// what the heads were made from.
	transformed := func(c bundle.Connector, chosen, ruled *transform.Pass) (bundle.Connector, bool) {
		c, kept := chosen.Add(c)
		if kept {
			c, kept = ruled.Add(c)
		}
		return c, kept
	}
	chosen, ruled := names.Pass(nil), rules.Pass(lookup)
	var (
		heads []bundle.Connector
		keys  []string
	)
	for _, e := range b.Manifest.Connectors {
		if err := ctx.Err(); err != nil {
			closeBundle()
			return importer.Source{}, nil, err
		}
		c, err := b.Load(e.Key)
		if err != nil {
			closeBundle()
			return importer.Source{}, nil, fmt.Errorf("load %s: %w", name, err)
		}
		if c, kept := transformed(c, chosen, ruled); kept {
			heads, keys = append(heads, importer.Head(c)), append(keys, e.Key)
		}
	}
	if err := chosen.Err(); err != nil {
		closeBundle()
		return importer.Source{}, nil, fmt.Errorf("choose connectors of %s: %w", name, err)
	}
	if err := ruled.Err(); err != nil {
		closeBundle()
		return importer.Source{}, nil, fmt.Errorf("transform %s: %w", name, err)
	}
	m := ts.narrowed()
	load := func(i int) (bundle.Connector, error) {
		c, err := b.Load(keys[i])
		if err != nil {
			return bundle.Connector{}, err
		}
		chosen, ruled := names.Pass(nil), rules.Pass(lookup)
		c, kept := transformed(c, chosen, ruled)
		if err := errors.Join(chosen.Err(), ruled.Err()); err != nil {
			return bundle.Connector{}, fmt.Errorf("transform %s: %w", name, err)
		}
		if !kept {
			return bundle.Connector{}, fmt.Errorf("transform %s: connector %s is no longer chosen", name, keys[i])
		}
		return c, nil
	}
	return importer.Source{Manifest: m, Path: path, Connectors: heads, Load: load}, closeBundle, nil
}
