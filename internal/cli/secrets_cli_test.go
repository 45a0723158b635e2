package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

func TestSecretNeverPrinted(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 5, Connectors: 2})
	secret := vars["SAIL_CLIENT_SECRET"]
	dir := t.TempDir()
	wrong := map[string]string{"SAIL_BASE_URL": vars["SAIL_BASE_URL"], "SAIL_CLIENT_ID": vars["SAIL_CLIENT_ID"], "SAIL_CLIENT_SECRET": secret + "-wrong"}
	for _, tc := range []struct {
		name string
		vars map[string]string
		args []string
	}{
		{"export", vars, []string{"--log-level", "debug", "export", "--rate", "0", "--locales", "detail", "--out", filepath.Join(dir, "a.tar.gz")}},
		{"wrong secret", wrong, []string{"--log-level", "debug", "export", "--out", filepath.Join(dir, "b.tar.gz")}},
		{"plan", vars, []string{"--log-level", "debug", "plan", filepath.Join(dir, "a.tar.gz")}},
	} {
		r := runCLI(t, tc.vars, tc.args...)
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("%s: the client secret appears in the output", tc.name)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "a.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(secret)) {
		t.Error("the client secret appears in the bundle")
	}
}
