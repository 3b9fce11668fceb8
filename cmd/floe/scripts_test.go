package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/sdk"
	"github.com/hashicorp/go-hclog"
)

// scriptConfig writes a configuration with one script, whose source is
// src, and returns its path and the script's.
func scriptConfig(t *testing.T, src string) (cfgPath, luaPath string) {
	t.Helper()
	dir := t.TempDir()
	luaPath = filepath.Join(dir, "guard.lua")
	if err := os.WriteFile(luaPath, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath = filepath.Join(dir, "floe.hcl")
	body := "client {\n  endpoints = \"tcp -p 4063\"\n}\nauth {\n  allow_all = true\n}\nscript \"guard\" {\n  file = \"guard.lua\"\n  timeout = \"50ms\"\n}\n"
	if err := os.WriteFile(cfgPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, luaPath
}

func TestValidateCompilesScripts(t *testing.T) {
	cfg, lua := scriptConfig(t, "function on_request(req)\n  if req.operation = \"x\" then\n  end\nend\n")
	r := runCLI(t, nil, nil, "floe", "validate", cfg)
	want := lua + ":2:20: error: Invalid script \"guard\"; syntax error near '='\n" +
		"      if req.operation = \"x\" then\n" +
		"                       ^\n"
	if r.code != exitFailure || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d\nstderr:\n%s\nwant:\n%s", r.code, r.stderr, want)
	}
	cfg, lua = scriptConfig(t, "local x = nil\nlocal y = x.field\n")
	r = runCLI(t, nil, nil, "floe", "validate", cfg)
	if r.code != exitFailure || !strings.Contains(r.stderr, lua+":2:1: error: Invalid script \"guard\"; attempt to index a non-table object(nil) with key 'field'") {
		t.Errorf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	cfg, _ = scriptConfig(t, "function on_request(req) end\n")
	r = runCLI(t, nil, nil, "floe", "validate", cfg)
	if r.code != exitOK || !strings.Contains(r.stdout, cfg+": OK") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// logSink collects log output from several goroutines.
type logSink struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestScriptHotReload: a changed file is loaded (once it stays unchanged
// for a poll interval); a file that no longer compiles leaves the previous
// version running; SIGHUP reloads at once.
func TestScriptHotReload(t *testing.T) {
	old := scriptPollInterval
	scriptPollInterval = 20 * time.Millisecond
	defer func() { scriptPollInterval = old }()

	cfgPath, lua := scriptConfig(t, `function on_request(req) if req.operation == "a" then return deny("a") end end`)
	cfg, diags := config.LoadFile(cfgPath)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var logs logSink
	log := hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Info})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	chain, closeHooks, err := buildHooks(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer closeHooks()
	denies := func(op string) bool {
		return chain.Request(ctx, sdk.Request, (&sdk.RequestFields{Point: sdk.Request, Operation: op}).View()).Deny
	}
	eventually := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not happen; log:\n%s", what, logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if !denies("a") || denies("b") {
		t.Fatal("the first version does not run")
	}
	write := func(src string) {
		t.Helper()
		if err := os.WriteFile(lua, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`function on_request(req) if req.operation == "b" then return deny("b") end end`)
	eventually("the edited script taking effect", func() bool { return denies("b") && !denies("a") })

	write("function on_request(req)\n  return deny(\n")
	eventually("the failed reload being logged", func() bool {
		return strings.Contains(logs.String(), "script reload failed") && strings.Contains(logs.String(), lua+":")
	})
	if !denies("b") || denies("a") {
		t.Error("a script that does not compile replaced the running one")
	}

	// SIGHUP reloads even a file whose stamp did not change.
	write(`function on_request(req) if req.operation == "c" then return deny("c") end end`)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually("the reload on SIGHUP", func() bool { return denies("c") })
	if !strings.Contains(logs.String(), "SIGHUP: reloading scripts") {
		t.Errorf("log:\n%s", logs.String())
	}
}

// Without an auth block, a configuration is valid only if a script
// authenticates, as floe run requires.
func TestValidateNeedsSomethingThatAuthenticates(t *testing.T) {
	for _, tc := range []struct {
		name, lua string
		code      int
	}{
		{"a script that authenticates", "function on_authenticate(a) return true end\n", exitOK},
		{"a script that only filters", "function on_request(req) end\n", exitFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "guard.lua"), []byte(tc.lua), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := writeFile(t, "floe.hcl", "client {\n  endpoints = \"tcp -p 4063\"\n}\nscript \"guard\" {\n  file = \""+
				filepath.Join(dir, "guard.lua")+"\"\n}\n")
			r := runCLI(t, nil, nil, "floe", "validate", cfg)
			if r.code != tc.code || (tc.code != exitOK) != strings.Contains(r.stderr, "No authentication configured") {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// floe run reports a script that does not load as floe validate does, as a
// configuration error.
func TestRunReportsABadScriptAsAConfigurationError(t *testing.T) {
	cfg, lua := scriptConfig(t, "function on_request(req)\n  if req.operation = \"x\" then\n  end\nend\n")
	c := &cli{stdout: &strings.Builder{}, stderr: &strings.Builder{}, getenv: func(string) string { return "" }, serve: serve}
	code := c.run(t.Context(), []string{"floe", "run", "--config", cfg})
	stderr := c.stderr.(*strings.Builder).String()
	if code != exitUsage || !strings.Contains(stderr, lua+":2:20: error: Invalid script \"guard\"; syntax error near '='") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
