package bundle

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// Diff is the difference between two bundles, matched by connector name, as
// the diff command prints it (text) or encodes it (--json).
type Diff struct {
	Added   []string        `json:"added"`
	Removed []string        `json:"removed"`
	Changed []ConnectorDiff `json:"changed"`
	// Unknown are connectors one bundle has and the other failed to export:
	// neither added nor removed.
	Unknown  []string `json:"unknown,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// ConnectorDiff names the parts of one connector that differ between two
// bundles and, when asked for, their unified diffs.
type ConnectorDiff struct {
	Name  string            `json:"name"`
	Parts []string          `json:"parts"`
	Text  map[string]string `json:"text,omitempty"` // part → unified diff
}

// Empty reports whether the bundles hold the same connectors with the same content.
func (d Diff) Empty() bool { return len(d.Added)+len(d.Removed)+len(d.Changed) == 0 }

// Write prints d as the diff command shows it: warnings, ? unknown, + added,
// - removed, ~ changed with its parts (and their text diffs), then a count line.
func (d Diff) Write(w io.Writer) {
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

// Compare matches a's and b's connectors by name and names the parts whose
// SHA-256 differs; with content it also loads both sides and renders a unified
// diff per changed part. Connectors that one bundle lacks because the other
// failed them at export are Unknown, not added or removed. It returns the
// first error from loading a connector's content.
func Compare(a, b *Bundle, content bool) (Diff, error) {
	byName := func(m Manifest) map[string]Entry {
		out := make(map[string]Entry, len(m.Connectors))
		for _, en := range m.Connectors {
			out[en.Name] = en
		}
		return out
	}
	am, bm := byName(a.Manifest), byName(b.Manifest)
	var d Diff
	failed := func(m Manifest, label string) map[string]bool {
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
		cd := ConnectorDiff{Name: name, Parts: parts}
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
				cd.Text[p] = UnifiedDiff(p, at[p], bt[p])
			}
		}
		d.Changed = append(d.Changed, cd)
	}
	sort.Strings(d.Unknown)
	return d, nil
}

// changedParts names the files (by part) whose hashes differ between two entries.
func changedParts(a, b Entry) []string {
	hashes := func(en Entry) map[string]string {
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

func partName(f File) string {
	if f.Kind == KindTranslations {
		return "translations/" + f.Locale
	}
	return f.Kind
}

func partTexts(c Connector) map[string][]byte {
	out := map[string][]byte{
		KindConnector:         c.Detail,
		KindSourceConfig:      c.SourceConfig,
		KindSourceTemplate:    c.SourceTemplate,
		KindCorrelationConfig: c.CorrelationConfig,
	}
	for l, t := range c.Translations {
		out["translations/"+l] = t
	}
	return out
}

// UnifiedDiff renders a line diff of a and b in unified format (LCS over
// lines; fine for configuration files of a few thousand lines).
func UnifiedDiff(name string, a, b []byte) string {
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
