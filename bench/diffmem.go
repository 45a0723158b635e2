package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// diffMemory: wall time and peak RSS of `connvault diff` of two bundles of
// about 10,000 connectors that differ in every connector, without the slow
// imports of import-scale.
func (h *harness) diffMemory(quick bool) error {
	n, runs := 12000, 3 // a tenant of 12,000 holds about 10,000 listed custom connectors
	if quick {
		n, runs = 300, 1
	}
	a, b, sum, err := h.diffBundles(n)
	if err != nil {
		return err
	}
	fmt.Printf("### `diff` of two bundles of %d connectors, every connector changed (`go run ./bench -only diff-memory`)\n\n", sum.Connectors)
	fmt.Printf("Bundle A exported from `connvault sim --connectors %d --locales 3 --seed 16 --rate-limit 0` (`--rate 0 --concurrency 16`): "+
		"%d connectors, %d files, %.0f MB of content. Bundle B is A through `connvault transform` with a rules file that changes every source config "+
		"(one comment added) and every translation (every line). `connvault diff [--content] [--json] A B`, %d runs each; "+
		"wall time and peak RSS of the connvault process (getrusage), medians; output MB = what the command wrote to stdout; `GOMEMLIMIT=off`: without diff's soft memory limit (100 MiB).\n\n",
		n, sum.Connectors, sum.Files, float64(sum.Bytes)/1e6, runs)
	fmt.Println("| command | runs | output MB | median wall s | median peak RSS MB | peak RSS per connector KB |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, c := range []struct {
		env   string // GOMEMLIMIT=off: without diff's soft memory limit
		flags []string
	}{{"", nil}, {"", []string{"--content"}}, {"", []string{"--content", "--json"}}, {"GOMEMLIMIT=off", []string{"--content"}}} {
		var walls, peaks []float64
		var outMB float64
		if c.env != "" {
			k, v, _ := strings.Cut(c.env, "=")
			os.Setenv(k, v)
		}
		for range runs {
			m, err := h.measure(nil, nil, append(append([]string{"diff"}, c.flags...), a, b)...)
			if err != nil {
				return err
			}
			walls, peaks, outMB = append(walls, m.seconds), append(peaks, m.peakMB), m.outMB
		}
		os.Unsetenv("GOMEMLIMIT")
		label := strings.TrimSpace(c.env + " diff")
		for _, f := range c.flags {
			label += " " + f
		}
		fmt.Printf("| `%s A B` | %d | %.0f | %.1f | **%.0f** | %.1f |\n", label, runs, outMB, median(walls), median(peaks), median(peaks)*1e3/float64(sum.Connectors))
	}
	fmt.Println()
	return nil
}

// diffBundles returns bundles A and B of diffMemory and A's summary: made
// (A exported from a simulator of n connectors, B transformed from it) and
// kept in -diff-bundles DIR when given, or read from there when present, so
// that two builds of connvault can be measured on the same bundles.
func (h *harness) diffBundles(n int) (a, b string, sum exportSummary, err error) {
	dir := *diffBundlesDir
	if dir == "" {
		dir = h.dir
	}
	a, b = filepath.Join(dir, "diff-a.tar.gz"), filepath.Join(dir, "diff-b.tar.gz")
	summary := filepath.Join(dir, "diff-a.json")
	if data, err := os.ReadFile(summary); err == nil && json.Unmarshal(data, &sum) == nil && exists(a) && exists(b) {
		return a, b, sum, nil
	}
	src, err := h.startSim("--connectors", fmt.Sprint(n), "--locales", "3", "--seed", "16", "--rate-limit", "0")
	if err != nil {
		return "", "", sum, err
	}
	err = h.connvault(src, &sum, "export", "--json", "--out", a, "--rate", "0", "--concurrency", "16")
	src.stop()
	if err != nil {
		return "", "", sum, err
	}
	rules := filepath.Join(h.dir, "diff-rules.yaml")
	if err := os.WriteFile(rules, []byte("version: 2\nreplace:\n  - from: \"</Form>\"\n    to: \"<!-- edited --></Form>\"\n    kinds: [source-config]\n  - from: \"=\"\n    to: \"= \"\n    kinds: [translations]\n"), 0o600); err != nil {
		return "", "", sum, err
	}
	if _, err := h.measure(nil, nil, "transform", "--rules", rules, a, b); err != nil {
		return "", "", sum, err
	}
	data, err := json.Marshal(sum)
	if err != nil {
		return "", "", sum, err
	}
	return a, b, sum, os.WriteFile(summary, data, 0o600)
}

var diffBundlesDir = flag.String("diff-bundles", "", "diff-memory: keep its two bundles in this directory, or use them from there")

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
