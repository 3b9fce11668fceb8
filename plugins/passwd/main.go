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

	mu      sync.RWMutex
	file    *passwd.File
	modTime time.Time
	size    int64

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
	if err := a.load(); err != nil {
		return nil, sdk.ConfigErrorf("file", "%v", err)
	}
	go a.watch()
	return a, nil
}

// load reads the file if it changed since the last load.
func (a *authenticator) load() error {
	fi, err := os.Stat(a.cfg.File)
	if err != nil {
		return err
	}
	a.mu.RLock()
	same := a.file != nil && fi.ModTime().Equal(a.modTime) && fi.Size() == a.size
	a.mu.RUnlock()
	if same {
		return nil
	}
	f, err := passwd.ParseFile(a.cfg.File)
	if err != nil {
		return err
	}
	a.mu.Lock()
	first := a.file == nil
	a.file, a.modTime, a.size = f, fi.ModTime(), fi.Size()
	a.mu.Unlock()
	if !first {
		a.log.Info("password file reloaded", "file", a.cfg.File, "users", f.Len())
	}
	return nil
}

// watch reloads the file when it changes; a file that no longer parses is
// logged and the previous one kept.
func (a *authenticator) watch() {
	t := time.NewTicker(time.Duration(a.cfg.CheckInterval))
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
			if err := a.load(); err != nil {
				a.log.Error("password file not reloaded; keeping the previous one", "file", a.cfg.File, "error", err)
			}
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
