package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/connvault/connvault/bundle"
)

func verifyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check a bundle completely: format, paths, sizes, hashes, manifest",
		UsageText: "connvault verify BUNDLE",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the manifest summary as JSON"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("verify takes one bundle, got %d arguments", c.NArg())
			}
			path := c.Args().First()
			m, err := bundle.Verify(c.Context, path, bundle.ReadOptions{})
			if err != nil {
				return fmt.Errorf("verify %s: %w", path, err)
			}
			files := 0
			for _, en := range m.Connectors {
				files += len(en.Files)
			}
			if c.Bool("json") {
				return writeJSON(e.stdout, map[string]any{"bundle": path, "ok": true, "connectors": len(m.Connectors), "files": files, "complete": m.Complete, "contentDigest": m.ContentDigest, "formatVersion": m.FormatVersion})
			}
			fmt.Fprintf(e.stdout, "%s: ok, format %s v%d, %d connectors, %d files, content digest %s\n", path, m.Format, m.FormatVersion, len(m.Connectors), files, m.ContentDigest)
			if !m.Complete {
				fmt.Fprintf(e.stdout, "warning: the bundle is incomplete: %d connectors failed at export\n", len(m.Errors))
				return &exitErr{code: exitPartial, err: fmt.Errorf("%s is incomplete", path)}
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

func openBundle(ctx context.Context, path string) (*bundle.Bundle, error) {
	b, err := bundle.Open(ctx, path, bundle.ReadOptions{})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return b, nil
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
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("inspect takes one bundle, got %d arguments", c.NArg())
			}
			b, err := openBundle(c.Context, c.Args().First())
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
	for _, en := range m.Connectors {
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
	fmt.Fprintf(w, "\n%d connectors, %d bytes\n", len(m.Connectors), total)
	for _, ie := range m.Errors {
		fmt.Fprintf(w, "failed at export: %s %s: %s\n", firstNonEmpty(ie.Name, ie.ScriptName), ie.Part, ie.Error)
	}
}

func diffCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "compare two bundles: connectors added, removed, changed, and which parts",
		UsageText: "connvault diff [--content] [--json] A B",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "content", Usage: "show a unified diff of the changed text"},
			&cli.BoolFlag{Name: "json", Usage: "print the differences as JSON"},
			&cli.BoolFlag{Name: "detailed-exitcode", Usage: "exit 4 when the bundles differ"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return usageErrorf("diff takes two bundles, got %d arguments", c.NArg())
			}
			a, err := openBundle(c.Context, c.Args().Get(0))
			if err != nil {
				return err
			}
			defer a.Close()
			b, err := openBundle(c.Context, c.Args().Get(1))
			if err != nil {
				return err
			}
			defer b.Close()
			d, err := diffBundles(a, b, c.Bool("content"))
			if err != nil {
				return err
			}
			if c.Bool("json") {
				if err := writeJSON(e.stdout, d); err != nil {
					return err
				}
			} else {
				d.write(e.stdout)
			}
			if c.Bool("detailed-exitcode") && !d.empty() {
				return &exitErr{code: exitChanges, err: errQuiet}
			}
			return nil
		},
	}
}

