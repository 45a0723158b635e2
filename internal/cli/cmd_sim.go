package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/connvault/connvault/internal/atomicfile"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// simOptions are the flags of `connvault sim`.
type simOptions struct {
	Addr      string
	State     string
	Sim       tenantsim.Options
	ReadyLine func(baseURL string) // called once listening (tests)
}

func simFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "addr", Value: "127.0.0.1:0", Usage: "listen address (port 0 picks a free port)"},
		&cli.IntFlag{Name: "connectors", Value: 25, Usage: "custom connectors to seed"},
		&cli.IntFlag{Name: "locales", Value: 3, Usage: "most locales per connector"},
		&cli.Int64Flag{Name: "seed", Value: 1, Usage: "seed of the generated tenant (same seed, same tenant)"},
		&cli.StringFlag{Name: "tenant-name", Usage: "tenant name, which sets the scriptName suffix (default derived from the seed)"},
		&cli.StringFlag{Name: "rate-limit", Value: "100/10s", Usage: "requests per window per client id, e.g. 100/10s, 1000/1s; 0 turns it off"},
		&cli.DurationFlag{Name: "latency", Usage: "latency added to every API request"},
		&cli.StringFlag{Name: "faults", Usage: "fault injection, e.g. 500=0.05,reset=0.05,burst429=200:5s,revoke=300,lose-write=0.1,seed=7 (see README)"},
		&cli.StringFlag{Name: "variant", Usage: "behaviours the spec leaves open, e.g. missing-locale=en,page-cap=50,duplicate-name=409 (see README)"},
		&cli.DurationFlag{Name: "token-ttl", Value: 750 * time.Second, Usage: "access token lifetime"},
		&cli.StringFlag{Name: "client-id", Value: "sim-client", Usage: "client id the simulator accepts"},
		&cli.StringFlag{Name: "client-secret", Value: "sim-secret", Usage: "client secret the simulator accepts (a test credential, printed on start)"},
		&cli.StringFlag{Name: "state", Usage: "JSON state file: loaded at start when present, saved at exit"},
		&cli.StringSliceFlag{Name: "scopes", Usage: "scopes the client's tokens carry (repeatable), e.g. idn:connector-config:manage to refuse the Sources API; default sp:scopes:all"},
	}
}

func simOptionsFrom(c *cli.Command) (simOptions, error) {
	rate, err := tenant.ParseRate(c.String("rate-limit"))
	if err != nil {
		return simOptions{}, usageErrorf("--rate-limit: %v", err)
	}
	faults, err := tenantsim.ParseFaults(c.String("faults"))
	if err != nil {
		return simOptions{}, usageErrorf("--faults: %v", err)
	}
	variants, err := tenantsim.ParseVariants(c.String("variant"))
	if err != nil {
		return simOptions{}, usageErrorf("--variant: %v", err)
	}
	if c.Int("connectors") < 0 || c.Int("locales") < 1 || c.Int("locales") > len(tenant.Locales()) {
		return simOptions{}, usageErrorf("--connectors must be ≥ 0 and --locales between 1 and %d", len(tenant.Locales()))
	}
	o := simOptions{
		Addr:  c.String("addr"),
		State: c.String("state"),
		Sim: tenantsim.Options{
			Seed:         c.Int64("seed"),
			Connectors:   c.Int("connectors"),
			MaxLocales:   c.Int("locales"),
			TenantName:   c.String("tenant-name"),
			ClientID:     c.String("client-id"),
			ClientSecret: c.String("client-secret"),
			TokenTTL:     c.Duration("token-ttl"),
			Latency:      c.Duration("latency"),
			Faults:       faults,
			Variants:     variants,
			Scopes:       c.StringSlice("scopes"),
		},
	}
	if rate.Requests > 0 {
		o.Sim.RateLimit, o.Sim.RateWindow = rate.Requests, rate.Per
	}
	return o, nil
}

func simCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "sim",
		Usage:     "serve a simulated ISC tenant until interrupted",
		UsageText: "connvault sim [--connectors 25] [--seed 1] [--rate-limit 100/10s] [--faults SPEC] [--variant SPEC]",
		Description: "Prints SAIL_BASE_URL, SAIL_CLIENT_ID and SAIL_CLIENT_SECRET as its first three lines,\n" +
			"so that connvault or any ISC client can be pointed at it. /_sim/stats and /_sim/tenant\n" +
			"show request statistics and the whole tenant.",
		Flags: simFlags(),
		Action: func(ctx context.Context, c *cli.Command) error {
			if c.NArg() > 0 {
				return usageErrorf("sim takes no arguments (got %q)", c.Args().Slice())
			}
			o, err := simOptionsFrom(c)
			if err != nil {
				return err
			}
			o.Sim.Logger = e.log
			return runSim(ctx, e, o)
		},
	}
}

func runSim(ctx context.Context, e *env, o simOptions) error {
	sim := tenantsim.New(o.Sim)
	if o.State != "" {
		if err := loadSimState(sim, o.State); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.Addr, err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(e.log.Handler(), slog.LevelDebug)}
	// Listening on every address (0.0.0.0 or ::), the simulator is reached
	// here at loopback, the only plain-http host connvault accepts.
	addr := ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	base := "http://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
	clientID, secret := o.Sim.ClientID, o.Sim.ClientSecret
	if clientID == "" {
		clientID = "sim-client"
	}
	if secret == "" {
		secret = "sim-secret"
	}
	fmt.Fprintf(e.stdout, "SAIL_BASE_URL=%s\nSAIL_CLIENT_ID=%s\nSAIL_CLIENT_SECRET=%s\n", base, clientID, secret)
	// Said at every log level: it tells a user who missed stdout the address.
	fmt.Fprintf(e.line(), "connvault: simulated tenant serving at %s (variants=%s); Ctrl-C stops it\n", base, sim.Variants().String())
	if o.ReadyLine != nil {
		o.ReadyLine(base)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	if o.State != "" {
		if err := saveSimState(sim, o.State); err != nil {
			return err
		}
	}
	return nil
}

func loadSimState(sim *tenantsim.Sim, path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open state: %w", err)
	}
	defer f.Close()
	if err := sim.Load(f); err != nil {
		return fmt.Errorf("load state %s: %w", path, err)
	}
	return nil
}

func saveSimState(sim *tenantsim.Sim, path string) error {
	return atomicfile.Write(path, 0o600, sim.Save)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
