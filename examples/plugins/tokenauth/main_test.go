package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-router/floe/sdk"
	"github.com/floe-router/floe/sdk/sdktest"
)

// The plugin runs in process behind the real plugin protocol (sdktest):
// no floe needed.

var key = []byte("0123456789abcdef0123456789abcdef")

func keyFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token.key")
	if err := os.WriteFile(path, append(key, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func login(t *testing.T, p *sdktest.Plugin, user, password string) sdk.AuthResult {
	t.Helper()
	res, err := p.OnAuthenticate(context.Background(), &sdk.AuthRequest{User: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestTokens(t *testing.T) {
	p := sdktest.Start(t, Plugin(), map[string]any{"key_file": keyFile(t)})
	hour := time.Now().Add(time.Hour).Unix()
	valid := Mint(key, Claims{User: "alice", Roles: []string{"admin", "ops"}, Expires: hour})

	res := login(t, p, "alice", valid)
	if res.Decision != sdk.Allow || res.Attributes["roles"] != "admin,ops" {
		t.Errorf("valid token: %+v; want allowed with roles admin,ops", res)
	}
	for _, tc := range []struct{ name, user, token, reason string }{
		{"expired", "alice", Mint(key, Claims{User: "alice", Expires: time.Now().Add(-time.Minute).Unix()}), "token expired"},
		{"someone else's", "bob", valid, "the token is not for bob"},
		{"other key", "alice", Mint([]byte("another key, just as long as the first"), Claims{User: "alice", Expires: hour}), "invalid token"},
		{"tampered", "alice", strings.Replace(valid, valid[:4], "eyJz", 1) + "x", "invalid token"},
		{"a password", "alice", "secret", "invalid token"},
	} {
		res := login(t, p, tc.user, tc.token)
		if res.Decision != sdk.Refuse || res.Reason != tc.reason {
			t.Errorf("%s: %+v; want refused with %q", tc.name, res, tc.reason)
		}
	}
}

func TestLeeway(t *testing.T) {
	p := sdktest.Start(t, Plugin(), map[string]any{"key_file": keyFile(t), "leeway": "2m"})
	justExpired := Mint(key, Claims{User: "alice", Expires: time.Now().Add(-time.Minute).Unix()})
	if res := login(t, p, "alice", justExpired); res.Decision != sdk.Allow {
		t.Errorf("a token expired a minute ago, 2m leeway: %+v", res)
	}
}

func TestConfig(t *testing.T) {
	short := filepath.Join(t.TempDir(), "short.key")
	if err := os.WriteFile(short, []byte("too short"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cfg  map[string]any
		path string
	}{
		{map[string]any{}, "key_file"},
		{map[string]any{"key_file": short}, "key_file"},
		{map[string]any{"key_file": "/nonexistent"}, "key_file"},
		{map[string]any{"key_file": keyFile(t), "leeway": "soon"}, "leeway"},
	} {
		errs := sdktest.Configure(t, Plugin(), tc.cfg)
		if len(errs) != 1 || errs[0].Path != tc.path {
			t.Errorf("%v: %v; want one error at %s", tc.cfg, errs, tc.path)
		}
	}
}

func TestMintCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := mintCommand([]string{"-key-file", keyFile(t), "-user", "alice", "-roles", "ops"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	c, err := verify(key, strings.TrimSpace(out.String()))
	if err != nil || c.User != "alice" || len(c.Roles) != 1 || c.Roles[0] != "ops" {
		t.Errorf("minted %+v %v", c, err)
	}
}
