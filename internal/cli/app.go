// Package cli owns connvault's command line: the urfave/cli app, one file per
// command that reads flags into Options and calls one package function, and the
// rendering of tables, JSON and progress. Exit codes are decided in exitCode.
package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"filippo.io/age"
	"github.com/urfave/cli/v3"

	"github.com/connvault/connvault/importer"
	"github.com/connvault/connvault/internal/tempfile"
	"github.com/connvault/connvault/repository"
	"github.com/connvault/connvault/tenant"
)

// Version is the tool version recorded in bundles; main sets it from its
// -ldflags "-X main.version=…" value before calling Run.
var Version = "0.1.0-dev"

// Exit codes, decided in one place (exitCode).
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitPartial     = 3
	exitChanges     = 4
	exitInterrupted = 130
)

// env is what a command sees of the process: streams and environment, so that
// run is callable in-process from tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	log            *slog.Logger
	status         *statusLine // stderr as logs and the progress bar share it
	stdinCopy      string      // the temporary copy of stdin read as "-", removed by runEnv
	releaseStdin   func()      // removes stdinCopy's directory
	unknownCommand string      // set when urfave/cli found no such command
	identityFile   string      // --identity or $CONNVAULT_AGE_IDENTITY_FILE: age identities for encrypted bundles
	json           bool        // the command runs with --json: stdout holds one JSON document, whatever happens
	command        string      // the command run, named in a --json failure document
}

// input returns the path to read for a bundle argument: arg itself, or for
// "-" a private temporary copy of stdin, so that a bundle can be piped in
// (connvault export --out - | connvault verify -). Stdin is read once: a
// second "-" is a usage error.
func (e *env) input(arg string) (string, error) {
	if arg != "-" {
		return arg, nil
	}
	if e.stdinCopy != "" {
		return "", usageErrorf("%s (-) can be read only once", stdinName)
	}
	if f, ok := e.stdin.(*os.File); ok && isTerminal(f) {
		return "", usageErrorf("- reads a bundle archive from %s, which is a terminal; pipe one in (connvault export --out - | connvault verify -)", stdinName)
	}
	// A locked directory: a run killed, or ended by SIGPIPE, before runEnv
	// removed it leaves it to the next run reading stdin, which removes it.
	dir, release, err := tempfile.Dir("connvault-stdin-*")
	if err != nil {
		return "", fmt.Errorf("copy stdin: %w", err)
	}
	path := filepath.Join(dir, "stdin.tar.gz")
	e.stdinCopy, e.releaseStdin = path, release
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("copy stdin: %w", err)
	}
	n, err := io.Copy(f, e.stdin)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", stdinName, err)
	}
	if n == 0 {
		return "", fmt.Errorf("- reads a bundle archive from %s, which was empty", stdinName)
	}
	return path, nil
}

// stdinName is how messages and errors name a bundle read from "-".
const stdinName = "standard input"

// shown is how messages name the bundle read from path: "standard input"
// for the private copy of stdin (its temporary path means nothing to the
// user), else path itself.
func (e *env) shown(path string) string {
	if e != nil && path != "" && path == e.stdinCopy {
		return stdinName
	}
	return path
}

// stdinRenamed is an error whose message names the private copy of stdin
// as the user knows it, "standard input": the last guard of runEnv, for an
// error from deep inside that names the path it was given.
type stdinRenamed struct {
	err       error
	copy, dir string
}

func (r stdinRenamed) Error() string {
	msg := strings.ReplaceAll(r.err.Error(), r.copy, stdinName)
	return strings.ReplaceAll(msg, r.dir, stdinName)
}

func (r stdinRenamed) Unwrap() error { return r.err }

// withStdout returns a copy of e whose stdout is w: to catch a command's
// JSON document and print it inside another (migrate).
func (e *env) withStdout(w io.Writer) *env {
	c := *e
	c.status, c.stdout = e.line(), w // one status line on stderr, shared
	return &c
}

// line returns stderr as logs and the progress bar share it.
func (e *env) line() *statusLine {
	if e.status == nil {
		e.status = &statusLine{w: e.stderr}
	}
	return e.status
}

// identities reads the age identities of --identity (or the file the
// environment names); none when neither is given.
func (e *env) identities() ([]age.Identity, error) {
	if e == nil || e.identityFile == "" {
		return nil, nil
	}
	return repository.Identities(e.identityFile)
}

// Run runs connvault with args (args[0] is the program name) and returns the
// process exit code: 0 ok, 1 error, 2 usage, 3 partial, 4 changes present,
// 130 interrupted.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(ctx, args, stdin, stdout, stderr)
}

