package router

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/ice"
)

// passwords has alice (sha512-crypt) and bob (DES crypt), made with
// mkpasswd; their passwords are secret1 and secret2.
const passwords = "alice $6$rounds=1000$.1iwz2VN/1oqwEh7$ZwZq.qqIu2juelrpPDYEq7ZgyvVWOC6..L4uGaRgE7E3i4Tcuc6VLQT6k3kfl5ToNDYUmYlCsUdyCval1Hx0s0\n" +
	"bob 8ofTQEvgcJGZo\n"

func writePasswords(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "passwords")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNewAuthorizerPasswordFile(t *testing.T) {
	path := writePasswords(t, passwords)
	r := &Router{}
	a, err := newAuthorizer(r, &config.Config{Auth: config.Auth{PasswordsFile: path}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.(*passwordFile); !ok {
		t.Fatalf("authorizer %T; want the password file", a)
	}
	// The verifier wins, as in glacier2router; the file is not even read.
	a, err = newAuthorizer(r, &config.Config{Auth: config.Auth{Verifier: "V:tcp -h 127.0.0.1 -p 1", PasswordsFile: "/nonexistent"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.(remoteVerifier); !ok {
		t.Errorf("authorizer %T with both a verifier and a password file; want the verifier", a)
	}
	// The configuration was checked, but the file may have changed since.
	for _, bad := range []string{filepath.Join(t.TempDir(), "missing"), writePasswords(t, "alice\n")} {
		if a, err := newAuthorizer(r, &config.Config{Auth: config.Auth{PasswordsFile: bad}}); err == nil ||
			!strings.HasPrefix(err.Error(), "router: password file: ") {
			t.Errorf("%s: %v, %v; want an error", bad, a, err)
		}
	}
}

func TestPasswordFileAuthorize(t *testing.T) {
	p, err := newPasswordFile(writePasswords(t, passwords))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user, password string
		ok             bool
	}{
		{"alice", "secret1", true},
		{"alice", "secret2", false},
		{"bob", "secret2", true},
		{"bob", "secret2\x00junk", true}, // crypt(3) reads a C string, as in glacier2router
		{"bob", "secret1", false},
		{"carol", "secret1", false},
	} {
		ok, reason, err := p.Authorize(context.Background(), tc.user, tc.password, nil)
		if ok != tc.ok || reason != "" || err != nil {
			t.Errorf("Authorize(%q, %q) = %v, %q, %v; want %v without reason", tc.user, tc.password, ok, reason, err, tc.ok)
		}
	}

	// A check waits for a free slot only as long as the call may last.
	for range cap(p.slots) {
		p.slots <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if ok, _, err := p.Authorize(ctx, "alice", "secret1", nil); ok || err == nil {
		t.Errorf("Authorize with every slot taken = %v, %v; want an error once the context ends", ok, err)
	}
}

// TestCreateSessionWithPasswordFile checks the reply a client gets: a
// session, or PermissionDeniedException("permission denied"), the reason
// glacier2router gives for a wrong password or an unknown user.
func TestCreateSessionWithPasswordFile(t *testing.T) {
	r := runRouter(t, &config.Config{InstanceName: "Glacier2", Client: config.Client{Endpoints: "tcp -h 127.0.0.1 -p 0"},
		Auth: config.Auth{PasswordsFile: writePasswords(t, passwords)}, MessageSizeMax: 1 << 20})
	for _, tc := range []struct {
		user, password string
		ok             bool
	}{
		{"alice", "secret1", true},
		{"alice", "wrong", false},
		{"nobody", "secret1", false},
	} {
		c := dialRaw(t, r)
		rep := c.call(1, "createSession", func(e *ice.Encoder) { e.WriteString(tc.user); e.WriteString(tc.password) })
		if tc.ok {
			if rep.Status != ice.ReplyOK {
				t.Errorf("%s/%s: %s; want a session", tc.user, tc.password, rep.Status)
			}
			continue
		}
		if rep.Status != ice.ReplyUserException {
			t.Fatalf("%s/%s: %s; want PermissionDeniedException", tc.user, tc.password, rep.Status)
		}
		exc, err := ice.ParseUserException(rep.Payload)
		if err != nil {
			t.Fatal(err)
		}
		reason, err := ice.NewDecoder(exc.Members).String()
		if exc.TypeID != permissionDeniedID || reason != "permission denied" || err != nil {
			t.Errorf("%s/%s: %s(%q), %v; want %s(\"permission denied\")", tc.user, tc.password, exc.TypeID, reason, err, permissionDeniedID)
		}
	}
}
