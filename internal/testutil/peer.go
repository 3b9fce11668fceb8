package testutil

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// InCI reports whether the tests run under CI (the CI environment variable
// is a true value such as "true" or "1"). There, a missing peer is a failure.
func InCI() bool {
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}

// RequirePeer stops the test when the external peer described by what is
// missing, which err reports (nil: the peer is there and nothing happens).
// Under CI the test fails, since CI must run against the real peer; elsewhere
// it is skipped, so a developer without the peer installed can still run the
// rest of the suite.
func RequirePeer(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if InCI() {
		t.Fatalf("%s is missing (required under CI=true): %v", what, err)
	}
	t.Skipf("%s is missing: %v (install it, e.g. with `make deps`; under CI=true this is a failure)", what, err)
}

// CheckCommand runs a short command that proves a peer is usable (for
// example `python3 -c "import Ice"`) and returns an error carrying its output
// when it cannot be started, fails, or takes more than 30 seconds.
func CheckCommand(name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		cmdline := strings.Join(append([]string{name}, args...), " ")
		if msg := strings.TrimSpace(string(out)); msg != "" {
			return fmt.Errorf("%s: %w: %s", cmdline, err, msg)
		}
		return fmt.Errorf("%s: %w", cmdline, err)
	}
	return nil
}
