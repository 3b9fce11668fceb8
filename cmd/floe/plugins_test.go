package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildTestPlugin builds internal/testplugin, a RequestFilter plugin.
func buildTestPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "testplugin")
	if out, err := exec.Command("go", "build", "-o", bin, "../../internal/testplugin").CombinedOutput(); err != nil {
		t.Fatalf("building the test plugin: %v\n%s", err, out)
	}
	return bin
}

func TestValidateChecksPluginConfig(t *testing.T) {
	bin := buildTestPlugin(t)
	good := writeFile(t, "good.hcl", `client {
  endpoints = "tcp -p 4063"
}
auth {
  verifier = "verifier:tcp -p 4064"
}
plugin "guard" {
  path = "`+bin+`"
  config {
    deny_operations = ["shutdown"]
  }
}
`)
	bad := writeFile(t, "bad.hcl", `client {
  endpoints = "tcp -p 4063"
}
auth {
  verifier = "verifier:tcp -p 4064"
}
plugin "guard" {
  path = "`+bin+`"
  config {
    deny_operations = ["shutdown"]
    cache_for       = "a while"
  }
}
`)
	// The guard plugin filters but does not authenticate: without an auth
	// block, floe run would refuse to start, and so does validate.
	noAuth := writeFile(t, "noauth.hcl", `client {
  endpoints = "tcp -p 4063"
}
plugin "guard" {
  path = "`+bin+`"
  config {
    deny_operations = ["shutdown"]
  }
}
`)
	r := runCLI(t, nil, nil, "floe", "validate", good, bad, noAuth)
	if r.code != exitFailure || r.stdout != good+": OK\n" {
		t.Fatalf("exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	want := bad + `:11:23: error: Invalid duration; "a while" is not a duration; write a number and a unit, as "50ms" or "5m".
        cache_for       = "a while"
                          ^^^^^^^^^
` + noAuth + `:1:1: error: No authentication configured; No auth block authenticates and no script or plugin implements authentication: createSession would refuse everyone. Configure auth { ... }, an on_authenticate function or an auth plugin.
`
	if r.stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, want)
	}
}

func TestRunReportsPluginConfigAtItsPosition(t *testing.T) {
	bin := buildTestPlugin(t)
	path := writeFile(t, "floe.hcl", `client {
  endpoints = "tcp -h 127.0.0.1 -p 0"
}
auth {
  allow_all = true
}
plugin "guard" {
  path = "`+bin+`"
  config {
    rule {
      name = "bad"
    }
  }
}
`)
	c := &cli{stdout: &strings.Builder{}, stderr: &strings.Builder{}, getenv: func(string) string { return "" }, serve: serve}
	code := c.run(t.Context(), []string{"floe", "run", "--config", path})
	stderr := c.stderr.(*strings.Builder).String()
	if code != exitUsage || !strings.Contains(stderr, path+`:11:14: error: Invalid plugin configuration; plugin "guard": rule[0].name: a rule may not be named "bad"`) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