// bundleDiff is the difference between two bundles, matched by connector name.
type bundleDiff struct {
	Added   []string        `json:"added"`
	Removed []string        `json:"removed"`
	Changed []connectorDiff `json:"changed"`
	// Unknown are connectors one bundle has and the other failed to export:
	// neither added nor removed.
	Unknown  []string `json:"unknown,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

type connectorDiff struct {
	Name  string            `json:"name"`
	Parts []string          `json:"parts"`
	Text  map[string]string `json:"text,omitempty"` // part → unified diff
}

func (d bundleDiff) empty() bool { return len(d.Added)+len(d.Removed)+len(d.Changed) == 0 }

func (d bundleDiff) write(w io.Writer) {
	for _, warn := range d.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	for _, n := range d.Unknown {
		fmt.Fprintf(w, "? %s (failed at export in the other bundle)\n", n)
	}
	for _, n := range d.Added {
		fmt.Fprintf(w, "+ %s\n", n)
	}
	for _, n := range d.Removed {
		fmt.Fprintf(w, "- %s\n", n)
	}
	for _, ch := range d.Changed {
		fmt.Fprintf(w, "~ %s (%s)\n", ch.Name, strings.Join(ch.Parts, ", "))
		for _, p := range ch.Parts {
			if t, ok := ch.Text[p]; ok {
				fmt.Fprint(w, t)
			}
		}
	}
	fmt.Fprintf(w, "%d added, %d removed, %d changed\n", len(d.Added), len(d.Removed), len(d.Changed))
}

func diffBundles(a, b *bundle.Bundle, content bool) (bundleDiff, error) {
	byName := func(m bundle.Manifest) map[string]bundle.Entry {
		out := make(map[string]bundle.Entry, len(m.Connectors))
		for _, en := range m.Connectors {
			out[en.Name] = en
		}
		return out
	}
	am, bm := byName(a.Manifest), byName(b.Manifest)
	var d bundleDiff
	failed := func(m bundle.Manifest, label string) map[string]bool {
		out := map[string]bool{}
		if !m.Complete {
			d.Warnings = append(d.Warnings, fmt.Sprintf("bundle %s is incomplete: %d connectors failed at export", label, len(m.Errors)))
		}
		for _, ie := range m.Errors {
			out[ie.Name], out[ie.ScriptName] = true, true
		}
		return out
	}
	aFailed, bFailed := failed(a.Manifest, "A"), failed(b.Manifest, "B")
	for name, be := range bm {
		if _, ok := am[name]; !ok {
			if aFailed[name] || aFailed[be.ScriptName] {
				d.Unknown = append(d.Unknown, name)
				continue
			}
			d.Added = append(d.Added, name)
		}
	}
	names := make([]string, 0, len(am))
	for name := range am {
		names = append(names, name)
	}
	sort.Strings(names)
	sort.Strings(d.Added)
	for _, name := range names {
		ae := am[name]
		be, ok := bm[name]
		if !ok {
			if bFailed[name] || bFailed[ae.ScriptName] {
				d.Unknown = append(d.Unknown, name)
				continue
			}
			d.Removed = append(d.Removed, name)
			continue
		}
		parts := changedParts(ae, be)
		if len(parts) == 0 {
			continue
		}
		cd := connectorDiff{Name: name, Parts: parts}
		if content {
			ac, err := a.Load(ae.Key)
			if err != nil {
				return d, err
			}
			bc, err := b.Load(be.Key)
			if err != nil {
				return d, err
			}
			cd.Text = map[string]string{}
			at, bt := partTexts(ac), partTexts(bc)
			for _, p := range parts {
				cd.Text[p] = unifiedDiff(p, at[p], bt[p])
			}
		}
		d.Changed = append(d.Changed, cd)
	}
	sort.Strings(d.Unknown)
	return d, nil
}

// changedParts names the files (by part) whose hashes differ between two entries.
func changedParts(a, b bundle.Entry) []string {
	hashes := func(en bundle.Entry) map[string]string {
		out := map[string]string{}
		for _, f := range en.Files {
			out[partName(f)] = f.SHA256
		}
		return out
	}
	ah, bh := hashes(a), hashes(b)
	var parts []string
	for p, h := range ah {
		if bh[p] != h {
			parts = append(parts, p)
		}
	}
	for p := range bh {
		if _, ok := ah[p]; !ok {
			parts = append(parts, p)
		}
	}
	slices.Sort(parts)
	return parts
}

func partName(f bundle.File) string {
	if f.Kind == bundle.KindTranslations {
		return "translations/" + f.Locale
	}
	return f.Kind
}

func partTexts(c bundle.Connector) map[string][]byte {
	out := map[string][]byte{
		bundle.KindConnector:         c.Detail,
		bundle.KindSourceConfig:      c.SourceConfig,
		bundle.KindSourceTemplate:    c.SourceTemplate,
		bundle.KindCorrelationConfig: c.CorrelationConfig,
	}
	for l, t := range c.Translations {
		out["translations/"+l] = t
	}
	return out
}

// unifiedDiff renders a line diff of a and b in unified format (LCS over
// lines; fine for configuration files of a few thousand lines).
func unifiedDiff(name string, a, b []byte) string {
	al, bl := splitLines(a), splitLines(b)
	var out bytes.Buffer
	fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", name, name)
	// The line table is len(a) × len(b); past this size (about 64 MB) say so
	// instead of diffing.
	const maxCells = 16 << 20
	if len(al)*len(bl) > maxCells {
		fmt.Fprintf(&out, "(%d and %d lines: too large for a line diff)\n", len(al), len(bl))
		return out.String()
	}
	ops := lineDiff(al, bl)
	const ctxLines = 3
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(0, i-ctxLines)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run-end > 2*ctxLines || run == len(ops) {
				end = min(len(ops), end+ctxLines)
				break
			}
			end = run
		}
		aStart, bStart := ops[start].a+1, ops[start].b+1
		var aN, bN int
		for _, op := range ops[start:end] {
			if op.kind != '+' {
				aN++
			}
			if op.kind != '-' {
				bN++
			}
		}
		// An empty side is numbered from the line before it, as diff -u does.
		if aN == 0 {
			aStart--
		}
		if bN == 0 {
			bStart--
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", aStart, aN, bStart, bN)
		for _, op := range ops[start:end] {
			fmt.Fprintf(&out, "%c%s\n", op.kind, op.line)
		}
		i = end
	}
	return out.String()
}

func splitLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

type lineOp struct {
	kind byte // ' ', '-', '+'
	line string
	a, b int // line indexes in a and b where this op stands
}

func lineDiff(a, b []string) []lineOp {
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []lineOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, lineOp{' ', a[i], i, j})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, lineOp{'-', a[i], i, j}) // removals first, as diff -u
			i++
		default:
			ops = append(ops, lineOp{'+', b[j], i, j})
			j++
		}
	}
	return ops
}
