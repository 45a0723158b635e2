package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// A profiles file's clientSecretFile: ./x is found beside the profiles file,
// whatever the working directory.
func TestProfilesSecretFileRelativeToTheFile(t *testing.T) {
	_, sbVars := startSim(t, tenantsim.Options{Seed: 113, Connectors: 2, ClientID: "sb", ClientSecret: "sb-secret"})
	_, prodVars := startSim(t, tenantsim.Options{Seed: 114, Connectors: 0, ClientID: "prod", ClientSecret: "prod-secret"})
	confDir := t.TempDir()
	os.WriteFile(filepath.Join(confDir, "sb.secret"), []byte("sb-secret\n"), 0o600)
	os.MkdirAll(filepath.Join(confDir, "secrets"), 0o700)
	os.WriteFile(filepath.Join(confDir, "secrets", "prod"), []byte("prod-secret\n"), 0o600)
	config := filepath.Join(confDir, "connvault.yaml")
	os.WriteFile(config, fmt.Appendf(nil, "version: 1\ntenants:\n  sb:\n    baseURL: %s\n    clientID: sb\n    clientSecretFile: ./sb.secret\n  prod:\n    baseURL: %s\n    clientID: prod\n    clientSecretFile: secrets/prod\n",
		sbVars["SAIL_BASE_URL"], prodVars["SAIL_BASE_URL"]), 0o600)
	t.Chdir(t.TempDir()) // elsewhere
	r := runCLI(t, nil, "migrate", "--config", config, "--from", "sb", "--to", "prod", "--rate", "0", "--state-dir", t.TempDir(), "--dry-run")
	if r.code != exitOK {
		t.Errorf("migrate with secret files beside the profiles file: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}
