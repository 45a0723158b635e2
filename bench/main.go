// Command bench measures connvault end to end against `connvault sim`
// processes over real HTTP and prints the results as Markdown tables for
// BENCHMARKS.md. Run it from the repository root:
//
//	go run ./bench            # everything (about 10 minutes)
//	go run ./bench -quick     # smaller sizes, to check the harness
//
// Every figure is one run on the machine at hand; the floor of a rate-limited
// run is requests ÷ rate, which no client can beat.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	quick := flag.Bool("quick", false, "smaller sizes")
	only := flag.String("only", "", "run only the cases whose name contains this")
	flag.Parse()
	if err := run(*quick, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type harness struct {
	bin         string
	dir         string
	lastPeakRSS int64 // peak RSS in bytes of the last connvault process run
}

func run(quick bool, only string) error {
	dir, err := os.MkdirTemp("", "connvault-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	h := &harness{bin: filepath.Join(dir, "connvault"), dir: dir}
	if out, err := exec.Command("go", "build", "-o", h.bin, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	fmt.Printf("Machine: %s, Go %s, %s\n\n", machine(), goVersion(), time.Now().UTC().Format("2006-01-02"))
	cases := []struct {
		name string
		fn   func(bool) error
	}{
		{"export-default-limit", h.exportDefaultLimit},
		{"export-scaled-limit", h.exportScaledLimit},
		{"export-concurrency", h.exportConcurrency},
		{"export-memory", h.exportMemory},
		{"import", h.importBench},
		{"export-requests", h.exportRequests},
		{"export-window", h.exportWindow},
		{"import-scale", h.importMemory},
		{"diff-memory", h.diffMemory},
		{"variants", h.variantRequests},
	}
	for _, c := range cases {
		if only != "" && !strings.Contains(c.name, only) {
			continue
		}
		if err := c.fn(quick); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
	}
	return nil
}

// sim is a running `connvault sim` process.
type sim struct {
	cmd  *exec.Cmd
	vars []string
	base string
}

func (h *harness) startSim(args ...string) (*sim, error) {
	cmd := exec.Command(h.bin, append([]string{"sim"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &sim{cmd: cmd}
	r := bufio.NewReader(stdout)
	for range 3 {
		line, err := r.ReadString('\n')
		if err != nil {
			cmd.Process.Kill()
			return nil, fmt.Errorf("sim did not print its settings: %w", err)
		}
		line = strings.TrimSpace(line)
		s.vars = append(s.vars, line)
		if v, ok := strings.CutPrefix(line, "SAIL_BASE_URL="); ok {
			s.base = v
		}
	}
	go io.Copy(io.Discard, r)
	return s, nil
}

func (s *sim) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
	}
}

// connvault runs the binary with the sim's settings and decodes its JSON output into v.
func (h *harness) connvault(s *sim, v any, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, args...)
	cmd.Env = append(os.Environ(), s.vars...)
	cmd.Dir = h.dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("connvault %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	h.lastPeakRSS = peakRSS(cmd.ProcessState)
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			return fmt.Errorf("connvault %s: decode output: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

type exportSummary struct {
	Reads struct {
		XML          string   `json:"xml"`
		Translations string   `json:"translations"`
		Sample       []string `json:"sample"`
	} `json:"reads"`
	Connectors    int     `json:"connectors"`
	Files         int     `json:"files"`
	Bytes         int64   `json:"bytes"`
	Requests      int64   `json:"requests"`
	Retries       int64   `json:"retries"`
	RateLimited   int64   `json:"rateLimited"`
	Seconds       float64 `json:"seconds"`
	PeakRSSBytes  int64   `json:"-"` // measured by the harness (lastPeakRSS)
	ContentDigest string  `json:"contentDigest"`
	Complete      bool    `json:"complete"`
}

func (h *harness) export(s *sim, args ...string) (exportSummary, error) {
	var sum exportSummary
	out := filepath.Join(h.dir, fmt.Sprintf("export-%d.tar.gz", time.Now().UnixNano()))
	err := h.connvault(s, &sum, append([]string{"export", "--json", "--out", out}, args...)...)
	sum.PeakRSSBytes = h.lastPeakRSS
	os.Remove(out)
	if err == nil && !sum.Complete {
		err = fmt.Errorf("export incomplete")
	}
	return sum, err
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (h *harness) exportDefaultLimit(quick bool) error {
	n, runs := 20, 3
	if quick {
		n, runs = 5, 1
	}
	s, err := h.startSim("--connectors", fmt.Sprint(n), "--locales", "3", "--seed", "11")
	if err != nil {
		return err
	}
	defer s.stop()
	fmt.Printf("### Export at the default limit (100 requests / 10 s, sim enforcing the same)\n\n")
	fmt.Printf("`connvault sim --connectors %d --locales 3`; `connvault export --locales all`, %d runs.\n\n", n, runs)
	fmt.Println("| run | connectors | requests | wall s | floor s (requests ÷ 10/s) | wall ÷ floor | 429s | retries |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	var ratios []float64
	for i := range runs {
		sum, err := h.export(s, "--locales", "all")
		if err != nil {
			return err
		}
		floor := float64(sum.Requests) / 10
		ratios = append(ratios, sum.Seconds/floor)
		fmt.Printf("| %d | %d | %d | %.2f | %.1f | %.3f | %d | %d |\n", i+1, sum.Connectors, sum.Requests, sum.Seconds, floor, sum.Seconds/floor, sum.RateLimited, sum.Retries)
	}
	fmt.Printf("\nMedian wall ÷ floor: **%.3f**\n\n", median(ratios))
	return nil
}

func (h *harness) exportScaledLimit(quick bool) error {
	n := 2000
	if quick {
		n = 100
	}
	s, err := h.startSim("--connectors", fmt.Sprint(n), "--locales", "3", "--seed", "12", "--rate-limit", "1000/1s")
	if err != nil {
		return err
	}
	defer s.stop()
	sum, err := h.export(s, "--locales", "all", "--rate", "1000/1s", "--concurrency", "32")
	if err != nil {
		return err
	}
	floor := float64(sum.Requests) / 1000
	fmt.Printf("### Export at a scaled limit (1000 requests / 1 s), %d connectors\n\n", n)
	fmt.Printf("`connvault sim --connectors %d --rate-limit 1000/1s`; `connvault export --locales all --rate 1000/1s --concurrency 32`.\n\n", n)
	fmt.Println("| connectors | requests | wall s | floor s | wall ÷ floor | 429s |")
	fmt.Println("|---|---|---|---|---|---|")
	fmt.Printf("| %d | %d | %.2f | %.1f | **%.3f** | %d |\n\n", sum.Connectors, sum.Requests, sum.Seconds, floor, sum.Seconds/floor, sum.RateLimited)
	return nil
}

func (h *harness) exportConcurrency(quick bool) error {
	n := 40
	if quick {
		n = 8
	}
	s, err := h.startSim("--connectors", fmt.Sprint(n), "--locales", "3", "--seed", "13", "--rate-limit", "0", "--latency", "50ms")
	if err != nil {
		return err
	}
	defer s.stop()
	fmt.Printf("### Export with 50 ms latency and no rate limit, by --concurrency\n\n")
	fmt.Printf("`connvault sim --connectors %d --latency 50ms --rate-limit 0`; `connvault export --locales all --rate 0 --concurrency C`.\n\n", n)
	fmt.Println("| concurrency | requests | wall s | speed-up vs 1 |")
	fmt.Println("|---|---|---|---|")
	var base float64
	for _, c := range []int{1, 4, 8, 16, 32} {
		sum, err := h.export(s, "--locales", "all", "--rate", "0", "--concurrency", fmt.Sprint(c))
		if err != nil {
			return err
		}
		if c == 1 {
			base = sum.Seconds
		}
		fmt.Printf("| %d | %d | %.2f | %.1f× |\n", c, sum.Requests, sum.Seconds, base/sum.Seconds)
	}
	fmt.Println()
	return nil
}

func (h *harness) exportMemory(quick bool) error {
	sizes := []int{1200, 3600, 12000}
	if quick {
		sizes = []int{100, 300}
	}
	fmt.Printf("### Peak RSS of the export process, by tenant size\n\n")
	fmt.Printf("`connvault sim --connectors N --rate-limit 0` (a separate process); `connvault export --locales detail --rate 0 --concurrency 16`; peak RSS of the connvault process from its rusage, measured by this harness.\n\n")
	fmt.Println("| tenant connectors | exported (listed custom) | files | bundle content MB | requests | wall s | peak RSS MB |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, n := range sizes {
		s, err := h.startSim("--connectors", fmt.Sprint(n), "--locales", "3", "--seed", "14", "--rate-limit", "0")
		if err != nil {
			return err
		}
		sum, err := h.export(s, "--locales", "detail", "--rate", "0", "--concurrency", "16")
		s.stop()
		if err != nil {
			return err
		}
		fmt.Printf("| %d | %d | %d | %.0f | %d | %.1f | **%.0f** |\n", n, sum.Connectors, sum.Files, float64(sum.Bytes)/1e6, sum.Requests, sum.Seconds, float64(sum.PeakRSSBytes)/1e6)
	}
	fmt.Println()
	return nil
}

type importResult struct {
	Requests int64 `json:"requests"`
	Reads    int64 `json:"reads"`
	Writes   int64 `json:"writes"`
	Items    []struct {
		Status string `json:"status"`
	} `json:"items"`
}

func (h *harness) importBench(quick bool) error {
	fmt.Printf("### Import into an empty tenant, and re-import of an unchanged bundle\n\n")
	fmt.Printf("A bundle exported from `connvault sim --connectors N --seed 21`; target `connvault sim --connectors 0` at the given limit; `connvault import --yes --json` (then again).\n\n")
	fmt.Println("| connectors | limit | requests | reads | writes | wall s | floor s (requests ÷ rate) | wall ÷ floor | re-import requests (reads) | re-import writes |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	type c struct {
		n          int
		rate       string
		perSecond  float64
		limitLabel string
	}
	cases := []c{{50, "100/10s", 10, "100/10 s"}, {500, "1000/1s", 1000, "1000/1 s"}}
	if quick {
		cases = []c{{5, "100/10s", 10, "100/10 s"}, {50, "1000/1s", 1000, "1000/1 s"}}
	}
	for _, tc := range cases {
		src, err := h.startSim("--connectors", fmt.Sprint(tc.n), "--locales", "3", "--seed", "21", "--rate-limit", "0")
		if err != nil {
			return err
		}
		bundlePath := filepath.Join(h.dir, fmt.Sprintf("import-%d.tar.gz", tc.n))
		var sum exportSummary
		err = h.connvault(src, &sum, "export", "--json", "--out", bundlePath, "--locales", "detail", "--rate", "0")
		src.stop()
		if err != nil {
			return err
		}
		dst, err := h.startSim("--connectors", "0", "--seed", "22", "--rate-limit", tc.rate)
		if err != nil {
			return err
		}
		state := filepath.Join(h.dir, fmt.Sprintf("state-%d", tc.n))
		start := time.Now()
		var first importResult
		if err := h.connvault(dst, &first, "import", "--yes", "--json", "--rate", tc.rate, "--concurrency", "16", "--state-dir", state, bundlePath); err != nil {
			dst.stop()
			return err
		}
		took := time.Since(start).Seconds()
		var again importResult
		err = h.connvault(dst, &again, "import", "--yes", "--json", "--rate", tc.rate, "--state-dir", state, bundlePath)
		dst.stop()
		if err != nil {
			return err
		}
		floor := float64(first.Requests) / tc.perSecond
		fmt.Printf("| %d | %s | %d | %d | %d | %.2f | %.1f | **%.3f** | %d (%d) | %d |\n", tc.n, tc.limitLabel, first.Requests, first.Reads, first.Writes, took, floor, took/floor, again.Requests, again.Reads, again.Writes)
	}
	fmt.Println()
	return nil
}

func machine() string {
	out, _ := exec.Command("sh", "-c", "nproc; grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").Output()
	f := strings.Fields(strings.ReplaceAll(string(out), "\n", " "))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0] + " cores," + strings.Join(f[1:], " ")
}

func goVersion() string {
	out, _ := exec.Command("go", "env", "GOVERSION").Output()
	return strings.TrimSpace(string(out))
}
