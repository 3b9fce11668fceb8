package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-router/floe/sdk"
	"github.com/floe-router/floe/sdk/passwd"
	"github.com/floe-router/floe/sdk/sdktest"
)

// writePasswords writes a password file with each user's password hashed
// (few rounds: tests).
func writePasswords(t *testing.T, path string, users map[string]string) {
	t.Helper()
	var lines []string
	for user, password := range users {
		h, err := passwd.HashRounds(password, 1000)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, user+" "+h)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func auth(t *testing.T, p *sdktest.Plugin, user, password string) sdk.AuthResult {
	t.Helper()
	res, err := p.OnAuthenticate(context.Background(), &sdk.AuthRequest{User: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestAuthenticate(t *testing.T) {
	file := filepath.Join(t.TempDir(), "passwords")
	writePasswords(t, file, map[string]string{"alice": "secret", "bob": "hunter2"})
	p := sdktest.Start(t, Plugin(), map[string]any{"file": file})
	for _, tc := range []struct {
		user, password string
		want           sdk.AuthDecision
	}{
		{"alice", "secret", sdk.Allow},
		{"bob", "hunter2", sdk.Allow},
		{"alice", "hunter2", sdk.Refuse},
		{"mallory", "secret", sdk.Refuse},
		{"", "", sdk.Refuse},
	} {
		res := auth(t, p, tc.user, tc.password)
		if res.Decision != tc.want {
			t.Errorf("%s/%s: %v; want %v", tc.user, tc.password, res.Decision, tc.want)
		}
		if tc.want == sdk.Refuse && res.Reason != "permission denied" {
			t.Errorf("%s: reason %q; want Glacier2's", tc.user, res.Reason)
		}
	}
	// Certificates are for another authenticator.
	res, err := p.OnAuthenticate(context.Background(), &sdk.AuthRequest{User: "CN=alice", Secure: true})
	if err != nil || res.Decision != sdk.Abstain {
		t.Errorf("secure: %+v %v; want abstain", res, err)
	}
}

func TestUnknownUserAbstains(t *testing.T) {
	file := filepath.Join(t.TempDir(), "passwords")
	writePasswords(t, file, map[string]string{"alice": "secret"})
	p := sdktest.Start(t, Plugin(), map[string]any{"file": file, "unknown_user": "abstain"})
	if d := auth(t, p, "mallory", "x").Decision; d != sdk.Abstain {
		t.Errorf("unknown user: %v; want abstain", d)
	}
	if d := auth(t, p, "alice", "x").Decision; d != sdk.Refuse {
		t.Errorf("known user, wrong password: %v; want refuse", d)
	}
}

func TestReloadsWhenTheFileChanges(t *testing.T) {
	file := filepath.Join(t.TempDir(), "passwords")
	writePasswords(t, file, map[string]string{"alice": "secret"})
	p := sdktest.Start(t, Plugin(), map[string]any{"file": file, "check_interval": "10ms"})
	if d := auth(t, p, "carol", "new").Decision; d != sdk.Refuse {
		t.Fatalf("carol before: %v", d)
	}
	writePasswords(t, file, map[string]string{"alice": "secret", "carol": "new"})
	waitFor(t, func() bool { return auth(t, p, "carol", "new").Decision == sdk.Allow })
	// A file that no longer parses is not loaded: the last good one stays.
	if err := os.WriteFile(file, []byte("carol\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if d := auth(t, p, "carol", "new").Decision; d != sdk.Allow {
		t.Errorf("after a broken file: %v; want the previous file kept", d)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 3s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		cfg  map[string]any
		path string
		msg  string
	}{
		{map[string]any{}, "file", `the attribute "file" is required`},
		{map[string]any{"file": filepath.Join(dir, "missing")}, "file", "no such file"},
		{map[string]any{"file": dir + "/x", "unknown_user": "ignore"}, "unknown_user", `not "ignore"`},
	} {
		if tc.path == "unknown_user" {
			writePasswords(t, dir+"/x", map[string]string{"a": "b"})
		}
		errs := sdktest.Configure(t, Plugin(), tc.cfg)
		if len(errs) != 1 || errs[0].Path != tc.path || !strings.Contains(errs[0].Message, tc.msg) {
			t.Errorf("%v: errors %v; want one at %s saying %q", tc.cfg, errs, tc.path, tc.msg)
		}
	}
}
