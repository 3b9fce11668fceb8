package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConvert(t *testing.T) {
	props := writeFile(t, "config.router", "# where clients connect\nGlacier2.Client.Endpoints=tcp -h 127.0.0.1 -p 4063\n"+
		"Glacier2.PermissionsVerifier=Glacier2/NullPermissionsVerifier\nGlacier2.Client.ThreadPool.Size=4\n")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string   // contained in stdout
		stderr []string // each contained in stderr
	}{{
		name:   "to standard output, warnings on stderr",
		args:   []string{props},
		code:   exitOK,
		stdout: "client {\n  # where clients connect\n  endpoints = \"tcp -h 127.0.0.1 -p 4063\"\n}\n",
		stderr: []string{
			"floe convert: warning: " + props + ":4: property `Glacier2.Client.ThreadPool.Size' has no HCL equivalent",
			"floe convert: warning: permissions verifier `Glacier2/NullPermissionsVerifier' accepts every user and password",
		},
	}, {
		name:   "a property file that would not start a router",
		args:   []string{writeFile(t, "bad.router", "Glacier2.Client.Endpoints=tcp\n")},
		code:   exitFailure,
		stderr: []string{"floe convert: error: Glacier2 requires a permissions verifier or password file\n"},
	}, {
		name:   "no such file",
		args:   []string{"/nonexistent/config.router"},
		code:   exitFailure,
		stderr: []string{"floe convert: open /nonexistent/config.router: no such file or directory\n"},
	}, {
		name:   "no file",
		code:   exitUsage,
		stderr: []string{"Usage: floe convert [-o FILE] PROPERTIES"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, nil, append([]string{"floe", "convert"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stdout, tc.stdout) {
				t.Errorf("exit %d, stdout:\n%s", r.code, r.stdout)
			}
			for _, s := range tc.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
				}
			}
		})
	}

	t.Run("-o FILE, which floe validate and floe run accept", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "sub", "floe.hcl")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if r := runCLI(t, nil, nil, "floe", "convert", "-o", out, props); r.code != exitOK || r.stdout != "" {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		if r := runCLI(t, nil, nil, "floe", "validate", out); r.code != exitOK {
			t.Errorf("validate: exit %d\n%s", r.code, r.stderr)
		}
		r := runCLI(t, nil, nil, "floe", "run", "--config", out)
		if r.code != exitOK || r.served == nil || !r.served.Auth.AllowAll || r.served.Client.Endpoints != "tcp -h 127.0.0.1 -p 4063" {
			t.Errorf("run: exit %d, served %+v\n%s", r.code, r.served, r.stderr)
		}
	})
}
