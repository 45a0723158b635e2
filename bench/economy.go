package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The cases of issue 10: what each export, import and diff costs in
// requests, time against the tenant's sliding window, and memory.

// exportRequests: requests per exported connector, by --parts and tenant variant.
func (h *harness) exportRequests(quick bool) error {
	n := 10000
	if quick {
		n = 300
	}
	fmt.Printf("### Export requests per connector, by --parts and tenant variant\n\n")
	fmt.Printf("`connvault sim --connectors %d --locales 3 --seed 15 --rate-limit 0 [--variant V]` (a fifth of that for --parts endpoints); `connvault export --parts P --rate 0 --concurrency 16`. "+
		"Requests per connector = all API requests (list pages, the detail reads that tell SailPoint's own connectors apart, the sample) ÷ connectors exported; "+
		"locales present = translation files ÷ connectors.\n\n", n)
	fmt.Println("| variant | --parts | connectors | requests | requests per connector | locales present per connector | XML from | translations from | sample | wall s |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	cases := []struct{ variant, parts string }{
		{"default", "auto"}, {"default", "detail"}, {"default", "endpoints"},
		{"detail-locales=requested", "auto"}, {"detail-bytes=normalised", "auto"}, {"missing-locale=en", "auto"}, {"missing-locale=empty", "auto"},
	}
	for _, c := range cases {
		args := []string{"--connectors", fmt.Sprint(n), "--locales", "3", "--seed", "15", "--rate-limit", "0"}
		if c.variant != "default" {
			args = append(args, "--variant", c.variant)
		}
		if c.parts == "endpoints" {
			args[1] = fmt.Sprint(n / 5) // 23 requests per connector: a fifth of the tenant tells as much
		}
		s, err := h.startSim(args...)
		if err != nil {
			return err
		}
		sum, err := h.export(s, "--parts", c.parts, "--rate", "0", "--concurrency", "16")
		s.stop()
		if err != nil {
			return err
		}
		locales := float64(sum.Files-4*sum.Connectors) / float64(sum.Connectors)
		r := sum.Reads
		fmt.Printf("| %s | %s | %d | %d | **%.3f** | %.2f | %s | %s | %d | %.1f |\n", c.variant, c.parts, sum.Connectors, sum.Requests,
			float64(sum.Requests)/float64(sum.Connectors), locales, r.XML, r.Translations, len(r.Sample), sum.Seconds)
	}
	fmt.Println()
	return nil
}

