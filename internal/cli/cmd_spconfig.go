package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/internal/atomicfile"
	"github.com/connvault/connvault/spconfig"
)

// maxSPConfigBytes bounds the SP-Config document read into memory.
const maxSPConfigBytes = 256 << 20

func spconfigRemapCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "spconfig-remap",
		Usage:     "rewrite connector scriptNames (connectorScriptName, …) in an SP-Config export with a mapping file, to recreate sources by SP-Config import",
		UsageText: "connvault spconfig-remap --map mapping.json IN.json OUT.json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "map", Usage: "mapping file (source scriptName → target scriptName), as an import writes it (required)"},
			&cli.BoolFlag{Name: "json", Usage: "print the rewrites as JSON on stdout"},
		},
		Action: func(_ context.Context, c *cli.Command) error {
			if c.NArg() != 2 {
				return usageErrorf("spconfig-remap takes IN.json and OUT.json, got %d arguments", c.NArg())
			}
			if c.String("map") == "" {
				return usageErrorf("spconfig-remap needs --map mapping.json (the mapping file an import wrote)")
			}
			in, out := c.Args().Get(0), c.Args().Get(1)
			if err := refuseOverInput("OUT.json", out, in, c.String("map")); err != nil {
				return err
			}
			if err := checkWritable("OUT.json", out, false); err != nil {
				return err
			}
			m, err := importer.LoadMapping(c.String("map"))
			if err != nil {
				return err
			}
			fi, err := os.Stat(in)
			if err != nil {
				return fmt.Errorf("read %s: %w", in, err)
			}
			if fi.Size() > maxSPConfigBytes {
				return fmt.Errorf("read %s: %d bytes, more than the %d this command reads", in, fi.Size(), maxSPConfigBytes)
			}
			doc, err := os.ReadFile(in)
			if err != nil {
				return fmt.Errorf("read %s: %w", in, err)
			}
			res, err := spconfig.Remap(doc, m)
			if err != nil {
				return fmt.Errorf("%s: %w", in, err)
			}
			if err := atomicfile.WriteBytes(out, 0o600, res.Document); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			if c.Bool("json") {
				return writeJSON(e.stdout, map[string]any{"in": in, "out": out, "rewrites": orEmpty(res.Rewrites), "unmapped": orEmpty(res.Unmapped)})
			}
			for _, w := range res.Rewrites {
				fmt.Fprintf(e.stdout, "rewrote %s %s: %s → %s\n", w.Object, w.Path, w.From, w.To)
			}
			for _, w := range res.Unmapped {
				fmt.Fprintf(e.stdout, "kept %s %s: %s (not in the mapping)\n", w.Object, w.Path, w.From)
			}
			fmt.Fprintf(e.stdout, "%d rewrites, %d references not in the mapping; wrote %s\n", len(res.Rewrites), len(res.Unmapped), out)
			return nil
		},
	}
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
