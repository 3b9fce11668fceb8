package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-router/floe/core/config"
)

// TestExampleScripts runs floe hooktest on every example of
// examples/scripts: each directory has a floe.hcl and a cases file.
func TestExampleScripts(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "examples", "scripts", "*", "floe.hcl"))
	if err != nil || len(dirs) < 4 {
		t.Fatalf("examples: %v %v", dirs, err)
	}
	for _, cfg := range dirs {
		dir := filepath.Dir(cfg)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cases, _ := filepath.Glob(filepath.Join(dir, "cases.*"))
			if len(cases) == 0 {
				t.Fatal("no cases file")
			}
			r := runCLI(t, nil, nil, append([]string{"floe", "hooktest", "--config", cfg}, cases...)...)
			if r.code != exitOK || !strings.Contains(r.stdout, " passed, 0 failed") {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			t.Log(r.stdout)
		})
	}
}

func TestHooktestReportsFailures(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("s.lua", `function on_request(req) if req.operation == "boom" then error("kaboom") end req.context.x = "1" end`)
	cfg := write("floe.hcl", "client {\n  endpoints = \"tcp -p 4063\"\n}\nauth {\n  allow_all = true\n}\nscript \"s\" {\n  file = \"s.lua\"\n}\n")
	cases := write("cases.hcl", `
case "passes" {
  operation = "read"
  identity = "a"
  expect {
    context = { x = "1" }
  }
}
case "wrong expectation" {
  operation = "read"
  identity = "a"
  expect {
    verdict = "deny"
    context = { x = "2" }
  }
}
case "a script error fails the case" {
  operation = "boom"
  identity = "a"
  expect {
    verdict = "deny"
  }
}
case "unless it is expected" {
  operation = "boom"
  identity = "a"
  expect {
    verdict = "deny"
    reason = "hook s failed"
    failed = true
  }
}
`)
	r := runCLI(t, nil, nil, "floe", "hooktest", "--config", cfg, cases)
	if r.code != exitFailure {
		t.Errorf("exit %d; want %d", r.code, exitFailure)
	}
	for _, want := range []string{
		"ok   passes: request read on a -> allow, context {x=\"1\"}",
		"FAIL wrong expectation",
		"cases.hcl:9: verdict allow; want deny",
		`cases.hcl:9: context x = "1" (present: true); want "2"`,
		"FAIL a script error fails the case",
		"1 hook failure(s)",
		"ok   unless it is expected",
		"2 passed, 2 failed",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "s.lua:1: kaboom") {
		t.Errorf("stderr lacks the script error at its position:\n%s", r.stderr)
	}

	bad := write("bad.hcl", "case \"x\" {\n  point = \"nowhere\"\n  identity = \"a/b/c\"\n}\n")
	r = runCLI(t, nil, nil, "floe", "hooktest", "--config", cfg, bad)
	if r.code != exitUsage || !strings.Contains(r.stderr, "bad.hcl:1:1: error: Invalid point") ||
		!strings.Contains(r.stderr, "Invalid identity") {
		t.Errorf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	r = runCLI(t, nil, nil, "floe", "hooktest", cases)
	if r.code != exitUsage || !strings.Contains(r.stderr, "Usage: floe hooktest") {
		t.Errorf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
}

// A number no field can hold is refused in either syntax (decoding it into
// a string field would take minutes).
func TestCasesRefuseHugeNumbers(t *testing.T) {
	for _, tc := range []struct{ name, src string }{
		{"cases.hcl", "case \"n\" {\n  operation = 1e60333333\n}\n"},
		{"cases.json", `{"case": {"n": {"operation": 1e60333333}}}`},
	} {
		_, diags := parseCases([]byte(tc.src), tc.name)
		if !diags.HasErrors() || diags[0].Summary != "Number out of range" {
			t.Errorf("%s: %v", tc.name, diags)
		}
	}
}

// FuzzParseCases: a case file, in either syntax, gets diagnostics, never a
// crash or a hang.
func FuzzParseCases(f *testing.F) {
	for _, p := range []string{"../../examples/scripts/require-attribute/cases.hcl", "../../examples/scripts/user-context/cases.hcl"} {
		if src, err := os.ReadFile(p); err == nil {
			f.Add(src, false)
		}
	}
	f.Add([]byte(`{"case": {"a": {"operation": "x", "size": 3, "expect": {"verdict": "deny"}}}}`), true)
	f.Add([]byte("case \"n\" {\n  operation = 1e60333333\n}\n"), false)
	f.Add([]byte(`{"case": {"n": {"operation": 1e60333333}}}`), true)
	f.Fuzz(func(t *testing.T, src []byte, isJSON bool) {
		name := "fuzz.hcl"
		if isJSON {
			name = "fuzz.json"
		}
		_, diags := parseCases(src, name)
		_ = config.WriteDiagnostics(&bytes.Buffer{}, diags, map[string][]byte{name: src})
	})
}
