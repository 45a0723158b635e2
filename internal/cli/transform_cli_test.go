package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant/tenantsim"
)

func TestTransformCommand(t *testing.T) {
	sim, vars := startSim(t, tenantsim.Options{Seed: 63, Connectors: 4, MaxLocales: 2})
	dir := t.TempDir()
	in := filepath.Join(dir, "in.tar.gz")
	if r := runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--out", in); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	var name string
	for _, c := range sim.Dump().Connectors {
		if !c.BuiltIn && c.Status == "RELEASED" {
			name = c.Name
			break
		}
	}
	rules := filepath.Join(dir, "rules.yaml")
	values := filepath.Join(dir, "values.yaml")
	os.WriteFile(rules, fmt.Appendf(nil, "version: 2\nplaceholders: true\nrename:\n  %q: Renamed For Prod\nreplace:\n  - from: \"<CorrelationConfig\"\n    to: \"<!-- ${ENV_LABEL} --><CorrelationConfig\"\n    kinds: [correlation-config]\n", name), 0o600)
	os.WriteFile(values, []byte("ENV_LABEL: production\n"), 0o600)
	out := filepath.Join(dir, "out.tar.gz")
	r := runCLI(t, nil, "transform", "--rules", rules, "--values", values, in, out)
	if r.code != exitOK {
		t.Fatalf("transform: exit %d: %s", r.code, r.stderr)
	}
	b, err := bundle.Open(t.Context(), out, bundle.ReadOptions{})
	if err != nil {
		t.Fatalf("transformed bundle: %v", err)
	}
	defer b.Close()
	cs, err := b.LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	renamed := false
	for _, c := range cs {
		if c.Name == name {
			t.Errorf("%q was not renamed", name)
		}
		if c.Name == "Renamed For Prod" {
			renamed = true
		}
		if c.CorrelationConfig != nil && !bytes.Contains(c.CorrelationConfig, []byte("<!-- production -->")) {
			t.Errorf("%s: placeholder not substituted in correlation-config", c.Name)
		}
	}
	if !renamed {
		t.Error("no connector named \"Renamed For Prod\" in the output")
	}
	// Without a value, the placeholder is an error naming it; nothing is written.
	os.Remove(values)
	out2 := filepath.Join(dir, "out2.tar.gz")
	if r := runCLI(t, nil, "transform", "--rules", rules, in, out2); r.code != exitError || !strings.Contains(r.stderr, "ENV_LABEL") {
		t.Errorf("transform with an unresolved placeholder: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Error("a failed transform left its output")
	}
}
