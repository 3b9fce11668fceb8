package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseScripts(t *testing.T) {
	cfg, diags := Parse([]byte(minimal+`
script "guard" {
  file     = "scripts/guard.lua"
  timeout  = "5ms"
  on_error = "allow"
  deny_as  = "unknown"
}
script "second" {
  file = "scripts/guard.lua"
}
`), "testdata/floe.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := []Script{
		{Name: "guard", File: "testdata/scripts/guard.lua", Timeout: 5 * time.Millisecond, OnErrorAllow: true, DenyAsUnknown: true},
		{Name: "second", File: "testdata/scripts/guard.lua", Timeout: DefaultScriptTimeout},
	}
	if !reflect.DeepEqual(cfg.Scripts, want) {
		t.Errorf("scripts %+v\nwant %+v", cfg.Scripts, want)
	}
}

func TestParseScriptDiagnostics(t *testing.T) {
	_, diags := Parse([]byte(minimal+`script "a" {
  file     = "scripts/missing.lua"
  timeout  = "0s"
  on_error = "ignore"
  deny_as  = "nothing"
}
script "a" {
  file    = "scripts"
  timeout = "soon"
}
script "" {
  timeout = "2m"
}
`), "testdata/floe.hcl")
	var got []string
	for _, d := range diags {
		got = append(got, formatDiagnostic(d, true))
	}
	want := []string{
		"testdata/floe.hcl:9:14: error: Cannot read script; stat testdata/scripts/missing.lua: no such file or directory.",
		`testdata/floe.hcl:10:14: error: Invalid script timeout; timeout must be above zero and at most 1m0s ("0s").`,
		`testdata/floe.hcl:11:14: error: Invalid on_error; on_error is "deny" or "allow", not "ignore".`,
		`testdata/floe.hcl:12:14: error: Invalid deny_as; deny_as is "not_exist" or "unknown", not "nothing".`,
		`testdata/floe.hcl:14:8: error: Duplicate script; A script named "a" is already defined; give each script its own name.`,
		"testdata/floe.hcl:15:13: error: Cannot read script; testdata/scripts is not a regular file.",
		`testdata/floe.hcl:16:13: error: Invalid duration; "soon" is not a duration; write a number and a unit, as "5ms" or "1s".`,
		`testdata/floe.hcl:18:1: error: Missing script file; A script block needs the file of its Lua source, for example file = "scripts/guard.lua".`,
		`testdata/floe.hcl:18:8: error: Empty script name; A script needs a name, as in script "guard" { ... }: logs and metrics use it.`,
		`testdata/floe.hcl:19:13: error: Invalid script timeout; timeout must be above zero and at most 1m0s ("2m").`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
