package interop

import (
	"strings"
	"testing"
)

// Glacier2's static request filters: with a filter configured, a request
// must match one of them or the client gets ObjectNotExistException.

func init() {
	scenarios = append(scenarios, scenario{"identity-filter", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		r := e.router(t, props{
			"Glacier2.PermissionsVerifier":    nullVerifier,
			"Glacier2.Filter.Identity.Accept": "hello-A",
		})
		res := client(t, r, "other", "--hello", hello)
		res.str(t, "other") // hello-A is accepted
		res.wantErr(t, "otherSayHello", "::Ice::ObjectNotExistException")
	}}, scenario{"category-filter-accept-user", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		// The accepted categories include the user's own, which hello-A
		// (no category) is not in.
		r := e.router(t, props{
			"Glacier2.PermissionsVerifier":        nullVerifier,
			"Glacier2.Filter.Category.Accept":     "\"a category\" other",
			"Glacier2.Filter.Category.AcceptUser": "1",
		})
		res := client(t, r, "session", "--hello", hello)
		res.wantErr(t, "sayHello", "::Ice::ObjectNotExistException")
	}})
}

func init() {
	scenarios = append(scenarios, scenario{"session-control-filter", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		proc := startPython(t, "verifier", "verifier.py", false, "--session-manager", "--accept-identity", "hello-A")
		manager := waitProxy(t, proc, "SESSIONMANAGER")
		v := waitProxy(t, proc, "READY")
		r := e.router(t, props{
			"Glacier2.PermissionsVerifier": v,
			"Glacier2.SessionManager":      manager,
			"Glacier2.Server.Endpoints":    serverEndpoints,
			"Glacier2.SessionTimeout":      "42",
		})
		res := client(t, r, "other", "--hello", hello)
		res.str(t, "other") // hello-A, admitted by the session manager
		if err := res.wantErr(t, "otherSayHello", "::Ice::ObjectNotExistException"); !strings.Contains(err.Text, "operation = sayHello") {
			t.Errorf("ObjectNotExistException does not name the operation: %s", err.Text)
		}
		if line, err := proc.WaitLine("SESSION-TIMEOUT ", readyTimeout); err != nil || line != "SESSION-TIMEOUT 42" {
			t.Errorf("SessionControl.getSessionTimeout: %q %v", line, err)
		}
		if line, err := proc.WaitLine("SESSION-IDENTITIES ", readyTimeout); err != nil || line != "SESSION-IDENTITIES ['hello-A']" {
			t.Errorf("IdentitySet.get: %q %v", line, err)
		}
	}})
}

func init() {
	scenarios = append(scenarios, scenario{"category-filter-accepts", func(t *testing.T, e *env) {
		inside, _ := server(t, "A", "--category", "public")
		outside, _ := server(t, "B", "--category", "private")
		r := e.router(t, props{
			"Glacier2.PermissionsVerifier":    nullVerifier,
			"Glacier2.Filter.Category.Accept": "public other",
		})
		client(t, r, "session", "--hello", inside).want(t, "sayHello", "Hello alice from hello-A")
		client(t, r, "session", "--hello", outside).wantErr(t, "sayHello", "::Ice::ObjectNotExistException")
	}}, scenario{"adapter-id-filter", func(t *testing.T, e *env) {
		locator := icegridRegistry(t)
		server(t, "G", "--adapter-id", "HelloAdapter", "--Ice.Default.Locator="+locator)
		server(t, "H", "--adapter-id", "OtherAdapter", "--Ice.Default.Locator="+locator)
		r := e.router(t, props{
			"Glacier2.PermissionsVerifier":     nullVerifier,
			"Ice.Default.Locator":              locator,
			"Glacier2.Filter.AdapterId.Accept": "HelloAdapter",
		})
		client(t, r, "session", "--hello", "hello-G@HelloAdapter").want(t, "sayHello", "Hello alice from hello-G")
		client(t, r, "session", "--hello", "hello-H@OtherAdapter").wantErr(t, "sayHello", "::Ice::ObjectNotExistException")
	}})
}
