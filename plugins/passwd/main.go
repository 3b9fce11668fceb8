// Command floe-plugin-passwd is floe's password file plugin: an
// Authenticator that checks createSession's user and password against a
// Glacier2 password file (every Glacier2.CryptPasswords format: sha512-,
// sha256- and md5-crypt, DES crypt, passlib PBKDF2), and reloads the file
// when it changes.
//
//	plugin "passwd" {
//	  path = "bin/floe-plugin-passwd"
//	  config {
//	    file = "passwords"        # relative to the configuration's directory
//	  }
//	}
//
// Like every floe plugin it imports only floe's sdk/.
package main

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/floe-router/floe/sdk"
	"github.com/floe-router/floe/sdk/passwd"
	"github.com/floe-router/floe/sdk/plugin"
	"github.com/hashicorp/go-hclog"
)

func main() { plugin.Serve(Plugin()) }

// Plugin is the plugin's declaration.
func Plugin() plugin.Plugin {
	return plugin.Plugin{
		Points: sdk.PointsOf(sdk.Authenticate),
		Schema: sdk.Schema{Attributes: []sdk.Attribute{
			{Name: "file", Type: sdk.TypeString, Required: true,
				Description: "the password file, relative to floe's configuration file"},
			{Name: "unknown_user", Type: sdk.TypeString,
				Description: `"refuse" (the default, as Glacier2) or "abstain": let the next authenticator decide about users not in the file`},
			{Name: "check_interval", Type: sdk.TypeDuration,
				Description: "how often the file is checked for changes (default 1s)"},
		}},
		New: newAuthenticator,
	}
}

type settings struct {
	File          string       `json:"file"`
	UnknownUser   string       `json:"unknown_user"`
	CheckInterval sdk.Duration `json:"check_interval"`
}

// authenticator checks passwords against the file as it is now.
type authenticator struct {
	cfg     settings
	abstain bool
	log     hclog.Logger

	mu     sync.RWMutex
	file   *passwd.File
	loaded version

	stop chan struct{}
	once sync.Once
}

func newAuthenticator(c sdk.Config, log hclog.Logger) (sdk.Hook, error) {
	a := &authenticator{log: log, stop: make(chan struct{})}
	if err := c.Decode(&a.cfg); err != nil {
		return nil, err
	}
	switch a.cfg.UnknownUser {
	case "", "refuse":
	case "abstain":
		a.abstain = true
	default:
		return nil, sdk.ConfigErrorf("unknown_user", `unknown_user is "refuse" or "abstain", not %q`, a.cfg.UnknownUser)
	}
	if a.cfg.CheckInterval <= 0 {
		a.cfg.CheckInterval = sdk.Duration(time.Second)
	}
	v, err := stat(a.cfg.File)
	if err == nil {
		err = a.load(v)
	}
	if err != nil {
		return nil, sdk.ConfigErrorf("file", "%v", err)
	}
	go a.watch()
	return a, nil
}

// version identifies a state of the file.
type version struct {
	modTime time.Time
	size    int64
}

func stat(path string) (version, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return version{}, err
	}
	return version{fi.ModTime(), fi.Size()}, nil
}

// load reads the file.
func (a *authenticator) load(v version) error {
	f, err := passwd.ParseFile(a.cfg.File)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.file, a.loaded = f, v
	a.mu.Unlock()
	return nil
}

// watch reloads the file once a change has stayed the same for a whole
// check interval (so a file being written is not read half-way); a file
// that does not parse is logged once and the previous one kept.
func (a *authenticator) watch() {
	t := time.NewTicker(time.Duration(a.cfg.CheckInterval))
	defer t.Stop()
	var pending, failed version
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
		}
		v, err := stat(a.cfg.File)
		a.mu.RLock()
		loaded := a.loaded
		a.mu.RUnlock()
		switch {
		case err != nil:
			if failed != (version{}) {
				continue
			}
			failed = version{modTime: time.Unix(0, 1)}
			a.log.Error("password file unreadable; keeping the previous one", "file", a.cfg.File, "error", err)
		case v == loaded || v == failed:
		case v != pending:
			pending = v // changed: wait until it stays so
		default:
			if err := a.load(v); err != nil {
				failed = v
				a.log.Error("password file not reloaded; keeping the previous one", "file", a.cfg.File, "error", err)
				continue
			}
			failed = version{}
			a.log.Info("password file reloaded", "file", a.cfg.File, "users", a.file.Len())
		}
	}
}

// Close stops watching (floe reconfigured the plugin).
func (a *authenticator) Close() error {
	a.once.Do(func() { close(a.stop) })
	return nil
}

func (a *authenticator) Points() sdk.Points { return sdk.PointsOf(sdk.Authenticate) }

// refused is Glacier2's reason, whatever went wrong: the client learns
// nothing about which users exist.
const refused = "permission denied"

func (a *authenticator) OnAuthenticate(_ context.Context, r *sdk.AuthRequest) (sdk.AuthResult, error) {
	if r.Secure {
		return sdk.AuthResult{Decision: sdk.Abstain}, nil // certificates are not ours to judge
	}
	a.mu.RLock()
	f := a.file
	a.mu.RUnlock()
	if f == nil {
		return sdk.AuthResult{}, errors.New("no password file loaded")
	}
	if _, known := f.Lookup(r.User); !known && a.abstain {
		return sdk.AuthResult{Decision: sdk.Abstain}, nil
	}
	// Verify takes as long for an unknown user as for a wrong password.
	if !f.Verify(r.User, r.Password) {
		return sdk.AuthResult{Decision: sdk.Refuse, Reason: refused}, nil
	}
	return sdk.AuthResult{Decision: sdk.Allow}, nil
}
