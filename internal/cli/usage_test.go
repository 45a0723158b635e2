package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

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
