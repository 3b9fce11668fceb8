package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/hashicorp/go-hclog"
)

// TestCLIWithStringifiedProxyParser holds the command-line tests that
// need a valid configuration, and so core/ice's real ParseEndpoints and
// ParseProxy. It fails until those parsers are implemented.
func TestCLIWithStringifiedProxyParser(t *testing.T) {
	// The file named plainly or with run's --config, in either form.
	for _, args := range [][]string{{"testdata/floe.hcl"}, {"--config", "testdata/floe.hcl"}, {"-config=testdata/floe.hcl"}} {
		t.Run("validate a valid file: "+strings.Join(args, " "), func(t *testing.T) {
			r := runCLI(t, nil, nil, append([]string{"floe", "validate"}, args...)...)
			if r.code != exitOK || r.stdout != "testdata/floe.hcl: OK\n" ||
				!strings.HasPrefix(r.stderr, "testdata/floe.hcl:6:15: warning: Development setting; ") {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}

	t.Run("run with a file", func(t *testing.T) {
		r := runCLI(t, nil, nil, "floe", "run", "--config", "testdata/floe.hcl")
		if r.code != exitOK || r.served == nil || r.served.Source != "testdata/floe.hcl" ||
			!strings.Contains(r.stderr, "[WARN]  floe: testdata/floe.hcl:6:15: Development setting") ||
			!strings.Contains(r.stderr, "[INFO]  floe: serving") {
			t.Errorf("exit %d\nstderr:\n%s", r.code, r.stderr)
		}
	})

	t.Run("run without a file: the embedded default", func(t *testing.T) {
		r := runCLI(t, nil, nil, "floe", "run", "--log-json")
		if r.code != exitOK || r.served == nil || r.served.Source != config.DefaultSource ||
			!strings.Contains(r.stderr, `"@level":"warn"`) || !strings.Contains(r.stderr, "for development only") {
			t.Errorf("exit %d\nstderr:\n%s", r.code, r.stderr)
		}
	})

	t.Run("--log-level overrides the file", func(t *testing.T) {
		r := runCLI(t, nil, nil, "floe", "run", "--config=testdata/floe.hcl", "--log-level=error")
		if r.code != exitOK || r.stderr != "" {
			t.Errorf("exit %d\nstderr:\n%s", r.code, r.stderr)
		}
	})

	t.Run("the router fails", func(t *testing.T) {
		r := runCLI(t, nil, errors.New("listen tcp 127.0.0.1:4063: address already in use"), "floe", "run")
		if r.code != exitFailure || !strings.Contains(r.stderr, "router failed: error=\"listen tcp 127.0.0.1:4063: address already in use\"") {
			t.Errorf("exit %d\nstderr:\n%s", r.code, r.stderr)
		}
	})

	t.Run("a signal is a clean shutdown", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		c := &cli{stdout: &strings.Builder{}, stderr: &strings.Builder{}, getenv: func(string) string { return "" },
			serve: func(ctx context.Context, _ *config.Config, _ hclog.Logger) error {
				time.AfterFunc(10*time.Millisecond, cancel)
				<-ctx.Done()
				return ctx.Err()
			}}
		if code := c.run(ctx, []string{"floe", "run", "--config", "testdata/floe.hcl"}); code != exitOK {
			t.Errorf("exit %d", code)
		}
	})

	t.Run("glacier2router with a configuration file", func(t *testing.T) {
		r := runCLI(t, nil, nil, "glacier2router", "--Ice.Config=testdata/config.router", "--Glacier2.SessionTimeout=30")
		if r.code != exitOK || r.served == nil || !r.served.Auth.AllowAll || r.served.Session.Timeout != 30*time.Second ||
			r.served.Trace.Session != 1 || r.served.Client.ACMHeartbeat != config.HeartbeatAlways ||
			!strings.Contains(r.stderr, "permissions verifier `Glacier2/NullPermissionsVerifier' accepts every user and password") {
			t.Errorf("exit %d\nserved %+v\nstderr:\n%s", r.code, r.served, r.stderr)
		}
	})

	t.Run("glacier2router --nowarn", func(t *testing.T) {
		r := runCLI(t, map[string]string{"ICE_CONFIG": "testdata/config.router"}, nil, "glacier2router", "--nowarn")
		if r.code != exitOK || r.served == nil || strings.Contains(r.stderr, "WARN") {
			t.Errorf("exit %d\nstderr:\n%s", r.code, r.stderr)
		}
	})
}
