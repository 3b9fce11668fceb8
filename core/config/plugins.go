package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Plugin is one `plugin "NAME" { ... }` block: an out-of-process plugin
// that floe starts, supervises and calls at the points it declares.
type Plugin struct {
	// Name is the block's label; logs and metrics name the plugin by it.
	Name string
	// Path is the plugin's executable, resolved against the configuration
	// file's directory.
	Path string
	// SHA256, when set, is the lowercase hex digest the executable must
	// have: floe refuses to start a binary that does not match.
	SHA256 string
	// Timeout bounds each call; zero means the interception chain's
	// default.
	Timeout time.Duration
	// FailOpen is on_error = "allow": while the plugin fails (crashed,
	// restarting, too slow) what it was asked about goes through; the
	// default, on_error = "deny", refuses it.
	FailOpen bool
	// DenyAsUnknown is deny_as = "unknown": a denied request is
	// answered with UnknownException carrying the reason rather than
	// ObjectNotExistException.
	DenyAsUnknown bool
	// Dir is the configuration file's directory, the plugin's working
	// directory: relative paths in its config block are relative to it.
	Dir string
	// Config is the body of the config block (nil when absent), decoded
	// against the schema the plugin declares when floe starts it; its
	// ranges point into the configuration file.
	Config hcl.Body
	// Range is where the plugin block is, for problems with the block as
	// a whole.
	Range hcl.Range
}

var pluginSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "path", Required: true}, {Name: "sha256"}, {Name: "timeout"},
		{Name: "on_error"}, {Name: "deny_as"}},
	Blocks: []hcl.BlockHeaderSchema{{Type: "config"}},
}

// plugin decodes a plugin block into d.cfg.Plugins.
func (d *decoder) plugin(b *hcl.Block) {
	name := b.Labels[0]
	for _, other := range d.cfg.Plugins {
		if other.Name == name {
			d.errorf(b.LabelRanges[0], "Duplicate plugin", "A plugin named %q was already defined at %s; give each plugin block its own name.",
				name, position(other.Range))
			return
		}
	}
	if name == "" {
		d.errorf(b.LabelRanges[0], "Empty plugin name", "A plugin needs a name: logs and metrics use it.")
	}
	content, diags := b.Body.Content(pluginSchema)
	d.diags = append(d.diags, diags...)
	attrs := content.Attributes
	p := Plugin{Name: name, Range: b.DefRange, Dir: filepath.Dir(d.cfg.Source)}
	if s, ok := d.str(attrs["path"]); ok {
		p.Path = d.pluginPath(attrs["path"], s)
	}
	if s, ok := d.str(attrs["sha256"]); ok {
		s = strings.ToLower(strings.TrimSpace(s))
		if raw, err := hex.DecodeString(s); err != nil || len(raw) != 32 {
			d.errorf(attrs["sha256"].Expr.Range(), "Invalid sha256",
				"sha256 is the executable's SHA-256 digest, 64 hexadecimal digits (sha256sum prints it), not %q.", s)
		}
		p.SHA256 = s
	}
	if a := attrs["timeout"]; a != nil {
		if s, ok := d.str(a); ok {
			t, err := time.ParseDuration(s)
			switch {
			case err != nil:
				d.errorf(a.Expr.Range(), "Invalid duration", `%q is not a duration; write a number and a unit, as "50ms".`, s)
			case t <= 0:
				d.errorf(a.Expr.Range(), "Invalid timeout", "timeout must be above zero (%q).", s)
			default:
				p.Timeout = t
			}
		}
	}
	if s, ok := d.str(attrs["on_error"]); ok {
		switch s {
		case "deny":
		case "allow":
			p.FailOpen = true
		default:
			d.errorf(attrs["on_error"].Expr.Range(), "Invalid on_error",
				`on_error is "deny" (refuse what the plugin was asked about while it fails) or "allow" (let it through), not %q.`, s)
		}
	}
	p.DenyAsUnknown = d.denyAs(attrs["deny_as"])
	for i, cb := range content.Blocks {
		if i > 0 {
			d.errorf(cb.DefRange, "Duplicate config block", "The plugin %q already has a config block at %s; put all its settings in one.",
				name, position(content.Blocks[0].DefRange))
			continue
		}
		p.Config = cb.Body
	}
	d.cfg.Plugins = append(d.cfg.Plugins, p)
}

// pluginPath resolves a plugin's path against the configuration's
// directory and checks that it names an executable file.
func (d *decoder) pluginPath(a *hcl.Attribute, s string) string {
	if strings.TrimSpace(s) == "" {
		d.errorf(a.Expr.Range(), "Empty plugin path", "path names the plugin's executable.")
		return ""
	}
	path := s
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(d.cfg.Source), path)
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d.errorf(a.Expr.Range(), "Invalid plugin path", "The plugin's executable %s does not exist.", path)
	case err != nil:
		d.errorf(a.Expr.Range(), "Invalid plugin path", "%v.", err)
	case fi.IsDir() || fi.Mode()&0o111 == 0:
		d.errorf(a.Expr.Range(), "Invalid plugin path", "%s is not an executable file.", path)
	}
	return path
}

// pluginLabel is the schema of a plugin block's header.
var pluginLabel = hcl.BlockHeaderSchema{Type: "plugin", LabelNames: []string{"name"}}

// String describes the plugin for logs.
func (p *Plugin) String() string { return fmt.Sprintf("plugin %q (%s)", p.Name, p.Path) }
