package cli

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"
	"go.yaml.in/yaml/v3"

	"github.com/connvault/connvault/tenant"
)

// profilesFile is the --config file of migrate, backup and restore: named
// tenants.
// It never holds a secret: only the names of environment variables or files
// that do.
type profilesFile struct {
	Version int                `yaml:"version"`
	Tenants map[string]profile `yaml:"tenants"`
	dir     string             // the file's directory: relative secret files are found there
}

type profile struct {
	BaseURL          string `yaml:"baseURL"`
	API              string `yaml:"api"`
	ClientID         string `yaml:"clientID"`
	ClientSecretEnv  string `yaml:"clientSecretEnv"`
	ClientSecretFile string `yaml:"clientSecretFile"`
	AccessTokenEnv   string `yaml:"accessTokenEnv"`
	AccessTokenFile  string `yaml:"accessTokenFile"`
	TokenURL         string `yaml:"tokenURL"`
	Rate             string `yaml:"rate"`
}

// loadProfiles reads and checks a profiles file. Unknown keys are refused,
// so a secret pasted under a wrong key is not silently kept.
func loadProfiles(path string) (profilesFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return profilesFile{}, fmt.Errorf("read profiles: %w", err)
	}
	var pf profilesFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&pf); err != nil {
		return profilesFile{}, fmt.Errorf("profiles file %s: %w", path, err)
	}
	pf.dir = filepath.Dir(path)
	if pf.Version != 1 {
		return profilesFile{}, fmt.Errorf("profiles file %s: unsupported version %d (this connvault reads version 1)", path, pf.Version)
	}
	return pf, nil
}

// options turns the profile name of pf into client options, reading its
// secret from the environment variable or file it names.
func (pf profilesFile) options(name string, getenv func(string) string) (tenant.Options, error) {
	p, ok := pf.Tenants[name]
	if !ok { // a bad argument (--tenant, --from, --to), as an unknown tenant of a repository is
		return tenant.Options{}, usageErrorf("no tenant %q in the profiles file (it has: %s)", name, strings.Join(slices.Sorted(maps.Keys(pf.Tenants)), ", "))
	}
	if p.BaseURL == "" {
		return tenant.Options{}, fmt.Errorf("tenant %q: baseURL is required", name)
	}
	o := tenant.Options{BaseURL: p.BaseURL, API: p.API, ClientID: p.ClientID, TokenURL: p.TokenURL}
	if o.API == "" {
		o.API = "v2025"
	}
	var err error
	if o.ClientSecret, err = secretFrom(name, "client secret", p.ClientSecretEnv, pf.path(p.ClientSecretFile), getenv); err != nil {
		return tenant.Options{}, err
	}
	if o.AccessToken, err = secretFrom(name, "access token", p.AccessTokenEnv, pf.path(p.AccessTokenFile), getenv); err != nil {
		return tenant.Options{}, err
	}
	if o.AccessToken == "" && (o.ClientID == "" || o.ClientSecret == "") {
		return tenant.Options{}, fmt.Errorf("tenant %q: needs clientID with clientSecretEnv or clientSecretFile, or accessTokenEnv or accessTokenFile", name)
	}
	if p.Rate != "" {
		if o.Rate, err = tenant.ParseRate(p.Rate); err != nil {
			return tenant.Options{}, fmt.Errorf("tenant %q: rate: %w", name, err)
		}
	}
	return o, nil
}

// profileOptions returns the client options of the tenant name in pf, with
// the tenant flags of c applied (a flag given wins over the profile's value)
// and the process's logger and user agent: a tenant of migrate's --from and
// --to, backup's --tenant and restore's --to.
func profileOptions(c *cli.Command, e *env, pf profilesFile, name string) (tenant.Options, error) {
	o, err := pf.options(name, e.getenv)
	if err != nil {
		return tenant.Options{}, err
	}
	if err := applyTenantFlags(c, &o); err != nil {
		return tenant.Options{}, err
	}
	o.Logger, o.UserAgent = e.log, "connvault/"+Version
	return o, nil
}

// path resolves a file named in the profiles file: "~/" is the home
// directory, a relative path is relative to the profiles file's directory
// (so the file works from any working directory), "" stays "".
func (pf profilesFile) path(file string) string {
	if file == "" || filepath.IsAbs(file) || strings.HasPrefix(file, "~/") {
		return file
	}
	return filepath.Join(pf.dir, file)
}

func secretFrom(tenantName, what, envName, file string, getenv func(string) string) (string, error) {
	switch {
	case envName != "" && file != "":
		return "", fmt.Errorf("tenant %q: name the %s's environment variable or its file, not both", tenantName, what)
	case envName != "":
		v := getenv(envName)
		if v == "" {
			return "", fmt.Errorf("tenant %q: environment variable %s (the %s) is not set", tenantName, envName, what)
		}
		return v, nil
	case file != "":
		if rest, ok := strings.CutPrefix(file, "~/"); ok {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("tenant %q: %s file %s: %w", tenantName, what, file, err)
			}
			file = filepath.Join(home, rest)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("tenant %q: read the %s file: %w", tenantName, what, err)
		}
		return strings.TrimRight(string(data), "\r\n"), nil
	}
	return "", nil
}
