package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// cli runs connvault in-process with the given environment and returns the
// exit code, stdout and stderr.
type cliRun struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, vars map[string]string, args ...string) cliRun {
	t.Helper()
	return runCLIContext(t.Context(), t, vars, args...)
}

// runCLIContext is runCLI under ctx.
func runCLIContext(ctx context.Context, t *testing.T, vars map[string]string, args ...string) cliRun {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code := runEnv(ctx, append([]string{"connvault"}, args...), e)
	return cliRun{code: code, stdout: out.String(), stderr: errb.String()}
}

// startSim serves a simulated tenant and returns it with the SAIL_* variables
// that point at it.
func startSim(t *testing.T, opts tenantsim.Options) (*tenantsim.Sim, map[string]string) {
	t.Helper()
	if opts.ClientID == "" {
		opts.ClientID, opts.ClientSecret = "test-client", "s3cr3t-"+t.Name()
	}
	sim := tenantsim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, map[string]string{"SAIL_BASE_URL": srv.URL, "SAIL_CLIENT_ID": opts.ClientID, "SAIL_CLIENT_SECRET": opts.ClientSecret}
}

func unlistedScriptNames(sim *tenantsim.Sim) []string {
	var out []string
	for _, c := range sim.Dump().Connectors {
		if !c.BuiltIn && c.Status != "RELEASED" {
			out = append(out, c.ScriptName)
		}
	}
	return out
}

func customCount(sim *tenantsim.Sim) int { return countCustom(sim.Dump()) }

// released returns the RELEASED custom connectors of sim, in dump order.
func released(sim *tenantsim.Sim) []tenantsim.DumpConnector {
	var out []tenantsim.DumpConnector
	for _, c := range sim.Dump().Connectors {
		if !c.BuiltIn && c.Status == "RELEASED" {
			out = append(out, c)
		}
	}
	return out
}

// writeProfiles writes a profiles file at path naming two tenants, sb and
// prod, whose secrets are in SB_SECRET and PROD_SECRET (profileSecrets).
func writeProfiles(t *testing.T, path string, sbVars, prodVars map[string]string) {
	t.Helper()
	data := fmt.Appendf(nil, "version: 1\ntenants:\n  sb:\n    baseURL: %s\n    clientID: %s\n    clientSecretEnv: SB_SECRET\n  prod:\n    baseURL: %s\n    clientID: %s\n    clientSecretEnv: PROD_SECRET\n",
		sbVars["SAIL_BASE_URL"], sbVars["SAIL_CLIENT_ID"], prodVars["SAIL_BASE_URL"], prodVars["SAIL_CLIENT_ID"])
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// profileSecrets is the environment writeProfiles's file reads its secrets from.
func profileSecrets(sbVars, prodVars map[string]string) map[string]string {
	return map[string]string{"SB_SECRET": sbVars["SAIL_CLIENT_SECRET"], "PROD_SECRET": prodVars["SAIL_CLIENT_SECRET"]}
}
