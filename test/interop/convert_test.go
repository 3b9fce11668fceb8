package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floe-router/floe/internal/testutil"
)

// TestConvertedConfig converts a Glacier2 property file with floe convert,
// starts floe run with the HCL it wrote, and runs the session and
// session-manager scenarios through it: the converted file must make the
// router behave as the properties do (core/config's round-trip test
// compares the configurations themselves).
func TestConvertedConfig(t *testing.T) {
	requireIce(t)
	floe := floeBinary(t)
	hello, _ := server(t, "A")
	v, manager, managerProc := verifier(t, true)
	dir := t.TempDir()
	var proc *testutil.Process
	var port int
	for attempt := 1; proc == nil; attempt++ {
		proc, port = convertAndRun(t, floe, dir, attempt, v, manager)
	}
	r := &router{proxy: fmt.Sprintf("%s/router:tcp -h 127.0.0.1 -p %d", instanceName, port), port: port, proc: proc}

	res := client(t, r, "session", "--hello", hello, "--user", "alice", "--password", "secret")
	res.want(t, "sayHello", "Hello alice from hello-A")
	res.want(t, "sessionTimeout", 30)
	res.want(t, "acmTimeout", 30)
	if category := res.str(t, "category"); len(category) != 20 {
		t.Errorf("getCategoryForClient returned %q; want 20 characters (server endpoints are configured)", category)
	}

	res = client(t, r, "session-manager", "--user", "alice", "--password", "secret")
	if session := res.str(t, "createSession"); session == "" {
		t.Fatal("createSession returned a null session proxy with a session manager configured")
	}
	res.want(t, "sessionPing", nil)
	res.want(t, "destroySession", nil)
	if _, err := managerProc.WaitLine("SESSION-CREATED alice", 5*time.Second); err != nil {
		t.Error(err)
	}

	denied := client(t, r, "session", "--hello", hello, "--user", "mallory", "--password", "guess")
	denied.wantErr(t, "createSession", "::Glacier2::PermissionDeniedException")
}

// convertAndRun writes a property file for a router on a free port,
// converts it with floe convert, checks the HCL, and starts floe run on it.
// It returns no process when the port was taken meanwhile (attempt may
// then be retried).
func convertAndRun(t *testing.T, floe, dir string, attempt int, v, manager string) (*testutil.Process, int) {
	t.Helper()
	port := testutil.FreePort(t)
	properties := filepath.Join(dir, "config.router")
	src := fmt.Sprintf(`#
# A glacier2router configuration, converted by floe convert.
#

# Where clients connect.
Glacier2.InstanceName=%s
Glacier2.Client.Endpoints=tcp -h 127.0.0.1 -p %d

# Callbacks, and sessions that expire.
Glacier2.Server.Endpoints=%s
Glacier2.SessionTimeout=30   # seconds

# The remote verifier and session manager.
Glacier2.PermissionsVerifier=%s
Glacier2.PermissionsVerifier.InvocationTimeout=10000
Glacier2.SessionManager=%s
Glacier2.Trace.Session=1
Glacier2.Client.ThreadPool.Size=4
`, instanceName, port, serverEndpoints, v, manager)
	if err := os.WriteFile(properties, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	hclFile := filepath.Join(dir, "floe.hcl")
	out, err := exec.Command(floe, "convert", "-o", hclFile, properties).CombinedOutput()
	if err != nil {
		t.Fatalf("floe convert: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Glacier2.Client.ThreadPool.Size' has no HCL equivalent") {
		t.Errorf("floe convert did not warn about the thread pool property:\n%s", out)
	}
	converted, _ := os.ReadFile(hclFile)
	t.Logf("converted:\n%s", converted)
	if out, err := exec.Command(floe, "validate", hclFile).CombinedOutput(); err != nil {
		t.Fatalf("floe validate: %v\n%s", err, out)
	}

	proc := testutil.Start(t, testutil.Options{Name: "floe run", Path: floe, Args: []string{"run", "--config", hclFile}})
	err = proc.WaitPort(port, readyTimeout)
	if err == nil {
		return proc, port
	}
	// Another process may have taken the port since FreePort saw it free.
	if attempt < 3 && strings.Contains(strings.ToLower(proc.Stderr()), "address already in use") {
		proc.Kill()
		return nil, 0
	}
	t.Fatal(err)
	return nil, 0
}