// run runs connvault with args and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runEnv(ctx, args, &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv})
}

func runEnv(ctx context.Context, args []string, e *env) int {
	stdout := &stdoutWriter{Writer: e.stdout}
	e.stdout = stdout
	app := newApp(e)
	err := app.Run(ctx, args)
	if e.stdinCopy != "" {
		e.releaseStdin()
		if err != nil {
			err = stdinRenamed{err: err, copy: e.stdinCopy, dir: filepath.Dir(e.stdinCopy)}
		}
	}
	if err == nil && e.unknownCommand != "" {
		err = usageErrorf("unknown command %q (see connvault --help)", e.unknownCommand)
	}
	code := exitCode(ctx, err)
	var msg string
	switch {
	case err == nil || code == exitChanges || errors.Is(err, errQuiet):
	case code == exitInterrupted && errors.Is(err, errCancelledAtPrompt):
		msg = errCancelledAtPrompt.Error()
	case code == exitInterrupted:
		left := "nothing is left half-written: run the same command again to continue"
		if ii := (*interruptedImport)(nil); errors.As(err, &ii) {
			left = ii.left
		}
		msg = fmt.Sprintf("interrupted (%s); %s", interruptedWhile(err), left)
	default:
		msg = fmt.Sprintf("%v%s", err, hint(err))
	}
	if msg != "" {
		fmt.Fprintf(e.stderr, "connvault: %s\n", msg)
	}
	if (e.json || code == exitUsage && jsonRequested(args)) && err != nil && !stdout.written {
		// The command stopped before it had a result to print: its
		// document says why, and what the command knew when it stopped
		// (a partial result), so that a script reading stdout always
		// reads one JSON document.
		doc := failedJSON{OK: false, Command: e.command, Error: cmp.Or(msg, err.Error()), ExitCode: code}
		if kr := (*knownResult)(nil); errors.As(err, &kr) {
			doc.Result = kr.result
		}
		_ = writeJSON(stdout, doc)
	}
	return code
}

// failedJSON is what a --json command prints when it stops before it has a
// result: {"ok": false, "command": "import", "error": "…", "exitCode": N},
// as verify --json says "ok": false for a bundle that does not verify, and
// with "result" what the command knew when it stopped: an import's or
// rollback's items so far, run id and undo bundle; the plan it refused.
type failedJSON struct {
	OK       bool   `json:"ok"`
	Command  string `json:"command,omitempty"`
	Error    string `json:"error"`
	ExitCode int    `json:"exitCode"`
	Result   any    `json:"result,omitempty"`
}

// knownResult is an error with what the command knew when it failed, for
// its --json failure document (failedJSON.Result).
type knownResult struct {
	err    error
	result any
}

func (k *knownResult) Error() string { return k.err.Error() }
func (k *knownResult) Unwrap() error { return k.err }

// withResult attaches result to err (nil stays nil).
func withResult(err error, result any) error {
	if err == nil {
		return nil
	}
	return &knownResult{err: err, result: result}
}

// jsonRequested reports whether args ask for --json before any "--": a
// command whose flags did not parse never ran its Action, which records
// --json, but its failure is still one JSON document.
func jsonRequested(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--json", "-json", "--json=true", "-json=true":
			return true
		}
	}
	return false
}

// stdoutWriter is stdout, remembering whether anything was written to it
// (whether a --json command printed its document).
type stdoutWriter struct {
	io.Writer
	written bool
}

func (s *stdoutWriter) Write(p []byte) (int, error) {
	s.written = s.written || len(p) > 0
	return s.Writer.Write(p)
}

// interruptedWhile is err without Go's "context canceled" or "context
// deadline exceeded" tail, which mean nothing to a user: what was being done.
func interruptedWhile(err error) string {
	msg := err.Error()
	for _, c := range []error{context.Canceled, context.DeadlineExceeded} {
		msg = strings.TrimSuffix(strings.TrimSuffix(msg, c.Error()), ": ")
	}
	if msg == "" {
		return "stopped"
	}
	return msg
}

