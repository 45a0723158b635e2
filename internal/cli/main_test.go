package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

func TestExportVerifyInspectDiff(t *testing.T) {
	sim, vars := startSim(t, tenantsim.Options{Seed: 3, Connectors: 10, MaxLocales: 3})
	dir := t.TempDir()
	a := filepath.Join(dir, "a.tar.gz")
	common := []string{"--rate", "0", "--locales", "detail"}
	for _, sn := range unlistedScriptNames(sim) {
		common = append(common, "--script-name", sn)
	}
	r := runCLI(t, vars, append([]string{"export", "--out", a, "--json"}, common...)...)
	if r.code != exitOK {
		t.Fatalf("export: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	var sum exportSummary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("export --json output: %v\n%s", err, r.stdout)
	}
	if sum.Connectors != customCount(sim) || !sum.Complete || !strings.HasPrefix(sum.ContentDigest, "sha256:") {
		t.Errorf("summary = %+v, want %d connectors, complete, a digest", sum, customCount(sim))
	}
	fi, err := os.Stat(a)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("bundle file: %v, mode %v; want 0600", err, fi.Mode())
	}

	if r := runCLI(t, nil, "verify", a); r.code != exitOK || !strings.Contains(r.stdout, "ok") {
		t.Errorf("verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "inspect", a)
	if r.code != exitOK {
		t.Fatalf("inspect: exit %d: %s", r.code, r.stderr)
	}
	for _, c := range sim.Dump().Connectors {
		if !c.BuiltIn && !strings.Contains(r.stdout, c.ScriptName) {
			t.Errorf("inspect does not list %s", c.ScriptName)
		}
	}

	// The same tenant gives no difference; a changed one names the part.
	b := filepath.Join(dir, "b")
	if r := runCLI(t, vars, append([]string{"export", "--out", b + "/"}, common...)...); r.code != exitOK {
		t.Fatalf("export to a directory: exit %d: %s", r.code, r.stderr)
	}
	if r := runCLI(t, nil, "diff", "--detailed-exitcode", a, b); r.code != exitOK {
		t.Errorf("diff of two exports of one tenant: exit %d\n%s", r.code, r.stdout)
	}
	d := sim.Dump()
	for i, c := range d.Connectors {
		if !c.BuiltIn && c.Status == "RELEASED" {
			d.Connectors[i].CorrelationConfigXml = strings.Replace(c.CorrelationConfigXml, "<CorrelationConfig", "<CorrelationConfig description=\"changed\"", 1)
			break
		}
	}
	if err := sim.Restore(d); err != nil {
		t.Fatal(err)
	}
	c := filepath.Join(dir, "c.tgz")
	if r := runCLI(t, vars, append([]string{"export", "--out", c}, common...)...); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	r = runCLI(t, nil, "diff", "--content", "--detailed-exitcode", a, c)
	if r.code != exitChanges || !strings.Contains(r.stdout, "correlation-config") || !strings.Contains(r.stdout, `+<CorrelationConfig description="changed"`) {
		t.Errorf("diff after a change: exit %d, want 4 naming correlation-config with the changed line:\n%s", r.code, r.stdout)
	}
}

func TestVerifyRejectsTamperedBundle(t *testing.T) {
	_, vars := startSim(t, tenantsim.Options{Seed: 4, Connectors: 3, MaxLocales: 2})
	dir := filepath.Join(t.TempDir(), "bundle")
	if r := runCLI(t, vars, "export", "--rate", "0", "--locales", "detail", "--out", dir+"/"); r.code != exitOK {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "connectors", "*", "source-config.xml"))
	if len(files) == 0 {
		t.Fatal("no source-config.xml exported")
	}
	data, _ := os.ReadFile(files[0])
	data[len(data)/2] ^= 1
	if err := os.WriteFile(files[0], data, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "verify", dir)
	rel, _ := filepath.Rel(dir, files[0])
	if r.code != exitError || !strings.Contains(r.stderr, filepath.ToSlash(rel)) {
		t.Errorf("verify of a flipped byte: exit %d, stderr %q; want 1 naming %s", r.code, r.stderr, rel)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"export", "--nope"}, "nope"},
		{"missing out", []string{"export"}, "out"},
		{"bad locale", []string{"export", "--out", "x.tar.gz", "--locales", "xx"}, "xx"},
		{"bad rate", []string{"export", "--out", "x.tar.gz", "--rate", "fast"}, "--rate"},
		{"verify without bundle", []string{"verify"}, "one bundle"},
		{"bad api", []string{"export", "--out", "x.tar.gz", "--api", "v3"}, "--api"},
		{"unknown command", []string{"frobnicate"}, "frobnicate"},
		{"argument after the flags", []string{"export", "--out", "x.tar.gz", "extra"}, "no arguments"},
		{"argument to demo", []string{"demo", "connvault-demo"}, "no arguments"},
		{"argument to sim", []string{"sim", "--connectors", "2", "extra"}, "no arguments"},
		{"argument to migrate", []string{"migrate", "--from", "a", "--to", "b", "production"}, "no arguments"},
		{"help for an unknown command", []string{"help", "frobnicate"}, "frobnicate"},
		{"unknown log level", []string{"export", "--out", "x.tar.gz", "--log-level", "verbose"}, "debug, info, warn, error"},
		{"no bundle form", []string{"export", "--out", "foo.zip"}, "foo.zip"},
		{"bad SOURCE_DATE_EPOCH", []string{"export", "--out", "x.tar.gz"}, "SOURCE_DATE_EPOCH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"SAIL_BASE_URL": "http://127.0.0.1:1", "SAIL_CLIENT_ID": "id", "SAIL_CLIENT_SECRET": "secret"}
			if tt.name == "bad SOURCE_DATE_EPOCH" {
				vars["SOURCE_DATE_EPOCH"] = "99999999999999"
			}
			r := runCLI(t, vars, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr+r.stdout, tt.want) {
				t.Errorf("exit %d, output %q; want 2 mentioning %q", r.code, r.stderr+r.stdout, tt.want)
			}
		})
	}
}

