package config

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Script is a Lua script in the interception chain (a script block):
//
//	script "guard" {
//	  file     = "scripts/guard.lua"   # relative to the configuration file
//	  timeout  = "5ms"                 # the budget of each call
//	  on_error = "deny"                # or "allow": what a failure or timeout means
//	  deny_as  = "not_exist"           # or "unknown": how a denied request is answered
//	}
//
// Scripts run in the order of their blocks. The configuration only checks
// that the file can be read; the Lua engine compiles it.
type Script struct {
	Name string
	// File is the script's path, resolved against the configuration file's
	// directory.
	File string
	// Timeout is the budget of each call; DefaultScriptTimeout when not set.
	Timeout time.Duration
	// OnErrorAllow lets the traffic through when the script fails or runs
	// out of time (on_error = "allow"); by default it is denied.
	OnErrorAllow bool
	// DenyAsUnknown answers a denied request with UnknownException carrying
	// the reason (deny_as = "unknown") instead of ObjectNotExistException.
	DenyAsUnknown bool
}

// Script timeouts.
const (
	DefaultScriptTimeout = 20 * time.Millisecond
	MaxScriptTimeout     = time.Minute
)

var scriptSchema = attributes("file", "timeout", "on_error", "deny_as")

// script reads one script block.
func (d *decoder) script(b *hcl.Block) {
	attrs := d.content(b.Body, scriptSchema)
	s := Script{Name: b.Labels[0], Timeout: DefaultScriptTimeout}
	if s.Name == "" {
		d.errorf(b.LabelRanges[0], "Empty script name", `A script needs a name, as in script "guard" { ... }: logs and metrics use it.`)
	}
	for _, other := range d.cfg.Scripts {
		if other.Name == s.Name && s.Name != "" {
			d.errorf(b.LabelRanges[0], "Duplicate script", "A script named %q is already defined; give each script its own name.", s.Name)
		}
	}
	if a := attrs["file"]; isAbsent(a) {
		d.errorf(b.DefRange, "Missing script file", `A script block needs the file of its Lua source, for example file = "scripts/guard.lua".`)
	} else if path, ok := d.str(a); ok {
		s.File = path
		if !filepath.IsAbs(path) {
			s.File = filepath.Join(filepath.Dir(d.cfg.Source), path)
		}
		if st, err := os.Stat(s.File); err != nil {
			d.errorf(a.Expr.Range(), "Cannot read script", "%v.", err)
		} else if !st.Mode().IsRegular() {
			d.errorf(a.Expr.Range(), "Cannot read script", "%s is not a regular file.", s.File)
		} else if f, err := os.Open(s.File); err != nil {
			d.errorf(a.Expr.Range(), "Cannot read script", "%v.", err)
		} else {
			f.Close()
		}
	}
	if a := attrs["timeout"]; a != nil {
		if str, ok := d.str(a); ok {
			t, err := time.ParseDuration(str)
			switch {
			case err != nil:
				d.errorf(a.Expr.Range(), "Invalid duration", `%q is not a duration; write a number and a unit, as "5ms" or "1s".`, str)
			case t <= 0 || t > MaxScriptTimeout:
				d.errorf(a.Expr.Range(), "Invalid script timeout", "timeout must be above zero and at most %s (%q).", MaxScriptTimeout, str)
			default:
				s.Timeout = t
			}
		}
	}
	s.OnErrorAllow = d.choice(attrs["on_error"], "deny", "allow") == "allow"
	s.DenyAsUnknown = d.denyAs(attrs["deny_as"])
	d.cfg.Scripts = append(d.cfg.Scripts, s)
}

// choice reads a string that must be one of two values; the first is the
// default.
// denyAs reads deny_as, the same for scripts and plugins: "not_exist"
// (the default: ObjectNotExistException, as a Glacier2 filter answers) or
// "unknown" (UnknownException carrying the reason); it reports the latter.
func (d *decoder) denyAs(a *hcl.Attribute) bool {
	return d.choice(a, "not_exist", "unknown") == "unknown"
}

func (d *decoder) choice(a *hcl.Attribute, def, other string) string {
	s, ok := d.str(a)
	switch {
	case !ok:
		return def
	case s == def || s == other:
		return s
	}
	d.errorf(a.Expr.Range(), "Invalid "+a.Name, "%s is %q or %q, not %s.", a.Name, def, other, fmt.Sprintf("%q", s))
	return def
}
