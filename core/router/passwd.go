package router

import (
	"context"
	"fmt"
	"runtime"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/sdk/passwd"
)

// passwordFile authorizes users against a Glacier2 password file
// (Glacier2.CryptPasswords, auth.passwords_file), as Glacier2's
// CryptPermissionsVerifier does.
type passwordFile struct {
	file *passwd.File
	// slots bounds the password checks that run at once: one check of a
	// hash with Ice's default rounds takes a CPU for a good fraction of a
	// second, and a burst of logins must not starve the routing of
	// requests. (glacier2router runs its checks one at a time.)
	slots chan struct{}
}

func newPasswordFile(path string) (*passwordFile, error) {
	f, err := passwd.ParseFile(path)
	if err != nil {
		return nil, fmt.Errorf("router: password file: %w", err)
	}
	return &passwordFile{file: f, slots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))}, nil
}

// Authorize denies with an empty reason, as Glacier2's verifier does, which
// the router turns into "permission denied".
func (p *passwordFile) Authorize(ctx context.Context, user, password string, _ ice.Context) (bool, string, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return false, "", fmt.Errorf("password file: waiting to check the password: %w", ctx.Err())
	}
	defer func() { <-p.slots }()
	return p.file.Verify(user, password), "", nil
}
