package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// pluginFile makes an executable file in a temporary directory and returns
// the directory (the configuration goes there too).
func pluginFile(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "floe-plugin-x"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "not-executable"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestParsePlugins(t *testing.T) {
	dir := pluginFile(t)
	src := `client {
  endpoints = "tcp -p 4063"
}
plugin "auth" {
  path     = "floe-plugin-x"
  sha256   = "3F5A000000000000000000000000000000000000000000000000000000000001"
  timeout  = "50ms"
  on_error = "allow"
  deny_as  = "unknown"
  config {
    file = "passwords"
  }
}
plugin "filter" {
  path = "` + filepath.Join(dir, "floe-plugin-x") + `"
}
`
	name := filepath.Join(dir, "floe.hcl")
	cfg, diags := Parse([]byte(src), name)
	if diags.HasErrors() {
		t.Fatal(diagLines(diags))
	}
	if len(cfg.Plugins) != 2 {
		t.Fatalf("%d plugins; want 2", len(cfg.Plugins))
	}
	p := cfg.Plugins[0]
	if p.Config == nil {
		t.Fatal("the config block's body is not kept")
	}
	attrs, _ := p.Config.JustAttributes()
	if a := attrs["file"]; a == nil || a.Range.Start.Line != 11 || a.Range.Filename != name {
		t.Errorf("the config block's attributes lose their positions in the file: %+v", a)
	}
	p.Config, p.Range = nil, hcl.Range{}
	want := Plugin{Name: "auth", Path: filepath.Join(dir, "floe-plugin-x"),
		SHA256:  "3f5a000000000000000000000000000000000000000000000000000000000001",
		Timeout: 50 * time.Millisecond, FailOpen: true, DenyAsUnknown: true, Dir: dir}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("plugin\n got %+v\nwant %+v", p, want)
	}
	if f := cfg.Plugins[1]; f.Name != "filter" || f.Config != nil || f.FailOpen || f.Timeout != 0 {
		t.Errorf("a plugin with defaults decodes as %+v", f)
	}
}

func TestParsePluginDiagnostics(t *testing.T) {
	dir := pluginFile(t)
	src := minimal + `plugin "a" {
  path     = "missing"
  sha256   = "abc"
  timeout  = "0s"
  on_error = "retry"
  deny_as  = "silence"
  config {}
  config {}
}
plugin "a" {
  path = "floe-plugin-x"
}
plugin "b" {
  path = "not-executable"
  frobnicate = true
}
plugin "c" {}
`
	_, diags := Parse([]byte(src), filepath.Join(dir, "test.hcl"))
	got := strings.Split(strings.TrimSuffix(strings.ReplaceAll(diagLines(diags), dir+"/", ""), "\n"), "\n")
	want := []string{
		"test.hcl:9:14: error: Invalid plugin path; The plugin's executable missing does not exist.",
		"test.hcl:10:14: error: Invalid sha256; sha256 is the executable's SHA-256 digest, 64 hexadecimal digits (sha256sum prints it), not \"abc\".",
		"test.hcl:11:14: error: Invalid timeout; timeout must be above zero (\"0s\").",
		"test.hcl:12:14: error: Invalid on_error; on_error is \"deny\" (refuse what the plugin was asked about while it fails) or \"allow\" (let it through), not \"retry\".",
		"test.hcl:13:14: error: Invalid deny_as; deny_as is \"not_exist\" or \"unknown\", not \"silence\".",
		"test.hcl:15:3: error: Duplicate config block; The plugin \"a\" already has a config block at test.hcl:14:3; put all its settings in one.",
		"test.hcl:17:8: error: Duplicate plugin; A plugin named \"a\" was already defined at test.hcl:8:1; give each plugin block its own name.",
		"test.hcl:21:10: error: Invalid plugin path; not-executable is not an executable file.",
		"test.hcl:22:3: error: Unsupported argument; An argument named \"frobnicate\" is not expected here.",
		"test.hcl:24:12: error: Missing required argument; The argument \"path\" is required, but no definition was found.",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("diagnostics\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
