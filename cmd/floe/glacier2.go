package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/ice"
)

// glacier2 is property mode: "floe glacier2 ARGS", or the binary started
// as glacier2router (asRouter). It reads the command line as glacier2router
// does: Ice properties (--Ice.Config=FILES, --Glacier2.Name=Value, ...)
// first, then glacier2router's own options (-h, -v, --nowarn), and refuses
// anything else. prog prefixes messages, as Ice's Service does with
// argv[0]. Failures exit 1 as glacier2router, or 2 (bad configuration) as
// "floe glacier2".
func (c *cli) glacier2(ctx context.Context, prog string, args []string, asRouter bool) int {
	fail := exitUsage
	if asRouter {
		fail = exitFailure
	}
	errorf := func(format string, a ...any) int {
		fmt.Fprintf(c.stderr, "%s: error: %s\n", prog, fmt.Sprintf(format, a...))
		return fail
	}

	var lf logFlags
	var iceArgs, floeArgs, options []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--daemon" || a == "--noclose" || a == "--nochdir" || a == "--pidfile" || strings.HasPrefix(a, "--pidfile="):
			return errorf("%s is not supported: floe does not daemonize; run it in the foreground under systemd or another supervisor", strings.SplitN(a, "=", 2)[0])
		case a == "--log-json":
			lf.json = true
		case a == "--log-level" && i+1 < len(args):
			i++
			lf.level = args[i]
		case strings.HasPrefix(a, "--log-level="):
			lf.level = strings.TrimPrefix(a, "--log-level=")
		case ice.IsPropertyArg(a):
			iceArgs = append(iceArgs, a)
		case strings.HasPrefix(a, "--Floe."):
			// floe's own properties; Ice would leave them to the program.
			floeArgs = append(floeArgs, a)
		default:
			options = append(options, a)
			iceArgs = append(iceArgs, a)
		}
	}
	if err := lf.check(); err != nil {
		return errorf("%v", err)
	}

	// glacier2router's options, read by Ice's Options class.
	opts, positional, err := parseRouterOptions(options)
	if err != nil {
		errorf("%v", err)
		routerUsage(c.stderr, prog)
		return fail
	}
	if opts.help {
		routerUsage(c.stdout, prog)
		return exitOK
	}
	if opts.version {
		fmt.Fprintln(c.stdout, versionLine())
		return exitOK
	}
	if len(positional) > 0 {
		fmt.Fprintf(c.stderr, "%s: too many arguments: %s\n", prog, strings.Join(positional, " "))
		if hint := bareIceConfigHint(args, positional[0]); hint != "" {
			fmt.Fprintf(c.stderr, "%s: %s\n", prog, hint)
		}
		routerUsage(c.stderr, prog)
		return fail
	}

	props, _, err := ice.ParseCommandLine(iceArgs, c.getenv)
	if err != nil {
		return errorf("%v", err)
	}
	for _, a := range floeArgs {
		props.ParseArg(a)
	}
	cfg, err := config.FromProperties(props)
	if err != nil {
		if !opts.nowarn {
			for _, w := range cfg.Warnings {
				fmt.Fprintf(c.stderr, "%s: warning: %s\n", prog, w)
			}
		}
		for _, e := range unjoin(err) {
			errorf("%v", e)
		}
		return fail
	}
	return c.start(ctx, cfg, lf, opts.nowarn)
}

type routerOptions struct {
	help, version, nowarn bool
}

// parseRouterOptions reads glacier2router's options as Ice's Options class
// does: -h/--help, -v/--version, --nowarn; short options may be combined
// (-hv); "--" or "-" ends the options; none takes a value. Anything else
// starting with '-' is an invalid option; the remaining arguments are
// returned (glacier2router refuses them).
func parseRouterOptions(args []string) (routerOptions, []string, error) {
	var o routerOptions
	for i, a := range args {
		switch {
		case a == "--" || a == "-":
			return o, args[i+1:], nil
		case strings.HasPrefix(a, "--"):
			name, _, hasValue := strings.Cut(a[2:], "=")
			switch name {
			case "help":
				o.help = true
			case "version":
				o.version = true
			case "nowarn":
				o.nowarn = true
			default:
				return o, nil, fmt.Errorf("invalid option: `--%s'", name)
			}
			if hasValue {
				return o, nil, fmt.Errorf("`%s': option does not take an argument", name)
			}
		case strings.HasPrefix(a, "-"):
			for _, r := range a[1:] {
				switch r {
				case 'h':
					o.help = true
				case 'v':
					o.version = true
				default:
					return o, nil, fmt.Errorf("invalid option: `-%c'", r)
				}
			}
		default:
			return o, args[i:], nil
		}
	}
	return o, nil, nil
}

// bareIceConfigHint explains "--Ice.Config FILE": Ice reads it as
// Ice.Config=1 and a stray argument FILE.
func bareIceConfigHint(args []string, stray string) string {
	for i, a := range args[:len(args)-1] {
		if a == "--Ice.Config" && args[i+1] == stray {
			return fmt.Sprintf("Ice reads %q as --Ice.Config=1 (the file named by $ICE_CONFIG) and a stray argument; write --Ice.Config=%s", "--Ice.Config "+stray, stray)
		}
	}
	return ""
}

func routerUsage(w io.Writer, prog string) {
	fmt.Fprintf(w, `Usage: %s [options]
Options:
-h, --help           Show this message.
-v, --version        Display the version.
--nowarn             Suppress warnings.
--log-level LEVEL    Log level: trace, debug, info, warn or error (floe).
--log-json           Log JSON lines (floe).

Properties, as Ice reads them (a value never comes from the next argument):
--Ice.Config=FILE[,FILE...]   Load property files, then apply the arguments.
--Glacier2.Name=Value         Set a property; --Glacier2.Name alone means 1.

--daemon, --pidfile, --noclose and --nochdir are not supported: run floe in
the foreground under systemd or another supervisor.
`, prog)
}
