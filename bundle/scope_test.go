package bundle

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A bundle records its scope in the manifest and readers get it back; a
// manifest without one (written before scopes were recorded) reads as nil,
// an unknown scope.
func TestScopeRoundTrip(t *testing.T) {
	dir := t.TempDir()
	scope := &Scope{Filter: `name sw "HR"`, Include: []string{"HR *"}, Exclude: []string{"* (test)"},
		ScriptNames: []string{"hr-dev-1"}, Narrowed: []NameFilter{{Include: []string{"HR Feed*"}}}}
	for _, tt := range []struct {
		name  string
		scope *Scope
	}{{"with.tar.gz", scope}, {"with-dir/", scope}, {"without.tar.gz", nil}} {
		opts := testWriterOptions()
		opts.Scope = tt.scope
		p := filepath.Join(dir, tt.name)
		if strings.HasSuffix(tt.name, "/") {
			p += "/"
		}
		if _, err := WriteAll(t.Context(), p, opts, sampleConnectors(), nil); err != nil {
			t.Fatal(err)
		}
		m, err := Verify(t.Context(), p, ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m.Scope, tt.scope) {
			t.Errorf("%s: scope %+v, want %+v", tt.name, m.Scope, tt.scope)
		}
		if m.Scope.Known() != (tt.scope != nil) {
			t.Errorf("%s: Known() = %t", tt.name, m.Scope.Known())
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "with-dir", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"scope": {`) || !strings.Contains(string(raw), `"filter": "name sw \"HR\""`) {
		t.Errorf("manifest.json does not record the scope:\n%s", raw)
	}
	if (&Scope{Unrecorded: true}).Known() {
		t.Error("an unrecorded scope is Known")
	}
}
