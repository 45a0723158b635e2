package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/tenant"
)

// carryForward gathers the hidden connectors to carry forward: those of the
// bundle already at out (when there is one) and of every bundle in from
// (--script-names-from). It returns them with the paths they came from. A
// bundle at out that does not verify is refused: it would be replaced, and
// the hidden connectors it names would be lost without a word. So is (exit
// 2) one whose source is another tenant URL than tenantURL, unless moved
// (--tenant-moved): its connectors are not this tenant's, and this tenant's
// export would report that tenant's hidden ones as gone.
func carryForward(ctx context.Context, out, tenantURL string, moved bool, from []string) ([]export.Hidden, []string, error) {
	var hidden []export.Hidden
	var sources []string
	seen := map[string]bool{}
	add := func(path string, m bundle.Manifest) {
		sources = append(sources, path)
		for _, h := range export.CarryForward(m) {
			if !seen[h.ScriptName] {
				seen[h.ScriptName] = true
				hidden = append(hidden, h)
			}
		}
	}
	if out != "" && out != "-" && holdsBundle(out) {
		m, err := bundle.Verify(ctx, out, bundle.ReadOptions{})
		if err != nil {
			return nil, nil, fmt.Errorf("--out %s holds a bundle that does not verify, so the hidden connectors it names cannot be carried forward and it will not be replaced: %w (move it away, or choose another --out)", out, err)
		}
		if m.Source.URL != "" && !tenant.SameURL(m.Source.URL, tenantURL) && !moved {
			return nil, nil, usageErrorf("--out %s holds a bundle of %s, not of this tenant (%s): replacing it would lose that export, and its hidden connectors would be reported gone from this tenant; choose another --out, or give --tenant-moved if this is the same tenant under a new URL", out, m.Source.URL, tenantURL)
		}
		add(out, m)
	}
	for _, p := range from {
		m, err := bundle.Verify(ctx, p, bundle.ReadOptions{})
		if err != nil {
			return nil, nil, fmt.Errorf("--script-names-from %s: %w", p, err)
		}
		add(p, m)
	}
	return hidden, sources, nil
}

// holdsBundle reports whether path is an existing file or a directory with a
// manifest.json: a bundle an export to path would replace.
func holdsBundle(path string) bool {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist), err != nil:
		return false
	case fi.IsDir():
		_, err := os.Stat(filepath.Join(path, "manifest.json"))
		return err == nil
	}
	return true
}

// reportCoverage writes what the export knew of but did not export: the
// counts always, then one line per connector left out, with its reason.
func reportCoverage(w io.Writer, cov bundle.Coverage) {
	total := "no count from the tenant"
	if cov.ListTotal >= 0 {
		total = fmt.Sprintf("the tenant counted %d", cov.ListTotal)
	}
	// Hidden holds the named, the carried forward and those found through
	// sources (UsedBySources): say each kind as what it is.
	named := fmt.Sprintf("%d hidden connectors named", len(cov.Hidden)-len(cov.UsedBySources))
	if len(cov.CarriedFrom) > 0 {
		named = fmt.Sprintf("%d hidden connectors named or carried forward from %s", len(cov.Hidden)-len(cov.UsedBySources), strings.Join(cov.CarriedFrom, ", "))
	}
	held := 0 // on the carry-forward list, but left out this run
	for _, lo := range cov.LeftOut {
		if slices.Contains(cov.Hidden, lo.ScriptName) {
			held++
		}
	}
	if held > 0 {
		named += fmt.Sprintf(" (%d of them left out this run, still carried forward)", held)
	}
	fmt.Fprintf(w, "listed %d connectors (%s); %s; %d found through sources\n", cov.Listed, total, named, len(cov.UsedBySources))
	if cov.Sources != "" && cov.Sources != "read" {
		fmt.Fprintf(w, "sources %s\n", cov.Sources)
	}
	for _, in := range cov.UsedBySources {
		fmt.Fprintf(w, "  included hidden %s (%s): %s\n", in.ScriptName, in.Name, in.Reason)
	}
	if len(cov.Hidden) == 0 {
		fmt.Fprintln(w, "note: the list hides DEVELOPMENT, DEMO and DEPRECATED connectors; name them with --script-name once, and later exports to the same --out carry them forward")
	}
	if cov.ListGap != "" {
		fmt.Fprintf(w, "list incomplete: %s\n", cov.ListGap)
	}
	if len(cov.LeftOut) == 0 {
		return
	}
	counts := map[bundle.LeftOutReason]int{}
	for _, lo := range cov.LeftOut {
		counts[lo.Reason]++
	}
	var parts []string
	for _, r := range []bundle.LeftOutReason{bundle.LeftOutSailPointOwned, bundle.LeftOutFiltered, bundle.LeftOutHidden, bundle.LeftOutGone} {
		if counts[r] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[r], r))
			delete(counts, r)
		}
	}
	for r, n := range counts { // reasons added later
		parts = append(parts, fmt.Sprintf("%d %s", n, r))
	}
	fmt.Fprintf(w, "left out %d connectors: %s\n", len(cov.LeftOut), strings.Join(parts, ", "))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  REASON\tSCRIPTNAME\tNAME\tRULE")
	for _, lo := range cov.LeftOut {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", lo.Reason, lo.ScriptName, lo.Name, lo.Rule)
	}
	_ = tw.Flush()
}
