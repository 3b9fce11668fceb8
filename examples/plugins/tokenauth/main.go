// Command tokenauth is an example floe plugin, written as any team would
// write its own: an Authenticator that accepts, as the password of
// createSession, a token signed with a shared HMAC key that names the user,
// their roles and an expiry. The session gets the roles as its "roles"
// attribute. It imports only floe's sdk.
//
// Run by floe (see README.md); run by hand, it mints tokens:
//
//	tokenauth mint -key-file token.key -user alice -roles admin,ops -ttl 1h
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/floe-router/floe/sdk"
	"github.com/floe-router/floe/sdk/plugin"
	"github.com/hashicorp/go-hclog"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "mint" {
		os.Exit(mintCommand(os.Args[2:], os.Stdout, os.Stderr))
	}
	plugin.Serve(Plugin())
}

// Plugin declares what the plugin does: where floe calls it and what its
// config block holds.
func Plugin() plugin.Plugin {
	return plugin.Plugin{
		Points: sdk.PointsOf(sdk.Authenticate),
		Schema: sdk.Schema{Attributes: []sdk.Attribute{
			{Name: "key_file", Type: sdk.TypeString, Required: true,
				Description: "the file holding the HMAC key (at least 32 bytes)"},
			{Name: "leeway", Type: sdk.TypeDuration,
				Description: "how long after its expiry a token is still accepted (clock skew; default 0)"},
		}},
		New: newAuthenticator,
	}
}

// settings is the config block, decoded.
type settings struct {
	KeyFile string       `json:"key_file"`
	Leeway  sdk.Duration `json:"leeway"`
}

// Claims are what a token says.
type Claims struct {
	User    string   `json:"sub"`
	Roles   []string `json:"roles"`
	Expires int64    `json:"exp"` // Unix seconds
}

type authenticator struct {
	key    []byte
	leeway time.Duration
	now    func() time.Time
	log    hclog.Logger
}

func newAuthenticator(c sdk.Config, log hclog.Logger) (sdk.Hook, error) {
	var s settings
	if err := c.Decode(&s); err != nil {
		return nil, err
	}
	key, err := readKey(s.KeyFile)
	if err != nil {
		// Reported by floe at the key_file attribute, at its file:line:col.
		return nil, sdk.ConfigErrorf("key_file", "%v", err)
	}
	return &authenticator{key: key, leeway: time.Duration(s.Leeway), now: time.Now, log: log}, nil
}

func readKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key = []byte(strings.TrimSpace(string(key)))
	if len(key) < 32 {
		return nil, errors.New("the key must be at least 32 bytes long")
	}
	return key, nil
}

// Points says where floe calls the hook.
func (a *authenticator) Points() sdk.Points { return sdk.PointsOf(sdk.Authenticate) }

// OnAuthenticate checks the token given as the password. Refuse reasons
// reach the client in PermissionDeniedException.
func (a *authenticator) OnAuthenticate(_ context.Context, r *sdk.AuthRequest) (sdk.AuthResult, error) {
	if r.Secure {
		return sdk.AuthResult{Decision: sdk.Abstain}, nil // a certificate, not a token
	}
	claims, err := verify(a.key, r.Password)
	switch {
	case err != nil:
		a.log.Info("token refused", "user", r.User, "error", err)
		return sdk.AuthResult{Decision: sdk.Refuse, Reason: "invalid token"}, nil
	case claims.User != r.User:
		return sdk.AuthResult{Decision: sdk.Refuse, Reason: "the token is not for " + r.User}, nil
	case a.now().After(time.Unix(claims.Expires, 0).Add(a.leeway)):
		return sdk.AuthResult{Decision: sdk.Refuse, Reason: "token expired"}, nil
	}
	return sdk.AuthResult{Decision: sdk.Allow, Attributes: map[string]string{"roles": strings.Join(claims.Roles, ",")}}, nil
}

var b64 = base64.RawURLEncoding

// Mint makes a token: base64url(JSON claims) "." base64url(HMAC-SHA256).
func Mint(key []byte, c Claims) string {
	payload, _ := json.Marshal(c)
	p := b64.EncodeToString(payload)
	return p + "." + b64.EncodeToString(sign(key, p))
}

func sign(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// verify checks a token's signature and returns its claims.
func verify(key []byte, token string) (*Claims, error) {
	p, s, ok := strings.Cut(token, ".")
	if !ok {
		return nil, errors.New("not a token")
	}
	sig, err := b64.DecodeString(s)
	if err != nil || !hmac.Equal(sig, sign(key, p)) {
		return nil, errors.New("bad signature")
	}
	payload, err := b64.DecodeString(p)
	if err != nil {
		return nil, err
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, err
	}
	if c.User == "" || c.Expires == 0 {
		return nil, errors.New("the token names no user or no expiry")
	}
	return &c, nil
}
