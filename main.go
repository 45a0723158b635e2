// Command connvault backs up, exports and migrates SailPoint Identity Security
// Cloud (ISC) custom connectors between tenants. main only wires the process:
// signals cancel the context, internal/cli runs the command, and its result
// becomes the exit code.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/connvault/connvault/internal/cli"
)

// version is the tool version recorded in bundles; set with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	cli.Version = version
	code := cli.Run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
