// Command floe is the floe router: a Glacier2-compatible router for ZeroC
// Ice. It reads an HCL configuration (floe run, floe validate) or Glacier2
// properties (floe glacier2, or this binary named glacier2router), builds
// the logger, and hands the resulting config.Config to the router kernel
// (serve); floe convert turns a property file into HCL; floe hashpassword
// writes password file lines. This is where
// floe's pieces are wired together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/router"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
)

// version is floe's version, set at build time with
// -ldflags "-X main.version=v1.2.3"; otherwise the module version.
var version = "dev"

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the router failed, or validate found mistakes
	exitUsage   = 2 // bad command line or bad configuration
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills at once.
		<-ctx.Done()
		stop()
	}()
	c := &cli{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, serve: serve,
		stdin: os.Stdin, terminal: stdinTerminal()}
	stopProfile := startProfile()
	code := c.run(ctx, os.Args)
	stop()
	stopProfile()
	os.Exit(code)
}

// serveFunc runs the router until ctx is cancelled.
type serveFunc func(ctx context.Context, cfg *config.Config, log hclog.Logger) error

// cli is the command line, with its surroundings as fields so tests can
// run it in-process.
type cli struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	serve          serveFunc
	stdin          io.Reader
	terminal       terminal // standard input when it is a terminal, else nil
}

// run dispatches on the program name and the subcommand; args is the whole
// argument vector, program name first. It returns the exit code.
func (c *cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		args = []string{"floe"}
	}
	if isGlacier2Router(args[0]) {
		return c.glacier2(ctx, args[0], args[1:], true)
	}
	if len(args) < 2 {
		c.usage(c.stderr)
		return exitUsage
	}
	switch cmd, rest := args[1], args[2:]; cmd {
	case "run":
		return c.runCommand(ctx, rest)
	case "validate":
		return c.validate(rest)
	case "hooktest":
		return c.hooktest(ctx, rest)
	case "glacier2":
		return c.glacier2(ctx, "floe glacier2", rest, false)
	case "convert":
		return c.convert(rest)
	case "hashpassword":
		return c.hashPassword(rest)
	case "version", "--version", "-v":
		fmt.Fprintln(c.stdout, versionLine())
		return exitOK
	case "help", "--help", "-h":
		c.usage(c.stdout)
		return exitOK
	default:
		fmt.Fprintf(c.stderr, "floe: unknown command %q\n\n", cmd)
		c.usage(c.stderr)
		return exitUsage
	}
}

// isGlacier2Router reports whether the binary was started under the name
// glacier2router (a copy or a link), to behave as a drop-in replacement.
func isGlacier2Router(argv0 string) bool {
	name := strings.TrimSuffix(filepath.Base(argv0), ".exe")
	return name == "glacier2router"
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprint(w, `Usage: floe <command> [arguments]

Commands:
  run [--config FILE] [--log-level LEVEL] [--log-json]
        Start the router with an HCL configuration. Without --config it runs
        the embedded development default: clients on tcp -h 127.0.0.1
        -p 4063, every user and password accepted.
  validate [--config] FILE...
        Check HCL configuration files and print every mistake as
        file:line:col (a script's at its own file:line); print "FILE: OK"
        for a valid one.
  hooktest --config FILE [--log-level LEVEL] CASES...
        Run the request fixtures of the CASES files (HCL or JSON) through
        the configuration's hooks, without network, and print each
        decision; exit 1 when a case does not get what it expects.
  glacier2 [--Ice.Config=FILE[,FILE...]] [--Glacier2.Name=Value...] [--nowarn]
           [--log-level LEVEL] [--log-json]
        Start the router from Glacier2 properties, as glacier2router does.
  convert [-o FILE] PROPERTIES
        Print the HCL equivalent of a Glacier2 property file (or write it to
        FILE), with its comments; what has no HCL equivalent is kept as a
        comment and reported on stderr.
  hashpassword [--rounds N] [USER]
        Print a sha512-crypt hash of a password (asked twice on a terminal,
        else the first line of standard input) for a password file, as
        "USER HASH" when USER is given.
  version
        Print floe's version.
  help
        Print this help.

A binary or link named glacier2router behaves as "floe glacier2".
Log levels: trace, debug, info, warn, error.
Exit status: 0 after a clean shutdown (SIGINT, SIGTERM); 1 when the router
fails or validate finds a mistake; 2 for a bad command line or configuration.
`)
}

func versionLine() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok && v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	return "floe " + v + " (Glacier2 3.7 compatible)"
}

// logFlags are the logging options of run and glacier2.
type logFlags struct {
	level string
	json  bool
}

func (f *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.level, "log-level", "", "log level: trace, debug, info, warn or error (default: the configuration's, else info)")
	fs.BoolVar(&f.json, "log-json", false, "log JSON lines")
}

