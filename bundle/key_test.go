package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestKeyFor(t *testing.T) {
	long := strings.Repeat("long-", 30)
	tests := []struct {
		name, scriptName, want string
	}{
		{"safe", "acme-ldap_2.0", "acme-ldap_2.0"},
		{"upper case kept", "Acme-LDAP", "Acme-LDAP"},
		{"space and slash", "a b/c", "a~20b~2Fc"},
		{"tilde", "a~20b", "a~7E20b"},
		{"dot", ".", "~2E"},
		{"dot dot", "..", "~2E~2E"},
		{"only dots", "....", "~2E~2E~2E~2E"},
		{"leading dot kept", ".hidden", ".hidden"},
		{"non-ASCII", "é", "~C3~A9"},
		{"100 bytes", strings.Repeat("a", 100), strings.Repeat("a", 100)},
		{"101 bytes", strings.Repeat("a", 101), strings.Repeat("a", 82) + "~~" + sha256Hex(strings.Repeat("a", 101))[:16]},
		{"long", long, long[:82] + "~~" + sha256Hex(long)[:16]},
		// 81 safe bytes then an escape: the cut at 82 would split "~2F".
		{"cut before an escape", strings.Repeat("a", 81) + strings.Repeat("/", 20),
			strings.Repeat("a", 81) + "~~" + sha256Hex(strings.Repeat("a", 81) + strings.Repeat("/", 20))[:16]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KeyFor(tt.scriptName); got != tt.want {
				t.Errorf("KeyFor(%q) = %q, want %q", tt.scriptName, got, tt.want)
			}
		})
	}
}

// TestKeyForIsSafeAndUnique checks the properties the layout relies on over
// names chosen to collide.
func TestKeyForIsSafeAndUnique(t *testing.T) {
	names := []string{"a b", "a~20b", "a_b", "a.b", "~", "~~", ".", "..", "...", "~2E", "a/", "a\\", "a\x00",
		strings.Repeat("x", 100), strings.Repeat("x", 101), strings.Repeat("x", 102), strings.Repeat("x", 82) + "~~",
		strings.Repeat("é", 60), strings.Repeat("é", 61), strings.Repeat("/", 40)}
	for i := range 256 {
		names = append(names, "c"+string(rune(i)), string([]byte{byte(i)}))
	}
	seen := map[string]string{}
	for _, n := range names {
		k := KeyFor(n)
		if !validKey(k) || len(k) > 100 {
			t.Errorf("KeyFor(%q) = %q: not a valid key", n, k)
		}
		if other, ok := seen[k]; ok && other != n {
			t.Errorf("KeyFor(%q) = KeyFor(%q) = %q", n, other, k)
		}
		seen[k] = n
	}
}