// hint adds what to check to errors whose cause is usually the configuration.
func hint(err error) string {
	var ae *tenant.APIError
	if !errors.As(err, &ae) {
		return ""
	}
	switch {
	case ae.Operation == "getAccessToken" && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusBadRequest):
		return "\nhint: check SAIL_CLIENT_ID and SAIL_CLIENT_SECRET (a personal access token's id and secret), and that SAIL_BASE_URL is https://TENANT.api.identitynow.com with no /v2025 suffix"
	case ae.Operation == "getAccessToken" && ae.Status == http.StatusNotFound:
		return "\nhint: SAIL_BASE_URL should be https://TENANT.api.identitynow.com with no version suffix (or set SAIL_TOKEN_URL)"
	case ae.Status == http.StatusForbidden:
		return "\nhint: the token's user needs ORG_ADMIN, SOURCE_ADMIN or SOURCE_SUBADMIN and the scope idn:connector-config:manage (read for export); SailPoint's own connectors are read-only"
	}
	return ""
}

// errQuiet marks an exit code whose reason was already reported.
var errQuiet = errors.New("already reported")

// exitErr carries an exit code other than 1.
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string { return e.err.Error() }
func (e *exitErr) Unwrap() error { return e.err }

func usageErrorf(format string, a ...any) error {
	return &exitErr{code: exitUsage, err: fmt.Errorf(format, a...)}
}

func exitCode(ctx context.Context, err error) int {
	var ee *exitErr
	var exists *importer.OutputExistsError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &exists):
		return exitUsage // a path to choose again, found before any write
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.Is(err, tenant.ErrWaitTooLong):
		return exitPartial // stopped before --max-wait: a rerun later can succeed
	default:
		return exitError
	}
}

// newApp builds the command tree. Flags may come before or after arguments
// and the global flags (--log-level) after the command, as urfave/cli v3
// parses them; list flags are repeated, never split at commas, since
// connector names and globs may contain commas.
func newApp(e *env) *cli.Command {
	onUsage := func(_ context.Context, c *cli.Command, err error, _ bool) error {
		if c != nil && c.Name != "connvault" {
			e.command = c.Name
		}
		return &exitErr{code: exitUsage, err: err}
	}
	app := &cli.Command{
		Name:      "connvault",
		Usage:     "back up, export and migrate SailPoint ISC custom connectors",
		Version:   Version,
		Reader:    e.stdin,
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "log-level", Value: "warn", Usage: "log level on stderr: debug, info, warn, error"},
			&cli.StringFlag{Name: "identity", Usage: "age identity file that decrypts encrypted bundles and snapshots (default: the file $" + repository.IdentityEnv + " names)"},
		},
		Before: func(ctx context.Context, c *cli.Command) (context.Context, error) {
			level, err := parseLogLevel(c.String("log-level"))
			if err != nil {
				return ctx, err
			}
			e.log = slog.New(slog.NewTextHandler(e.line(), &slog.HandlerOptions{Level: level}))
			e.identityFile = c.String("identity")
			if e.identityFile == "" {
				e.identityFile = e.getenv(repository.IdentityEnv)
			}
			return ctx, nil
		},
		ExitErrHandler:            func(context.Context, *cli.Command, error) {},
		OnUsageError:              onUsage,
		DisableSliceFlagSeparator: true,
		Commands: []*cli.Command{
			exportCommand(e),
			verifyCommand(e),
			inspectCommand(e),
			diffCommand(e),
			transformCommand(e),
			planCommand(e),
			importCommand(e),
			rollbackCommand(e),
			migrateCommand(e),
			spconfigRemapCommand(e),
			simCommand(e),
			demoCommand(e),
			backupCommand(e),
			snapshotsCommand(e),
			pruneCommand(e),
			restoreCommand(e),
		},
		CommandNotFound: func(_ context.Context, _ *cli.Command, name string) {
			e.unknownCommand = name
		},
		// Without a command: help, or a usage error naming what was typed.
		Action: func(_ context.Context, c *cli.Command) error {
			if c.NArg() > 0 {
				return usageErrorf("unknown command %q (see connvault --help)", c.Args().First())
			}
			return cli.ShowRootCommandHelp(c)
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = onUsage
		cmd.DisableSliceFlagSeparator = true
		if act := cmd.Action; act != nil && slices.ContainsFunc(cmd.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), "json") }) {
			cmd.Action = func(ctx context.Context, c *cli.Command) error {
				e.json, e.command = c.Bool("json"), c.Name
				return act(ctx, c)
			}
		}
	}
	return app
}

// logLevels are the values of --log-level, quietest last.
var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

// parseLogLevel reads a --log-level value (any letter case); a usage error
// lists the levels.
func parseLogLevel(s string) (slog.Level, error) {
	level, ok := logLevels[strings.ToLower(strings.TrimSpace(s))]
	if !ok {
		return 0, usageErrorf("--log-level %q: want one of debug, info, warn, error", s)
	}
	return level, nil
}
