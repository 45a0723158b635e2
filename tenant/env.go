package tenant

import (
	"fmt"
	"net/url"
	"os"
	"strings"
)

// OptionsFromEnv reads the connection settings the sail CLI and the SDKs
// use: SAIL_BASE_URL, SAIL_CLIENT_ID, SAIL_CLIENT_SECRET, SAIL_TOKEN_URL and
// SAIL_ACCESS_TOKEN. SAIL_CLIENT_SECRET_FILE and SAIL_ACCESS_TOKEN_FILE name
// a file holding the secret instead (a trailing newline is dropped). It needs
// the base URL and either a client id and secret or an access token; its
// errors name the missing variable. Other Options fields are left zero.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	var o Options
	o.BaseURL = strings.TrimSpace(getenv("SAIL_BASE_URL"))
	if o.BaseURL == "" {
		return Options{}, fmt.Errorf("SAIL_BASE_URL is not set (want https://{tenant}.api.identitynow.com)")
	}
	o.ClientID = strings.TrimSpace(getenv("SAIL_CLIENT_ID"))
	o.TokenURL = strings.TrimSpace(getenv("SAIL_TOKEN_URL"))
	var err error
	if o.ClientSecret, err = secretFromEnv(getenv, "SAIL_CLIENT_SECRET"); err != nil {
		return Options{}, err
	}
	if o.AccessToken, err = secretFromEnv(getenv, "SAIL_ACCESS_TOKEN"); err != nil {
		return Options{}, err
	}
	switch {
	case o.ClientID != "" && o.ClientSecret == "":
		return Options{}, fmt.Errorf("SAIL_CLIENT_SECRET (or SAIL_CLIENT_SECRET_FILE) is not set, but SAIL_CLIENT_ID is")
	case o.ClientID == "" && o.ClientSecret != "":
		return Options{}, fmt.Errorf("SAIL_CLIENT_ID is not set, but SAIL_CLIENT_SECRET is")
	case o.ClientID == "" && o.AccessToken == "":
		return Options{}, fmt.Errorf("SAIL_CLIENT_ID and SAIL_CLIENT_SECRET are not set (nor SAIL_ACCESS_TOKEN)")
	}
	return o, nil
}

// secretFromEnv reads name, or the file named by name_FILE; not both.
func secretFromEnv(getenv func(string) string, name string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", fmt.Errorf("both %s and %s_FILE are set; set one", name, name)
	case file == "":
		return strings.TrimSpace(v), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		// The path error names the file, never its content.
		return "", fmt.Errorf("read %s_FILE: %w", name, err)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("%s_FILE %s is empty", name, file)
	}
	return s, nil
}

// SameURL reports whether two tenant base URLs name the same tenant: equal
// but for surrounding space, the case of scheme and host, and a trailing
// slash. Bundles, plans, journals and snapshot records keep the URL they
// were made with; this is how each is matched to the tenant at hand.
func SameURL(a, b string) bool {
	norm := func(s string) string {
		s = strings.TrimRight(strings.TrimSpace(s), "/")
		if u, err := url.Parse(s); err == nil {
			u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
			return u.String()
		}
		return s
	}
	return norm(a) == norm(b)
}
