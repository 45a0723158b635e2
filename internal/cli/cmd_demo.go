package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// demoOptions are the flags of `connvault demo`.
type demoOptions struct {
	Dir       string
	Realistic bool
	Rate      tenant.Rate
}

func demoCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "promote connectors from a simulated sandbox to a simulated production, end to end",
		UsageText: "connvault demo [--dir connvault-demo] [--realistic]\n\n" +
			"Starts two simulated tenants in this process, exports the sandbox, plans against\n" +
			"production, imports, verifies, shows that a second plan has no changes, and prints\n" +
			"the scriptName mapping. Touches no real tenant.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: "connvault-demo", Usage: "where the bundle, undo bundle and mapping go"},
			&cli.BoolFlag{Name: "realistic", Usage: "use ISC's real rate limit, 100 requests per 10 s (takes minutes)"},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			if c.NArg() > 0 {
				return usageErrorf("demo takes no arguments (got %q)", c.Args().Slice())
			}
			o := demoOptions{Dir: c.String("dir"), Realistic: c.Bool("realistic"), Rate: tenant.Rate{Requests: 100, Per: time.Second}}
			if o.Realistic {
				o.Rate = tenant.DefaultRate()
			}
			return runDemo(ctx, e, o)
		},
	}
}

// serveSim starts a simulated tenant on a loopback port until ctx ends.
func serveSim(ctx context.Context, opts tenantsim.Options) (*tenantsim.Sim, string, error) {
	sim := tenantsim.New(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	return sim, "http://" + ln.Addr().String(), nil
}

// demoOutputs are the names the demo writes in its directory.
var demoOutputs = []string{"sandbox.tar.gz", "undo-production.tar.gz", "mapping.json", "state"}

func runDemo(ctx context.Context, e *env, o demoOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", o.Dir, err)
	}
	// A previous demo's files belong to simulated tenants that are gone:
	// start afresh (an export refuses another tenant's bundle, an import an
	// existing undo bundle or mapping file). Only the demo's own names.
	for _, name := range demoOutputs {
		if err := os.RemoveAll(filepath.Join(o.Dir, name)); err != nil {
			return fmt.Errorf("remove the previous demo's %s: %w", name, err)
		}
	}
	start := time.Now()
	simRate := func(s *tenantsim.Options) {
		s.RateLimit, s.RateWindow = o.Rate.Requests, o.Rate.Per
	}
	sandboxOpts := tenantsim.Options{Seed: 1, Connectors: 12, MaxLocales: 4, TenantName: "sandbox", ClientID: "sandbox-client", ClientSecret: "sandbox-secret", Logger: e.log}
	prodOpts := tenantsim.Options{Seed: 2, Connectors: 8, MaxLocales: 3, TenantName: "production", ClientID: "prod-client", ClientSecret: "prod-secret", Logger: e.log}
	simRate(&sandboxOpts)
	simRate(&prodOpts)
	sandbox, sandboxURL, err := serveSim(ctx, sandboxOpts)
	if err != nil {
		return err
	}
	prod, prodURL, err := serveSim(ctx, prodOpts)
	if err != nil {
		return err
	}
	out := e.stdout
	fmt.Fprintf(out, "connvault demo: two simulated tenants at a rate limit of %s per client id\n", o.Rate)
	fmt.Fprintf(out, "  sandbox     %s  (%d custom connectors)\n  production  %s  (%d custom connectors)\n\n",
		sandboxURL, countCustom(sandbox.Dump()), prodURL, countCustom(prod.Dump()))

	// The list shows only RELEASED connectors: the others are named, as an
	// administrator would name the ones in development.
	var unlisted []string
	for _, c := range sandbox.Dump().Connectors {
		if !c.BuiltIn && c.Status != "RELEASED" {
			unlisted = append(unlisted, c.ScriptName)
		}
	}
	bundlePath := filepath.Join(o.Dir, "sandbox.tar.gz")
	fmt.Fprintf(out, "1. Export the sandbox to %s (%d unlisted connectors named with --script-name)\n", bundlePath, len(unlisted))
	sum, err := runExport(ctx, e, exportOptions{
		Out:    bundlePath,
		JSON:   true,
		Tenant: tenant.Options{BaseURL: sandboxURL, ClientID: sandboxOpts.ClientID, ClientSecret: sandboxOpts.ClientSecret, Rate: o.Rate, Logger: e.log},
		Export: export.Options{ScriptNames: unlisted, Logger: e.log},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %d connectors, %d files, %d bytes, %d requests in %s; content digest %s\n\n", sum.Connectors, sum.Files, sum.Bytes, sum.Requests, sum.Duration, sum.ContentDigest)

	fmt.Fprintf(out, "2. Verify the bundle\n")
	m, err := bundle.Verify(ctx, bundlePath, bundle.ReadOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   ok: %d connectors, every hash checked\n\n", len(m.Connectors))

	prodTenant := tenant.Options{BaseURL: prodURL, ClientID: prodOpts.ClientID, ClientSecret: prodOpts.ClientSecret, Rate: o.Rate, Logger: e.log}
	io := importOptions{
		Bundle: bundlePath, Tenant: prodTenant, Yes: true,
		Importer: importer.Options{Concurrency: 4, StateDir: filepath.Join(o.Dir, "state"), ToolVersion: Version, Logger: e.log,
			UndoPath: filepath.Join(o.Dir, "undo-production.tar.gz"), MappingPath: filepath.Join(o.Dir, "mapping.json")},
	}
	// Production, too, has connectors the list does not show. An administrator
	// names those that carry a sandbox connector's name in a mapping file, so
	// that the import updates them instead of trying to create a duplicate.
	io.Importer.Mapping = unlistedNameMatches(sandbox.Dump(), prod.Dump())
	fmt.Fprintf(out, "3. Plan the import into production")
	if n := len(io.Importer.Mapping); n > 0 {
		fmt.Fprintf(out, " (%d unlisted production connectors mapped by name, as with --map)", n)
	}
	fmt.Fprintf(out, "\n\n")
	p, err := prepare(ctx, e, io)
	if err != nil {
		return err
	}
	defer p.close()
	p.plan.WriteTable(out)

	fmt.Fprintf(out, "\n4. Import (undo bundle first, then writes, each read back)\n\n")
	prod.ResetStats()
	res, err := importer.Apply(ctx, p.client, p.src, p.plan, io.Importer)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	res.WriteTable(out)
	if n := res.Failed(); n > 0 {
		return &exitErr{code: exitPartial, err: fmt.Errorf("%d connectors failed to import", n)}
	}
	fmt.Fprintf(out, "   %d requests (%d writes)\n\n", res.Requests, res.Writes)

	fmt.Fprintf(out, "5. Plan again: production now matches the bundle\n\n")
	p2, err := prepare(ctx, e, io)
	if err != nil {
		return err
	}
	defer p2.close()
	p2.plan.WriteTable(out)
	if p2.plan.HasChanges() {
		return fmt.Errorf("demo: the second plan still has changes; the import did not converge")
	}

	fmt.Fprintf(out, "\n6. The scriptName mapping (sources' connectorScriptName needs the target's):\n\n")
	mapping, err := importer.LoadMappingFile(io.Importer.MappingPath)
	if err != nil {
		return err
	}
	for _, me := range mapping.Entries {
		fmt.Fprintf(out, "   %-32s %-40s → %s\n", me.Name, me.SourceScriptName, me.TargetScriptName)
	}
	fmt.Fprintf(out, "\nDone in %s. Files are in %s/. Against a real tenant, next:\n", time.Since(start).Round(time.Millisecond), o.Dir)
	fmt.Fprintf(out, "  export SAIL_BASE_URL=https://TENANT.api.identitynow.com SAIL_CLIENT_ID=… SAIL_CLIENT_SECRET_FILE=~/.sail/secret\n")
	fmt.Fprintf(out, "  connvault export --out backup.tar.gz && connvault verify backup.tar.gz\n")
	fmt.Fprintf(out, "  connvault plan --out plan.json backup.tar.gz   # against the target tenant's SAIL_* settings\n")
	fmt.Fprintf(out, "  connvault import plan.json\n")
	return nil
}

// unlistedNameMatches maps sandbox scriptNames to those of production's
// unlisted connectors of the same name.
func unlistedNameMatches(sandbox, prod tenantsim.Dump) map[string]string {
	hidden := map[string]string{}
	for _, c := range prod.Connectors {
		if !c.BuiltIn && c.Status != "RELEASED" {
			hidden[glob.NameKey(c.Name)] = c.ScriptName
		}
	}
	m := map[string]string{}
	for _, c := range sandbox.Connectors {
		if sn, ok := hidden[glob.NameKey(c.Name)]; ok && !c.BuiltIn {
			m[c.ScriptName] = sn
		}
	}
	return m
}

func countCustom(d tenantsim.Dump) int {
	n := 0
	for _, c := range d.Connectors {
		if !c.BuiltIn {
			n++
		}
	}
	return n
}