// exportWindow: a 20-connector export at 100 / 10 s against the sliding
// window's floor and a naive sequential client.
func (h *harness) exportWindow(quick bool) error {
	runs := 3
	if quick {
		runs = 1
	}
	fmt.Printf("### A 20-connector export at 100 requests / 10 s\n\n")
	fmt.Printf("`connvault sim --connectors 20 --locales 3 --seed 11` enforcing 100 / 10 s, a fresh simulator for every run (each starts with the window empty); " +
		"`connvault export --rate 100/10s` with `--parts auto` (default) and with `--parts endpoints --locales all` (the requests of the old default). " +
		"Floor: what the sliding window allows, (ceil(requests ÷ 100) − 1) × 10 s, plus the wall time of the same command against the same tenant with no limit " +
		"on either side (`--rate 0`, `--rate-limit 0`), process start included. The naive client is an official-SDK-style script in the bench process: the same " +
		"requests as `--parts endpoints --locales all` (list; per listed custom connector the detail, the three XML parts and all 19 locales; it skips the detail reads " +
		"that tell SailPoint's connectors apart), one at a time, no pacing, " +
		"sleeping Retry-After on a 429.\n\n")
	fmt.Println("| run | command | requests | wall s | unlimited wall s | floor s | wall ÷ floor | 429s |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	var ratios, speedups []float64
	for i := range runs {
		var endpointsWall float64
		for _, mode := range []string{"auto", "endpoints"} {
			args := []string{"--parts", mode}
			if mode == "endpoints" {
				args = append(args, "--locales", "all")
			}
			free, err := h.startSim("--connectors", "20", "--locales", "3", "--seed", "11", "--rate-limit", "0")
			if err != nil {
				return err
			}
			unl, err := h.export(free, append(args, "--rate", "0")...)
			free.stop()
			if err != nil {
				return err
			}
			s, err := h.startSim("--connectors", "20", "--locales", "3", "--seed", "11")
			if err != nil {
				return err
			}
			sum, err := h.export(s, append(args, "--rate", "100/10s")...)
			s.stop()
			if err != nil {
				return err
			}
			floor := math.Max(0, math.Ceil(float64(sum.Requests)/100)-1)*10 + unl.Seconds
			if mode == "endpoints" {
				ratios = append(ratios, sum.Seconds/floor)
				endpointsWall = sum.Seconds
			}
			fmt.Printf("| %d | connvault --parts %s | %d | %.2f | %.2f | %.2f | %.3f | %d |\n", i+1, strings.Join(args[1:], " "), sum.Requests, sum.Seconds, unl.Seconds, floor,
				sum.Seconds/floor, sum.RateLimited)
		}
		s, err := h.startSim("--connectors", "20", "--locales", "3", "--seed", "11")
		if err != nil {
			return err
		}
		naive, err := naiveExport(s)
		s.stop()
		if err != nil {
			return err
		}
		speedups = append(speedups, naive.seconds/endpointsWall)
		fmt.Printf("| %d | naive sequential client | %d | %.2f | — | — | — | %d |\n", i+1, naive.requests, naive.seconds, naive.rateLimited)
	}
	fmt.Printf("\nMedian wall ÷ floor of `--parts endpoints`: **%.3f**; median naive wall ÷ connvault wall for the same requests: **%.2f×**\n\n", median(ratios), median(speedups))
	return nil
}

type naiveResult struct {
	requests, rateLimited int
	seconds               float64
}

// naiveExport reads what an export needs the way a sequential SDK script
// does, timing from process-equivalent start (token) to the last answer.
func naiveExport(s *sim) (naiveResult, error) {
	var res naiveResult
	vars := map[string]string{}
	for _, kv := range s.vars {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	start := time.Now()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {vars["SAIL_CLIENT_ID"]}, "client_secret": {vars["SAIL_CLIENT_SECRET"]}}
	resp, err := http.PostForm(s.base+"/oauth/token", form)
	if err != nil {
		return res, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil {
		return res, err
	}
	get := func(path string) ([]byte, error) {
		for {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, s.base+"/v2025/connectors"+path, nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return nil, err
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			res.requests++
			if resp.StatusCode == http.StatusTooManyRequests {
				res.rateLimited++
				secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
				time.Sleep(time.Duration(max(secs, 1)) * time.Second)
				continue
			}
			if resp.StatusCode == http.StatusNotFound {
				return nil, nil
			}
			if resp.StatusCode != http.StatusOK {
				return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
			}
			return b, err
		}
	}
	b, err := get("?limit=250")
	if err != nil {
		return res, err
	}
	var list []struct {
		ScriptName string `json:"scriptName"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return res, err
	}
	// The connectors connvault exports: the listed custom ones, as the
	// simulator tells (a script's author knows which are theirs).
	resp, err = http.Get(s.base + "/_sim/tenant")
	if err != nil {
		return res, err
	}
	var dump struct {
		Connectors []struct {
			ScriptName string `json:"scriptName"`
			BuiltIn    bool   `json:"builtIn"`
		} `json:"connectors"`
	}
	err = json.NewDecoder(resp.Body).Decode(&dump)
	resp.Body.Close()
	if err != nil {
		return res, err
	}
	custom := map[string]bool{}
	for _, c := range dump.Connectors {
		custom[c.ScriptName] = !c.BuiltIn
	}
	for _, c := range list {
		if !custom[c.ScriptName] {
			continue
		}
		b, err := get("/" + url.PathEscape(c.ScriptName))
		if err != nil {
			return res, err
		}
		if b == nil {
			return res, fmt.Errorf("connector %s: 404", c.ScriptName)
		}
		for _, p := range []string{"source-config", "source-template", "correlation-config"} {
			if _, err := get("/" + url.PathEscape(c.ScriptName) + "/" + p); err != nil {
				return res, err
			}
		}
		for _, l := range []string{"de", "no", "fi", "sv", "ru", "pt", "ko", "zh-TW", "en", "it", "fr", "zh-CN", "hu", "es", "cs", "ja", "pl", "da", "nl"} {
			if _, err := get("/" + url.PathEscape(c.ScriptName) + "/translations/" + l); err != nil {
				return res, err
			}
		}
	}
	res.seconds = time.Since(start).Seconds()
	return res, nil
}

// importMemory: peak RSS of import, re-import and diff --content at 10,000
// connectors, and requests per created and updated connector.
func (h *harness) importMemory(quick bool) error {
	n := 10000 // the simulator exports every one of them: the 10,000 of issue 10
	if quick {
		n = 300
	}
	fmt.Printf("### Import and diff at scale: requests per connector and peak RSS\n\n")
	fmt.Printf("A bundle exported from `connvault sim --connectors %d --locales 3 --seed 16 --rate-limit 0` (`--rate 0 --concurrency 16`); "+
		"a second bundle, \"edited\", is the same through `connvault transform` with a rules file that changes every source config and every translation. "+
		"Target `connvault sim --connectors 0 --rate-limit 0`; `connvault import --yes --json --rate 0 --concurrency 16`. Peak RSS is the child process's "+
		"(getrusage). Requests per created (updated) connector = all requests of the run ÷ connectors created (updated), list pages included.\n\n", n)
	src, err := h.startSim("--connectors", fmt.Sprint(n), "--locales", "3", "--seed", "16", "--rate-limit", "0")
	if err != nil {
		return err
	}
	bundlePath := filepath.Join(h.dir, "scale.tar.gz")
	var sum exportSummary
	err = h.connvault(src, &sum, "export", "--json", "--out", bundlePath, "--rate", "0", "--concurrency", "16")
	src.stop()
	if err != nil {
		return err
	}
	rules := filepath.Join(h.dir, "edit-rules.yaml")
	if err := os.WriteFile(rules, []byte("version: 2\nreplace:\n  - from: \"</Form>\"\n    to: \"<!-- edited --></Form>\"\n    kinds: [source-config]\n  - from: \"=\"\n    to: \"= \"\n    kinds: [translations]\n"), 0o600); err != nil {
		return err
	}
	edited := filepath.Join(h.dir, "scale-edited.tar.gz")
	if _, err := h.measure(nil, nil, "transform", "--rules", rules, bundlePath, edited); err != nil {
		return err
	}
	locales := float64(sum.Files-4*sum.Connectors) / float64(sum.Connectors)
	fmt.Println("| run | connectors | requests | requests per connector | locales per connector | wall s | peak RSS MB |")
	fmt.Println("|---|---|---|---|---|---|---|")
	dst, err := h.startSim("--connectors", "0", "--seed", "22", "--rate-limit", "0")
	if err != nil {
		return err
	}
	defer dst.stop()
	state := filepath.Join(h.dir, "scale-state")
	for _, run := range []struct{ label, path string }{{"import (creates)", bundlePath}, {"re-import, unchanged", bundlePath}, {"import of the edited bundle (updates)", edited}} {
		var res importResult
		m, err := h.measure(dst, &res, "import", "--yes", "--json", "--rate", "0", "--concurrency", "16", "--state-dir", state, run.path)
		if err != nil {
			return err
		}
		fmt.Printf("| %s | %d | %d | **%.3f** | %.2f | %.1f | **%.0f** |\n", run.label, sum.Connectors, res.Requests, float64(res.Requests)/float64(sum.Connectors), locales, m.seconds, m.peakMB)
	}
	m, err := h.measure(nil, nil, "diff", "--content", bundlePath, edited)
	if err != nil {
		return err
	}
	fmt.Printf("| diff --content of the two bundles | %d | — | — | — | %.1f | **%.0f** |\n\n", sum.Connectors, m.seconds, m.peakMB)
	return nil
}

type measured struct {
	seconds, peakMB float64
	outMB           float64 // what the command wrote to stdout
}

// measure runs the binary (with s's settings when s is set), decodes JSON
// output into v when set, and returns wall time and peak RSS. Exit codes 3
// and 4 (partial, differences) count as success here.
func (h *harness) measure(s *sim, v any, args ...string) (measured, error) {
	cmd := exec.Command(h.bin, args...)
	cmd.Env = os.Environ()
	if s != nil {
		cmd.Env = append(cmd.Env, s.vars...)
	}
	cmd.Dir = h.dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	// Output that is not decoded is counted, not kept: on Linux a child
	// started by os/exec (vfork) reports at least the peak RSS the bench
	// process had when it started it (getrusage's maxrss carries over the
	// exec), so the bench must never grow by what it measures.
	var out []byte
	var outBuf bytes.Buffer
	var outLen countingWriter
	if v != nil {
		cmd.Stdout = &outBuf
	} else {
		cmd.Stdout = &outLen
	}
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start).Seconds()
	out = outBuf.Bytes()
	if ee, ok := err.(*exec.ExitError); ok && (ee.ExitCode() == 4) {
		err = nil
	}
	if err != nil {
		return measured{}, fmt.Errorf("connvault %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			return measured{}, fmt.Errorf("connvault %s: decode output: %v", strings.Join(args, " "), err)
		}
	}
	var peak float64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		peak = float64(ru.Maxrss) * 1024 / 1e6 // Linux: kilobytes
	}
	return measured{seconds: took, peakMB: peak, outMB: float64(len(out)+int(outLen)) / 1e6}, nil
}

// countingWriter counts what is written to it and drops it.
type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