func TestMissingConfigurationNamesTheVariable(t *testing.T) {
	r := runCLI(t, map[string]string{"SAIL_BASE_URL": "https://acme.api.identitynow.com"}, "export", "--out", filepath.Join(t.TempDir(), "x.tar.gz"))
	if r.code != exitError || !strings.Contains(r.stderr, "SAIL_CLIENT_ID") {
		t.Errorf("exit %d, stderr %q; want 1 naming SAIL_CLIENT_ID", r.code, r.stderr)
	}
}

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

func TestSimCommandPrintsConnectionFirst(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	e.log = discardLogger()
	state := filepath.Join(t.TempDir(), "state.json")
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- runSim(ctx, e, simOptions{Addr: "127.0.0.1:0", State: state, Sim: tenantsim.Options{Seed: 1, Connectors: 2, ClientID: "cid", ClientSecret: "csecret"}, ReadyLine: func(u string) { ready <- u }})
	}()
	var base string
	select {
	case base = <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not start")
	}
	lines := strings.SplitN(out.String(), "\n", 4)
	want := []string{"SAIL_BASE_URL=" + base, "SAIL_CLIENT_ID=cid", "SAIL_CLIENT_SECRET=csecret"}
	for i, w := range want {
		if i >= len(lines) || lines[i] != w {
			t.Errorf("line %d = %q, want %q", i+1, lines[i], w)
		}
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("base URL %q is not on loopback", base)
	}
	// The tenant it serves is usable with those settings.
	r := runCLI(t, map[string]string{"SAIL_BASE_URL": base, "SAIL_CLIENT_ID": "cid", "SAIL_CLIENT_SECRET": "csecret"},
		"export", "--rate", "0", "--locales", "detail", "--out", filepath.Join(t.TempDir(), "x.tar.gz"))
	if r.code != exitOK {
		t.Errorf("export from `connvault sim`: exit %d: %s", r.code, r.stderr)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("sim: %v", err)
	}
	if fi, err := os.Stat(state); err != nil || fi.Size() == 0 {
		t.Errorf("state file not saved at exit: %v", err)
	}
}
