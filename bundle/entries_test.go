package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The manifest's name, type, className, status and scriptName are covered by
// no hash: a manifest edited by hand must still be caught, by comparing them
// with connector.json.
func TestManifestEntryMustAgreeWithConnectorJSON(t *testing.T) {
	tests := []struct {
		name, from, to, reason string
	}{
		{"renamed", `"name": "Acme LDAP"`, `"name": "Evil Name"`, `name "Evil Name", its connector.json says "Acme LDAP"`},
		{"no edit", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := writeSample(t, t.TempDir(), "b/")
			mp := filepath.Join(p, manifestName)
			data := readFile(t, mp)
			if tt.from != "" {
				if !strings.Contains(string(data), tt.from) {
					t.Fatalf("manifest lacks %s", tt.from)
				}
				data = []byte(strings.Replace(string(data), tt.from, tt.to, 1))
				if err := os.WriteFile(mp, data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Verify(t.Context(), p, ReadOptions{})
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("an untouched bundle does not verify: %v", err)
				}
				return
			}
			wantInvalid(t, err, manifestName, tt.reason)
		})
	}
}
