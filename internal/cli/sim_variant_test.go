package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSimVariantFlag: `sim --variant` serves the variants it names (the
// state file saved at exit holds the tenant's dump, variants included), and a
// bad one is a usage error naming the key and the values allowed.
func TestSimVariantFlag(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // prints its settings, saves the state, stops
	r := runCLIContext(ctx, t, nil, "sim", "--connectors", "1", "--state", state, "--variant", "missing-locale=en,page-cap=9,duplicate-name=409")
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "(variants=missing-locale=en,page-cap=9,duplicate-name=409)") {
		t.Errorf("the start line does not show the variants in effect: %q", r.stderr)
	}
	b, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Variants map[string]any `json:"variants"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Variants["missing-locale"] != "en" || d.Variants["page-cap"] != float64(9) || d.Variants["duplicate-name"] != float64(409) || d.Variants["detail-bytes"] != "same" {
		t.Errorf("variants served: %v", d.Variants)
	}

	r = runCLI(t, nil, "sim", "--variant", "missing-locale=maybe")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--variant") || !strings.Contains(r.stderr, "404, empty, en") {
		t.Errorf("bad variant: exit %d, %s", r.code, r.stderr)
	}
}
