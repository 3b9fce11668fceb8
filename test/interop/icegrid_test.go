package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floe-router/floe/internal/testutil"
)

// IceGrid scenarios: a real registry (icegridregistry from zeroc-icegrid), a
// backend that registers its adapter with it dynamically, and clients that
// name the backend only by adapter id or as a well-known object, so the
// router must resolve them through Ice.Default.Locator.

func init() {
	scenarios = append(scenarios, scenario{"icegrid-locator", func(t *testing.T, e *env) {
		locator := icegridRegistry(t)
		hello, _ := server(t, "G", "--adapter-id", "HelloAdapter", "--well-known", "--Ice.Default.Locator="+locator)
		t.Logf("backend proxy: %s", hello)
		r := e.router(t, props{"Glacier2.PermissionsVerifier": nullVerifier, "Ice.Default.Locator": locator})

		indirect := client(t, r, "session", "--hello", "hello-G@HelloAdapter")
		indirect.want(t, "sayHello", "Hello alice from hello-G")

		wellKnown := client(t, r, "session", "--hello", "hello-G")
		wellKnown.want(t, "sayHello", "Hello alice from hello-G")

		// An adapter the registry does not know: both routers answer with
		// UnknownLocalException naming NotRegisteredException.
		unknown := client(t, r, "session", "--hello", "hello-G@NoSuchAdapter")
		err := unknown.wantErr(t, "sayHello", "::Ice::UnknownLocalException")
		if !strings.Contains(err.Unknown, "NotRegisteredException") {
			t.Errorf("unknown adapter: UnknownLocalException text %q does not name NotRegisteredException", err.Unknown)
		}
	}})
}

// icegridRegistry starts a registry on a free port with dynamic adapter
// registration and an accept-all admin verifier, and returns its locator
// proxy.
func icegridRegistry(t *testing.T) string {
	t.Helper()
	testutil.RequirePeer(t, "icegridregistry (Debian zeroc-icegrid)", testutil.CheckCommand("test", "-x", "/usr/bin/icegridregistry"))
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; ; attempt++ {
		port := testutil.FreePort(t)
		p := testutil.Start(t, testutil.Options{Name: "icegridregistry", Path: "/usr/bin/icegridregistry", Args: []string{
			"--IceGrid.InstanceName=TestGrid",
			fmt.Sprintf("--IceGrid.Registry.Client.Endpoints=tcp -h 127.0.0.1 -p %d", port),
			"--IceGrid.Registry.Server.Endpoints=tcp -h 127.0.0.1",
			"--IceGrid.Registry.Internal.Endpoints=tcp -h 127.0.0.1",
			"--IceGrid.Registry.LMDB.Path=" + filepath.Join(dir, "db"),
			"--IceGrid.Registry.LMDB.MapSize=16",
			"--IceGrid.Registry.DynamicRegistration=1",
			"--IceGrid.Registry.AdminPermissionsVerifier=TestGrid/NullPermissionsVerifier",
			"--IceGrid.Registry.PermissionsVerifier=TestGrid/NullPermissionsVerifier",
			"--Ice.Admin.Enabled=0",
		}})
		err := p.WaitPort(port, readyTimeout)
		if err == nil {
			return fmt.Sprintf("TestGrid/Locator:tcp -h 127.0.0.1 -p %d", port)
		}
		// Another process may have taken the port since FreePort saw it free.
		if attempt < 3 && strings.Contains(strings.ToLower(p.Stderr()), "address already in use") {
			p.Kill()
			continue
		}
		t.Fatal(err)
	}
}
