package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/router"
	"github.com/floe-router/floe/internal/testutil"
	"github.com/hashicorp/go-hclog"
)

// result is one in-process run of the command line.
type result struct {
	code           int
	stdout, stderr string
	served         *config.Config // what serve received, nil if not called
}

// runCLI runs args (program name first) with env as the environment and a
// serve that records its Config and returns serveErr.
func runCLI(t *testing.T, env map[string]string, serveErr error, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	var r result
	c := &cli{
		stdout: &out, stderr: &errOut,
		getenv: func(k string) string { return env[k] },
		serve: func(ctx context.Context, cfg *config.Config, log hclog.Logger) error {
			r.served = cfg
			log.Info("serving")
			return serveErr
		},
	}
	r.code = c.run(context.Background(), args)
	r.stdout, r.stderr = out.String(), errOut.String()
	return r
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDispatch(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		stdout     string // a substring
		stderr     string // a substring
		noStderr   bool
		noteServed bool
	}{
		{args: []string{"floe"}, code: exitUsage, stderr: "Usage: floe <command>"},
		{args: []string{"floe", "help"}, code: exitOK, stdout: "Usage: floe <command>", noStderr: true},
		{args: []string{"floe", "--help"}, code: exitOK, stdout: "validate [--config] FILE..."},
		{args: []string{"floe", "version"}, code: exitOK, stdout: "floe ", noStderr: true},
		{args: []string{"floe", "frobnicate"}, code: exitUsage, stderr: `floe: unknown command "frobnicate"`},
		{args: []string{"floe", "validate"}, code: exitUsage, stderr: "Usage: floe validate [--config] FILE..."},
		{args: []string{"floe", "validate", "--config"}, code: exitUsage, stderr: "--config needs a file"},
		{args: []string{"floe", "validate", "--strict", "floe.hcl"}, code: exitUsage, stderr: "unknown flag --strict"},
		{args: []string{"floe", "run", "extra.hcl"}, code: exitUsage, stderr: `unexpected argument "extra.hcl"`},
		{args: []string{"floe", "run", "--log-level=loud"}, code: exitUsage, stderr: `invalid log level "loud"`},
		{args: []string{"floe", "run", "--bogus"}, code: exitUsage, stderr: "flag provided but not defined: -bogus"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runCLI(t, nil, nil, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) ||
				(tc.noStderr && r.stderr != "") || r.served != nil {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// invalid has mistakes that need no endpoint parsing.
const invalid = `client {
  forward_context = "maybe"
}
filter {
  categories = 7
}
`

func TestValidateReportsEveryMistake(t *testing.T) {
	path := writeFile(t, "floe.hcl", invalid)
	r := runCLI(t, nil, nil, "floe", "validate", path, filepath.Join(t.TempDir(), "missing.hcl"))
	if r.code != exitFailure || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
	want := path + `:1:1: error: Missing client endpoints; The client block needs endpoints: where clients connect, for example endpoints = "tcp -p 4063".
    client {
    ^^^^^^
` + path + `:1:1: error: No authentication configured; Glacier2 requires a permissions verifier or password file: set auth { verifier = "..." } to a Glacier2::PermissionsVerifier proxy, auth { passwords_file = "..." } to a Glacier2 password file, or auth { allow_all = true } for development.
` + path + `:2:21: error: Incorrect attribute value type; Inappropriate value for attribute "forward_context": a bool is required.
      forward_context = "maybe"
                        ^^^^^^^
` + path + `:5:16: error: Incorrect attribute value type; Inappropriate value for attribute "categories": a list of strings required.
      categories = 7
                   ^
`
	if !strings.HasPrefix(r.stderr, want) {
		t.Errorf("stderr:\n%s\nwant it to start with:\n%s", r.stderr, want)
	}
	if !strings.Contains(r.stderr, "missing.hcl: error: Cannot read configuration file; open ") {
		t.Errorf("missing file not reported:\n%s", r.stderr)
	}
}

func TestRunWithBadConfig(t *testing.T) {
	path := writeFile(t, "floe.hcl", invalid)
	r := runCLI(t, nil, nil, "floe", "run", "--config", path)
	if r.code != exitUsage || r.served != nil || !strings.Contains(r.stderr, path+":5:16: error: Incorrect attribute value type") {
		t.Errorf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
}

func TestGlacier2Mode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stdout string
		stderr []string // each a substring, in order
	}{{
		name:   "glacier2router -h",
		args:   []string{"/usr/bin/glacier2router", "-h"},
		stdout: "Usage: /usr/bin/glacier2router [options]",
	}, {
		name:   "glacier2router --version",
		args:   []string{"glacier2router", "--version"},
		stdout: "floe ",
	}, {
		name:   "combined short options",
		args:   []string{"glacier2router", "-vh"},
		stdout: "Usage: glacier2router [options]",
	}, {
		name:   "help wins over a broken configuration, properties before it",
		args:   []string{"glacier2router.exe", "--Ice.Config=/nonexistent", "--help"},
		stdout: "Usage: glacier2router.exe [options]",
	}, {
		name:   "no properties: glacier2router's two refusals, exit 1",
		args:   []string{"glacier2router", "--nowarn"},
		code:   exitFailure,
		stderr: []string{"glacier2router: error: property `Glacier2.Client.Endpoints' is not set\nglacier2router: error: Glacier2 requires a permissions verifier or password file\n"},
	}, {
		name:   "the same from floe glacier2, exit 2",
		args:   []string{"floe", "glacier2"},
		code:   exitUsage,
		stderr: []string{"floe glacier2: error: property `Glacier2.Client.Endpoints' is not set"},
	}, {
		name: "warnings that explain the error come first",
		args: []string{"glacier2router", "--Glacier2.client.endpoints=tcp -p 1"},
		code: exitFailure,
		stderr: []string{
			"glacier2router: warning: unknown property `Glacier2.client.endpoints', ignored; did you mean `Glacier2.Client.Endpoints'?",
			"glacier2router: error: property `Glacier2.Client.Endpoints' is not set",
		},
	}, {
		name:   "--nowarn hides them",
		args:   []string{"glacier2router", "--nowarn", "--Glacier2.client.endpoints=tcp -p 1"},
		code:   exitFailure,
		stderr: []string{"glacier2router: error: property `Glacier2.Client.Endpoints' is not set\nglacier2router: error: Glacier2"},
	}, {
		name:   "invalid option",
		args:   []string{"glacier2router", "--foo"},
		code:   exitFailure,
		stderr: []string{"glacier2router: error: invalid option: `--foo'", "Usage: glacier2router [options]"},
	}, {
		name:   "an option given a value",
		args:   []string{"glacier2router", "--help=1"},
		code:   exitFailure,
		stderr: []string{"glacier2router: error: `help': option does not take an argument"},
	}, {
		name:   "a property of a prefix Ice does not know is an invalid option",
		args:   []string{"glacier2router", "--MyApp.Setting=1"},
		code:   exitFailure,
		stderr: []string{"glacier2router: error: invalid option: `--MyApp.Setting'"},
	}, {
		name:   "floe's own properties are read from the command line too",
		args:   []string{"glacier2router", "--nowarn", "--Floe.BackendConnections=0"},
		code:   exitFailure,
		stderr: []string{"glacier2router: error: property `Glacier2.Client.Endpoints' is not set", "glacier2router: error: property `Floe.BackendConnections' must be between 1 and 64, not 0"},
	}, {
		name:   "stray arguments",
		args:   []string{"glacier2router", "stray"},
		code:   exitFailure,
		stderr: []string{"glacier2router: too many arguments: stray\nUsage:"},
	}, {
		name: "--Ice.Config FILE: a stray argument, explained",
		args: []string{"glacier2router", "--Ice.Config", "config.router"},
		env:  map[string]string{"ICE_CONFIG": "/nonexistent"},
		code: exitFailure,
		stderr: []string{
			"glacier2router: too many arguments: config.router\n",
			`glacier2router: Ice reads "--Ice.Config config.router" as --Ice.Config=1 (the file named by $ICE_CONFIG) and a stray argument; write --Ice.Config=config.router`,
		},
	}, {
		name:   "a missing configuration file",
		args:   []string{"glacier2router", "--Ice.Config=/nonexistent/config.router"},
		code:   exitFailure,
		stderr: []string{"glacier2router: error: ice: cannot load configuration file: open /nonexistent/config.router: no such file or directory"},
	}, {
		name:   "a bare --Ice.Config without ICE_CONFIG",
		args:   []string{"glacier2router", "--Ice.Config"},
		code:   exitFailure,
		stderr: []string{`glacier2router: error: "--Ice.Config" without "=FILE" means Ice.Config=1`, "write --Ice.Config=FILE"},
	}, {
		name:   "daemon options are refused",
		args:   []string{"glacier2router", "--pidfile", "/run/g.pid", "--daemon"},
		code:   exitFailure,
		stderr: []string{"glacier2router: error: --pidfile is not supported: floe does not daemonize"},
	}, {
		name:   "a bad --log-level",
		args:   []string{"floe", "glacier2", "--log-level", "loud"},
		code:   exitUsage,
		stderr: []string{`floe glacier2: error: invalid log level "loud"`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env == nil {
				tc.env = map[string]string{}
			}
			r := runCLI(t, tc.env, nil, tc.args...)
			ok := r.code == tc.code && strings.Contains(r.stdout, tc.stdout) && r.served == nil
			rest := r.stderr
			for _, s := range tc.stderr {
				i := strings.Index(rest, s)
				if i < 0 {
					ok = false
					break
				}
				rest = rest[i+len(s):]
			}
			if tc.stderr == nil && r.stderr != "" {
				ok = false
			}
			if !ok {
				t.Errorf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestIsGlacier2Router(t *testing.T) {
	for name, want := range map[string]bool{
		"glacier2router": true, "/usr/bin/glacier2router": true, `glacier2router.exe`: true,
		"floe": false, "glacier2router2": false, "/opt/glacier2router/floe": false,
	} {
		if got := isGlacier2Router(name); got != want {
			t.Errorf("%s: %v", name, got)
		}
	}
}

// TestBinaryAsGlacier2Router builds the binary, links it as
// glacier2router and checks that the name alone switches it to property
// mode.
func TestBinaryAsGlacier2Router(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "floe")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	link := filepath.Join(dir, "glacier2router")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(link, "-h").Output()
	if err != nil || !strings.Contains(string(out), "Usage: "+link+" [options]") {
		t.Errorf("glacier2router -h: %v\n%s", err, out)
	}
	cmd := exec.Command(link, "--nowarn")
	cmd.Env = []string{}
	out, err = cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitFailure ||
		!strings.Contains(string(out), "glacier2router: error: property `Glacier2.Client.Endpoints' is not set") {
		t.Errorf("glacier2router without properties: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "floe ") {
		t.Errorf("floe version: %v\n%s", err, out)
	}
}

// The Diagnostics example in docs/configuration.md is what floe validate
// prints for its file, so the documentation cannot drift from the messages.
func TestDocumentedDiagnosticsAreCurrent(t *testing.T) {
	blocks := strings.Split(testutil.DocSection(t, "configuration.md", "## Diagnostics"), "```")
	// blocks[1] is "hcl\n<file>", blocks[3] "\n<output>".
	if len(blocks) < 4 || !strings.HasPrefix(blocks[1], "hcl\n") {
		t.Fatal("the Diagnostics section lost its example file and output")
	}
	t.Chdir(t.TempDir())
	if err := os.WriteFile("floe.hcl", []byte(strings.TrimPrefix(blocks[1], "hcl\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, nil, "floe", "validate", "floe.hcl")
	if want := strings.TrimPrefix(blocks[3], "\n"); r.code != exitFailure || r.stderr != want {
		t.Errorf("exit %d, floe validate printed:\n%s\nthe documentation says:\n%s", r.code, r.stderr, want)
	}
}

// A configuration the router refuses for want of anything that
// authenticates is a configuration error for floe run too: exit 2, with
// the diagnostic floe validate prints.
func TestRunReportsNothingAuthenticatesAsAConfigurationError(t *testing.T) {
	path := writeFile(t, "floe.hcl", "client {\n  endpoints = \"tcp -h 127.0.0.1 -p 0\"\n}\nauth {\n  allow_all = true\n}\n")
	r := runCLI(t, nil, router.ErrNoAuthenticator, "floe", "run", "--config", path)
	if r.code != exitUsage || !strings.Contains(r.stderr, path+":1:1: error: No authentication configured; ") {
		t.Errorf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
}
