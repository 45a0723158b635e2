package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// decodeOneJSON decodes stdout as exactly one JSON document into v.
func decodeOneJSON(t *testing.T, what, stdout string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: stdout is not a JSON document: %v\n%s", what, err, stdout)
	}
	if dec.More() {
		t.Errorf("%s: more than one JSON document on stdout:\n%s", what, stdout)
	}
}

// transform --json prints one document: input, output, counts, renames and
// the output's digest.
func TestTransformJSON(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 63, Connectors: 6, MaxLocales: 1})
	dir := t.TempDir()
	in := exportTo(t, vars, filepath.Join(dir, "in.tar.gz"))
	names := bundleNames(t, in)
	rules := writeRules(t, dir, "rename: {"+jsonQuote(strings.ToUpper(names[0]))+": Renamed PROD}\n")
	out := filepath.Join(dir, "out.tar.gz")
	r := runCLI(t, nil, "transform", "--json", "--rules", rules, in, out)
	if r.code != exitOK {
		t.Fatalf("transform --json: exit %d: %s", r.code, r.stderr)
	}
	var doc transformSummary
	decodeOneJSON(t, "transform --json", r.stdout, &doc)
	if doc.Input != in || doc.Output != out || doc.Connectors != len(names) || doc.Of != len(names) ||
		len(doc.Renames) != 1 || doc.Renames[0].From != names[0] || doc.Renames[0].To != "Renamed PROD" || doc.Renames[0].ScriptName == "" ||
		!strings.HasPrefix(doc.ContentDigest, "sha256:") || !doc.Complete {
		t.Errorf("transform --json: %+v; want %d of %d, %q renamed", doc, len(names), len(names), names[0])
	}
}

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// verify --json prints a JSON document also when the bundle is not valid:
// valid false and the error, exit non-zero; a valid bundle says valid true.
func TestVerifyJSONOnFailure(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 64, Connectors: 3, MaxLocales: 1})
	dir := t.TempDir()
	good := exportTo(t, vars, filepath.Join(dir, "good.tar.gz"))
	garbage := filepath.Join(dir, "bad.tar.gz")
	os.WriteFile(garbage, []byte("not a bundle"), 0o600)
	data, _ := os.ReadFile(good)
	truncated := filepath.Join(dir, "truncated.tar.gz")
	os.WriteFile(truncated, data[:len(data)/2], 0o600)
	tampered := filepath.Join(dir, "tampered")
	if r := runCLI(t, nil, "transform", good, tampered+"/"); r.code != exitOK {
		t.Fatalf("fixture: %s", r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(tampered, "connectors", "*", "connector.json"))
	if len(files) == 0 {
		t.Fatal("fixture: no connector.json")
	}
	b, _ := os.ReadFile(files[0])
	os.WriteFile(files[0], bytes.Replace(b, []byte("{"), []byte("{ "), 1), 0o600)
	for _, bad := range []string{garbage, truncated, tampered, filepath.Join(dir, "missing.tar.gz")} {
		r := runCLI(t, nil, "verify", "--json", bad)
		var doc struct {
			Bundle string `json:"bundle"`
			Valid  *bool  `json:"valid"`
			Error  string `json:"error"`
		}
		decodeOneJSON(t, "verify --json "+filepath.Base(bad), r.stdout, &doc)
		if r.code == exitOK || doc.Valid == nil || *doc.Valid || doc.Error == "" || doc.Bundle != bad {
			t.Errorf("verify --json %s: exit %d, document %+v; want valid false with the error, exit non-zero", filepath.Base(bad), r.code, doc)
		}
	}
	r := runCLI(t, nil, "verify", "--json", good)
	var doc struct {
		Valid *bool `json:"valid"`
	}
	decodeOneJSON(t, "verify --json good", r.stdout, &doc)
	if r.code != exitOK || doc.Valid == nil || !*doc.Valid {
		t.Errorf("verify --json of a valid bundle: exit %d, %s", r.code, r.stdout)
	}
}
