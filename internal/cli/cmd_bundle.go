package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/internal/collation"
	"github.com/connvault/connvault/internal/english"
	"github.com/connvault/connvault/repository"
)

func verifyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check a bundle completely: format, paths, sizes, hashes, manifest",
		UsageText: "connvault verify BUNDLE",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the manifest summary as JSON; an invalid bundle gives {\"valid\": false, \"error\": …}"}},
		Action: func(ctx context.Context, c *cli.Command) error {
			if c.NArg() != 1 {
				return usageErrorf("verify takes one bundle, got %d arguments", c.NArg())
			}
			// With --json, a bundle that cannot be verified is a document
			// too: valid false and the error (which also goes to stderr).
			invalid := func(err error) error {
				if c.Bool("json") {
					_ = writeJSON(e.stdout, map[string]any{"bundle": c.Args().First(), "ok": false, "valid": false, "error": err.Error()})
				}
				return err
			}
			path, err := e.input(c.Args().First())
			if err != nil {
				return invalid(err)
			}
			b, err := openBundle(ctx, e, path)
			if err != nil {
				return invalid(fmt.Errorf("verify: %w", err))
			}
			m := b.Manifest
			if err := b.Close(); err != nil {
				return err
			}
			files := 0
			for _, en := range m.Connectors {
				files += len(en.Files)
			}
			if c.Bool("json") {
				if err := writeJSON(e.stdout, map[string]any{"bundle": c.Args().First(), "ok": true, "valid": true, "connectors": len(m.Connectors), "files": files, "complete": m.Complete, "contentDigest": m.ContentDigest, "formatVersion": m.FormatVersion}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(e.stdout, "%s: ok, format %s v%d, %s, %s, content digest %s\n", e.shown(path), m.Format, m.FormatVersion, english.Connectors(len(m.Connectors)), english.Count(files, "file", "files"), m.ContentDigest)
			}
			if !m.Complete { // exit 3 with --json too: a script must not take it for a whole backup
				if !c.Bool("json") {
					fmt.Fprintf(e.stdout, "warning: the bundle is incomplete: %s\n", m.Incomplete())
				}
				return &exitErr{code: exitPartial, err: fmt.Errorf("%s is incomplete", e.shown(path))}
			}
			return nil
		},
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// openBundle opens and verifies the bundle at path; an age-encrypted one is
// decrypted, in memory, with --identity.
func openBundle(ctx context.Context, e *env, path string) (*bundle.Bundle, error) {
	ids, err := e.identities()
	if err != nil {
		return nil, err
	}
	name := e.shown(path)
	b, err := repository.OpenBundleFile(ctx, path, ids, bundle.ReadOptions{Name: name})
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, bundle.ErrInvalid), errors.Is(err, repository.ErrEncrypted), errors.Is(err, repository.ErrWrongKey):
		return nil, err // it names the bundle
	default:
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
}

func inspectCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "list a bundle's connectors, locales, files and sizes",
		UsageText: "connvault inspect [--files] [--json] BUNDLE",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the verified manifest as JSON"},
			&cli.BoolFlag{Name: "files", Usage: "list every file"},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			if c.NArg() != 1 {
				return usageErrorf("inspect takes one bundle, got %d arguments", c.NArg())
			}
			path, err := e.input(c.Args().First())
			if err != nil {
				return err
			}
			b, err := openBundle(ctx, e, path)
			if err != nil {
				return err
			}
			defer b.Close()
			if c.Bool("json") {
				return writeJSON(e.stdout, b.Manifest)
			}
			writeInspect(e.stdout, b.Manifest, c.Bool("files"))
			return nil
		},
	}
}

func writeInspect(w io.Writer, m bundle.Manifest, files bool) {
	fmt.Fprintf(w, "format %s v%d, tool %s, created %s\nsource %s (%s)\ncomplete %t, content digest %s\n\n",
		m.Format, m.FormatVersion, m.ToolVersion, m.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), m.Source.URL, m.Source.API, m.Complete, m.ContentDigest)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSCRIPT NAME\tSTATUS\tLOCALES\tFILES\tBYTES")
	var total int64
	entries := slices.Clone(m.Connectors)
	slices.SortStableFunc(entries, func(a, b bundle.Entry) int { return collation.Compare(a.Name, b.Name) })
	for _, en := range entries {
		var locales []string
		var size int64
		for _, f := range en.Files {
			size += f.Size
			if f.Locale != "" {
				locales = append(locales, f.Locale)
			}
		}
		total += size
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", en.Name, en.ScriptName, en.Status, strings.Join(locales, ","), len(en.Files), size)
		if files {
			for _, f := range en.Files {
				fmt.Fprintf(tw, "  %s\t%s\t\t\t\t%d\n", f.Path, f.SHA256[:min(12, len(f.SHA256))], f.Size)
			}
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s, %d bytes\n", english.Connectors(len(m.Connectors)), total)
	for _, ie := range m.Errors {
		fmt.Fprintf(w, "failed at export: %s %s: %s\n", firstNonEmpty(ie.Name, ie.ScriptName), ie.Part, ie.Error)
	}
}

func diffCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "compare two bundles: connectors added, removed, changed, and which parts",
		UsageText: "connvault diff A B [--content] [--json] [--ignore-tenant-fields] [--detailed-exitcode]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "content", Usage: "show a unified diff of the changed text"},
			&cli.BoolFlag{Name: "json", Usage: "print the differences as JSON"},
			&cli.BoolFlag{Name: "detailed-exitcode", Usage: "exit 4 when the bundles differ"},
			&cli.BoolFlag{Name: "ignore-tenant-fields", Usage: "compare across tenants: leave out the connector.json fields each tenant sets its own way (" + strings.Join(bundle.TenantFields, ", ") + ")"},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			if c.NArg() != 2 {
				return usageErrorf("diff takes two bundles, got %d arguments", c.NArg())
			}
			// What diff holds is the two manifests (about 2 KB per connector
			// each) and one connector pair: the soft limit keeps the heap
			// near that instead of Go's default of twice what is live.
			defer softMemoryLimit(diffMemoryLimit)()
			pathA, err := e.input(c.Args().Get(0))
			if err != nil {
				return err
			}
			pathB, err := e.input(c.Args().Get(1))
			if err != nil {
				return err
			}
			a, err := openBundle(ctx, e, pathA)
			if err != nil {
				return err
			}
			defer a.Close()
			b, err := openBundle(ctx, e, pathB)
			if err != nil {
				return err
			}
			defer b.Close()
			// One connector pair at a time: memory stays flat however many
			// differ.
			d, err := bundle.WriteDiff(e.stdout, a, b, bundle.CompareOptions{Content: c.Bool("content"), IgnoreTenantFields: c.Bool("ignore-tenant-fields")}, c.Bool("json"))
			if err != nil {
				return err
			}
			if c.Bool("detailed-exitcode") && !d.Empty() {
				return &exitErr{code: exitChanges, err: errQuiet}
			}
			return nil
		},
	}
}

// openBundle is openBundle with e, as transformArgs.Open wants it.
func (e *env) openBundle(ctx context.Context, path string) (*bundle.Bundle, error) {
	return openBundle(ctx, e, path)
}
