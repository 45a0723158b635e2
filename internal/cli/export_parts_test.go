package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// TestExportParts: --parts chooses how parts are read and the summary
// counts the requests; the default (auto) reads about one request per
// connector, endpoints one per part; a mode that does not exist is a usage
// error before any request.
func TestExportParts(t *testing.T) {
	sim, vars := startSim(t, tenantsim.Options{Seed: 41, Connectors: 12, MaxLocales: 3})
	dir := t.TempDir()
	requests := map[string]int64{}
	digests := map[string]string{}
	for _, mode := range []string{"auto", "endpoints"} {
		r := runCLI(t, vars, "export", "--rate", "0", "--parts", mode, "--json", "--out", filepath.Join(dir, mode+".tar.gz"))
		if r.code != exitOK {
			t.Fatalf("export --parts %s: exit %d: %s", mode, r.code, r.stderr)
		}
		var sum struct {
			Requests      int64  `json:"requests"`
			ContentDigest string `json:"contentDigest"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
			t.Fatalf("export --json: %v\n%s", err, r.stdout)
		}
		requests[mode], digests[mode] = sum.Requests, sum.ContentDigest
	}
	if digests["auto"] != digests["endpoints"] {
		t.Errorf("--parts auto and endpoints exported different content")
	}
	if requests["auto"] >= requests["endpoints"]/2 {
		t.Errorf("--parts auto made %d requests, endpoints %d: auto should need far fewer", requests["auto"], requests["endpoints"])
	}
	before := sim.Stats().Total
	if r := runCLI(t, vars, "export", "--parts", "some", "--out", filepath.Join(dir, "x.tar.gz")); r.code != exitUsage || !strings.Contains(r.stderr, "--parts") {
		t.Fatalf("export --parts some: exit %d: %s", r.code, r.stderr)
	}
	if sim.Stats().Total != before {
		t.Error("a bad --parts sent requests")
	}
}
