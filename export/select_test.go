package export

import (
	"slices"
	"testing"

	"github.com/connvault/connvault/tenant"
)

func TestChoose(t *testing.T) {
	listed := []tenant.Connector{
		{Name: "Acme HR", ScriptName: "acme-hr-x1", Type: "custom Acme HR"},
		{Name: "Acme CRM", ScriptName: "acme-crm-x1", Type: "Custom CRM"},
		{Name: "Active Directory", ScriptName: "active-directory", Type: "Active Directory - Direct"},
		{Name: "Beta Tool", ScriptName: "beta-tool-x1", Type: "custom Beta Tool"},
		{Name: "Acme HR", ScriptName: "acme-hr-x1", Type: "custom Acme HR"}, // listed twice
	}
	tests := []struct {
		name    string
		opts    Options
		named   []string
		carried []Hidden
		want    []string
	}{
		// "?" marks a connector whose detail decides whether it is SailPoint's.
		{name: "custom, and built-in looking ones to check", want: []string{"acme-hr-x1", "acme-crm-x1", "active-directory?", "beta-tool-x1"}},
		{name: "builtin", opts: Options{BuiltIn: true}, want: []string{"acme-hr-x1", "acme-crm-x1", "active-directory", "beta-tool-x1"}},
		{name: "include by name", opts: Options{Include: []string{"Acme*"}}, want: []string{"acme-hr-x1", "acme-crm-x1"}},
		{name: "include never matches a scriptName", opts: Options{Include: []string{"beta-*"}}},
		{name: "include ignores letter case", opts: Options{Include: []string{"beta*"}}, want: []string{"beta-tool-x1"}},
		{name: "exclude wins over include", opts: Options{Include: []string{"Acme*"}, Exclude: []string{"*CRM"}}, want: []string{"acme-hr-x1"}},
		{name: "include of a built-in looking one checks it", opts: Options{Include: []string{"Active*"}}, want: []string{"active-directory?"}},
		{
			name:  "named connectors bypass rules, once each",
			opts:  Options{Exclude: []string{"*"}},
			named: []string{"active-directory", "dev-only-x1", "dev-only-x1", "acme-hr-x1"},
			want:  []string{"acme-hr-x1", "active-directory", "dev-only-x1"},
		},
		{
			name:    "carried connectors follow the globs and the SailPoint-owned rule",
			opts:    Options{Exclude: []string{"Old*"}},
			carried: []Hidden{{ScriptName: "dev-only-x1", Name: "Dev only"}, {ScriptName: "old-x1", Name: "Old one"}},
			want:    []string{"acme-hr-x1", "acme-crm-x1", "active-directory?", "beta-tool-x1", "dev-only-x1?"},
		},
		{
			name:    "builtin: carried connectors are not checked",
			opts:    Options{BuiltIn: true, Include: []string{"Dev*"}},
			carried: []Hidden{{ScriptName: "dev-only-x1", Name: "Dev only"}},
			want:    []string{"dev-only-x1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := newSelector(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range choose(listed, tc.named, tc.carried, sel).targets {
				if c.checkOwner {
					c.ScriptName += "?"
				}
				got = append(got, c.ScriptName)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("chose %q, want %q", got, tc.want)
			}
		})
	}
}
