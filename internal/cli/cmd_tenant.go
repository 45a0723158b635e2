package cli

import (
	"fmt"
	"log/slog"

	"github.com/urfave/cli/v3"

	"github.com/connvault/connvault/tenant"
)

// tenantFlags are the flags of every command that talks to a tenant.
// Credentials never come from flags (they would show in ps): only from the
// environment or files named there.
func tenantFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "api", Value: "v2025", Usage: "API surface: v2025 ({base}/v2025/connectors) or v1 ({base}/connectors/v1)"},
		&cli.StringFlag{Name: "rate", Value: "100/10s", Usage: "client-side rate limit per client id, e.g. 100/10s; 0 turns it off"},
		&cli.DurationFlag{Name: "max-wait", Value: tenant.DefaultMaxWait, Usage: "longest single wait the tenant may ask for (429 Retry-After); past it the run stops as retryable (exit 3) and says when to rerun"},
	}
}

// tenantOptions builds client options from the SAIL_* environment and flags.
func tenantOptions(c *cli.Command, getenv func(string) string, log *slog.Logger) (tenant.Options, error) {
	opts, err := tenant.OptionsFromEnv(getenv)
	if err != nil {
		return tenant.Options{}, fmt.Errorf("tenant configuration: %w", err)
	}
	if err := applyTenantFlags(c, &opts); err != nil {
		return tenant.Options{}, err
	}
	opts.Logger = log
	opts.UserAgent = "connvault/" + Version
	return opts, nil
}

// applyTenantFlags sets the API surface and rate from flags; values already
// in opts (from a profile) win over flag defaults, not over flags given.
func applyTenantFlags(c *cli.Command, opts *tenant.Options) error {
	if c.IsSet("api") || opts.API == "" {
		api := c.String("api")
		if api != "v2025" && api != "v1" {
			return usageErrorf("--api must be v2025 or v1, not %q", api)
		}
		opts.API = api
	}
	if c.IsSet("max-wait") || opts.MaxWait == 0 {
		if c.Duration("max-wait") <= 0 {
			return usageErrorf("--max-wait must be positive, not %s", c.Duration("max-wait"))
		}
		opts.MaxWait = c.Duration("max-wait")
	}
	if c.IsSet("rate") || opts.Rate == (tenant.Rate{}) {
		r, err := tenant.ParseRate(c.String("rate"))
		if err != nil {
			return usageErrorf("--rate: %v", err)
		}
		opts.Rate = r
	}
	return nil
}

// newClient builds a client, sharing one governor per client id within this process.
func newClient(opts tenant.Options, governors map[string]*tenant.Governor) (*tenant.Client, error) {
	if governors != nil && opts.ClientID != "" {
		g, ok := governors[opts.ClientID]
		if !ok {
			g = tenant.NewGovernor(opts.Rate)
			governors[opts.ClientID] = g
		}
		opts.Governor = g
	}
	cl, err := tenant.New(opts)
	if err != nil {
		return nil, fmt.Errorf("tenant client: %w", err)
	}
	return cl, nil
}