func (f *logFlags) check() error {
	if f.level != "" && !validLogLevel(f.level) {
		return fmt.Errorf("invalid log level %q: use trace, debug, info, warn or error", f.level)
	}
	return nil
}

func validLogLevel(s string) bool {
	switch strings.ToLower(s) {
	case "trace", "debug", "info", "warn", "error":
		return true
	}
	return false
}

// runCommand is "floe run".
func (c *cli) runCommand(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("floe run", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	path := fs.String("config", "", "HCL configuration `FILE` (default: the embedded development default)")
	var lf logFlags
	lf.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(c.stderr, "floe run: unexpected argument %q (the configuration file goes after --config)\n", fs.Arg(0))
		return exitUsage
	}
	if err := lf.check(); err != nil {
		fmt.Fprintf(c.stderr, "floe run: %v\n", err)
		return exitUsage
	}
	var cfg *config.Config
	if *path == "" {
		var diags hcl.Diagnostics
		if cfg, diags = config.Default(); cfg == nil {
			fmt.Fprintln(c.stderr, "floe run: the embedded default configuration does not decode (a bug in floe):")
			_ = config.WriteDiagnostics(c.stderr, diags, map[string][]byte{})
			return exitFailure
		}
	} else if cfg = c.load(*path, false); cfg == nil {
		return exitUsage
	}
	return c.start(ctx, cfg, lf, false)
}

// load decodes an HCL file and prints its diagnostics: all of them when
// all is set, else only when there is an error (warnings are then logged
// at start, from the Config). cfg is nil when there is an error.
func (c *cli) load(path string, all bool) *config.Config {
	cfg, diags := config.LoadFile(path)
	if all || diags.HasErrors() {
		_ = config.WriteDiagnostics(c.stderr, diags, nil)
	}
	return cfg
}

// validate is "floe validate FILE...".
func (c *cli) validate(args []string) int {
	const usage = "Usage: floe validate [--config] FILE..."
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(c.stdout, usage)
		return exitOK
	}
	// Files are named plainly, or with run's --config, which users type
	// out of habit; any other flag is a mistake, not a file to open.
	var paths []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case !strings.HasPrefix(a, "-") || a == "-":
			paths = append(paths, a)
		case name == "config" && hasValue:
			paths = append(paths, value)
		case name == "config" && i+1 < len(args):
			i++
			paths = append(paths, args[i])
		case name == "config":
			fmt.Fprintf(c.stderr, "floe validate: %s needs a file\n%s\n", a, usage)
			return exitUsage
		default:
			fmt.Fprintf(c.stderr, "floe validate: unknown flag %s\n%s\n", a, usage)
			return exitUsage
		}
	}
	if len(paths) == 0 {
		fmt.Fprintln(c.stderr, usage)
		return exitUsage
	}
	code := exitOK
	for _, path := range paths {
		cfg := c.load(path, true)
		if cfg == nil {
			code = exitFailure
			continue
		}
		if diags := checkHooks(context.Background(), cfg); len(diags) > 0 {
			_ = config.WriteDiagnostics(c.stderr, diags, nil)
			if diags.HasErrors() {
				code = exitFailure
				continue
			}
		}
		fmt.Fprintf(c.stdout, "%s: OK\n", path)
	}
	return code
}

// start builds the logger, logs the configuration's warnings and runs the
// router until ctx is cancelled.
func (c *cli) start(ctx context.Context, cfg *config.Config, lf logFlags, nowarn bool) int {
	level := cfg.Log.Level
	if lf.level != "" {
		level = strings.ToLower(lf.level)
	}
	logger := hclog.New(&hclog.LoggerOptions{
		Name:       "floe",
		Level:      hclog.LevelFromString(level),
		JSONFormat: cfg.Log.JSON || lf.json,
		Output:     c.stderr,
	})
	if !nowarn {
		for _, w := range cfg.Warnings {
			logger.Warn(w)
		}
	}
	logger.Info("starting", "config", cfg.Source, "instance", cfg.InstanceName, "client_endpoints", cfg.Client.Endpoints)
	err := c.serve(ctx, cfg, logger)
	// Mistakes known only once the hooks started (a plugin's config block,
	// a script, nothing that authenticates) are still the configuration's.
	var ce *configError
	switch {
	case errors.As(err, &ce):
		_ = config.WriteDiagnostics(c.stderr, ce.diags, nil)
		return exitUsage
	case errors.Is(err, router.ErrNoAuthenticator):
		_ = config.WriteDiagnostics(c.stderr, hcl.Diagnostics{noAuthDiagnostic(cfg)}, nil)
		return exitUsage
	}
	if err != nil && !(errors.Is(err, context.Canceled) && ctx.Err() != nil) {
		logger.Error("router failed", "error", err)
		return exitFailure
	}
	logger.Info("stopped")
	return exitOK
}
