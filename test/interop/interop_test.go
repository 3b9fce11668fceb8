package interop

import (
	"strings"
	"testing"
	"time"
)

// The exceptions by which an Ice client learns that the router dropped its
// connection without a reply: Glacier2 closes it forcefully, which the client
// sees as ConnectionLostException; a graceful close would show as
// CloseConnectionException.
var connectionDropped = []string{"::Ice::ConnectionLostException", "::Ice::CloseConnectionException"}

const (
	nullVerifier    = instanceName + "/NullPermissionsVerifier"
	serverEndpoints = "tcp -h 127.0.0.1" // Glacier2.Server.Endpoints: callbacks on an OS-chosen port
	bigMessages     = "4096"             // Ice.MessageSizeMax in KiB, for the 1 MiB echo
)

// scenario is one Glacier2 behaviour, checked against each router kind.
type scenario struct {
	name string
	run  func(t *testing.T, e *env)
}

var scenarios = []scenario{
	{"session", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		r := e.router(t, props{
			"Glacier2.PermissionsVerifier": nullVerifier,
			"Glacier2.SessionTimeout":      "30",
			"Glacier2.Server.Endpoints":    serverEndpoints,
		})
		res := client(t, r, "session", "--hello", hello, "--user", "alice", "--password", "anything")
		res.want(t, "createSession", nil) // no session manager: a null session proxy
		res.want(t, "sayHello", "Hello alice from hello-A")
		res.want(t, "sessionTimeout", 30)
		res.want(t, "acmTimeout", 30) // Glacier2.Client.ACM.Timeout defaults to the session timeout
		// With server endpoints, the category is 20 random characters from '!' to '~'.
		category := res.str(t, "category")
		if len(category) != 20 || strings.IndexFunc(category, func(c rune) bool { return c < '!' || c > '~' }) >= 0 {
			t.Errorf("getCategoryForClient returned %q; want 20 characters in '!'..'~'", category)
		}
	}},
	{"session-defaults", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		r := e.router(t, props{"Glacier2.PermissionsVerifier": nullVerifier})
		res := client(t, r, "session", "--hello", hello)
		res.want(t, "sayHello", "Hello alice from hello-A")
		res.want(t, "sessionTimeout", 0)
		res.want(t, "acmTimeout", 60) // the Ice default server ACM timeout
		res.want(t, "category", "")   // no server endpoints, no callback category
	}},
	{"remote-verifier", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		v, _, _ := verifier(t, false)
		r := e.router(t, props{"Glacier2.PermissionsVerifier": v})

		denied := client(t, r, "session", "--hello", hello, "--user", "mallory", "--password", "guess")
		err := denied.wantErr(t, "createSession", "::Glacier2::PermissionDeniedException")
		if err.Reason != "wrong password for mallory" {
			t.Errorf("PermissionDeniedException reason = %q; want the verifier's %q", err.Reason, "wrong password for mallory")
		}

		allowed := client(t, r, "session", "--hello", hello, "--user", "alice", "--password", "secret")
		allowed.want(t, "createSession", nil)
		allowed.want(t, "sayHello", "Hello alice from hello-A")
	}},
	{"echo-1MiB", func(t *testing.T, e *env) {
		big := "--Ice.MessageSizeMax=" + bigMessages
		hello, _ := server(t, "A", big)
		r := e.router(t, props{"Glacier2.PermissionsVerifier": nullVerifier, "Ice.MessageSizeMax": bigMessages})
		res := client(t, r, "echo", "--hello", hello, "--size", "1048576", big)
		res.want(t, "echoed", map[string]any{"sent": 1 << 20, "received": 1 << 20, "equal": true})
	}},
	{"oneway-and-batch", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		r := e.router(t, props{"Glacier2.PermissionsVerifier": nullVerifier})
		res := client(t, r, "oneway", "--hello", hello, "--count", "5")
		res.want(t, "notes", []string{
			"oneway-0", "oneway-1", "oneway-2", "oneway-3", "oneway-4",
			"batch-0", "batch-1", "batch-2", "batch-3", "batch-4",
		})
	}},
	{"user-exception", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		r := e.router(t, props{"Glacier2.PermissionsVerifier": nullVerifier})
		res := client(t, r, "exception", "--hello", hello)
		err := res.wantErr(t, "fail", "::FloeTest::TestError")
		if err.Reason != "boom" || err.Code != 42 {
			t.Errorf("TestError{reason: %q, code: %d}; want {boom, 42}", err.Reason, err.Code)
		}
	}},
	{"returned-proxy", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		r := e.router(t, props{"Glacier2.PermissionsVerifier": nullVerifier})
		res := client(t, r, "other", "--hello", hello)
		if other := res.str(t, "other"); !strings.HasPrefix(other, "other-A ") {
			t.Errorf("other() returned %q; want the proxy of other-A", other)
		}
		res.want(t, "otherSayHello", "Hello alice from other-A")
	}},
	{"callbacks", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		r := e.router(t, props{"Glacier2.PermissionsVerifier": nullVerifier, "Glacier2.Server.Endpoints": serverEndpoints})
		res := client(t, r, "callback", "--hello", hello, "--count", "3")
		res.want(t, "twoway", []string{"re:call-0", "re:call-1", "re:call-2"})
		res.want(t, "called", []string{"call-0", "call-1", "call-2"})
		res.want(t, "oneway", []string{})
		res.want(t, "notified", []string{"notify-0", "notify-1", "notify-2"})
		// Each twoway callback takes 0.1 to 0.3 s in the client, and the server
		// makes them at once: a router that relays them one at a time would
		// have the client run only one at a time.
		var concurrent int
		res.value(t, "maxConcurrentCalls", &concurrent)
		if concurrent < 2 {
			t.Errorf("the client ran at most %d of the 3 concurrent twoway callbacks at a time; want them relayed concurrently", concurrent)
		}
	}},
	{"request-without-session", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		r := e.router(t, props{"Glacier2.PermissionsVerifier": nullVerifier})
		res := client(t, r, "nosession", "--hello", hello)
		res.wantErr(t, "sayHello", connectionDropped...)
	}},
	{"destroy-session", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		r := e.router(t, props{"Glacier2.PermissionsVerifier": nullVerifier})
		res := client(t, r, "destroy", "--hello", hello)
		res.want(t, "destroySession", nil)
		res.wantErr(t, "destroySessionAgain", "::Glacier2::SessionNotExistException")
		// The connection has no session any more: a routed request drops it.
		res.wantErr(t, "sayHelloAfterDestroy", connectionDropped...)
	}},
	{"idle-session-expires", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		r := e.router(t, props{
			"Glacier2.PermissionsVerifier": nullVerifier,
			"Glacier2.SessionTimeout":      "2",
			"Glacier2.Trace.Session":       "1", // on failure, the log says which sessions expired when
		})
		res := client(t, r, "idle", "--hello", hello, "--idle", "5")
		res.wantErr(t, "idle.sayHelloAfterIdle", connectionDropped...)
		// The session that kept calling every 0.25 s all along is unaffected,
		// unless the machine was too slow for it to call often enough.
		var calls int
		var maxGap float64
		res.value(t, "active.calls", &calls)
		res.value(t, "active.maxGap", &maxGap)
		if calls < 2 {
			t.Fatalf("the active session made %d calls while the other idled; want it calling all along", calls)
		}
		if maxGap >= 1.5 {
			t.Logf("the active client went up to %.1f s without a call (a loaded machine): not judging its session", maxGap)
			return
		}
		res.want(t, "active.errors", []string{})
	}},
	{"backend-down", func(t *testing.T, e *env) {
		down, downProc := server(t, "A")
		up, _ := server(t, "B")
		r := e.router(t, props{"Glacier2.PermissionsVerifier": nullVerifier})
		c := startClient(t, r, "backend-down", true, "--hello", down, "--hello2", up)
		if _, err := c.WaitLine("PAUSE", clientLimit); err != nil {
			t.Fatal(err)
		}
		downProc.Kill()
		if err := c.Send("go"); err != nil {
			t.Fatal(err)
		}
		res := clientResult(t, c)
		for _, user := range []string{"alice", "bob"} {
			res.want(t, user+".before.down", "Hello "+user+" from hello-A")
			res.want(t, user+".after.up", "Hello "+user+" from hello-B")
		}
		res.want(t, "alice.before.up", "Hello alice from hello-B")
		for _, step := range []string{"alice.after.down", "bob.after.down"} {
			err := res.wantErr(t, step, "::Ice::UnknownLocalException")
			// Both routers name the local exception behind the failure:
			// connection refused, or lost when the router still held a
			// connection to the backend as it died.
			if !strings.Contains(err.Unknown, "::Ice::ConnectionRefusedException") &&
				!strings.Contains(err.Unknown, "::Ice::ConnectionLostException") {
				t.Errorf("step %s: UnknownLocalException text %q names neither ConnectionRefusedException nor ConnectionLostException", step, err.Unknown)
			}
			t.Logf("%s: UnknownLocalException.unknown = %q", step, err.Unknown)
		}
	}},
	{"session-manager", func(t *testing.T, e *env) {
		v, manager, managerProc := verifier(t, true)
		r := e.router(t, props{"Glacier2.PermissionsVerifier": v, "Glacier2.SessionManager": manager})
		res := client(t, r, "session-manager", "--user", "alice", "--password", "secret")
		if session := res.str(t, "createSession"); session == "" {
			t.Fatal("createSession returned a null session proxy with a session manager configured")
		}
		if id := res.str(t, "sessionIdentity"); id == "" {
			t.Errorf("the session proxy has an empty identity")
		}
		res.want(t, "sessionPing", nil)
		res.want(t, "sessionDestroy", nil)
		res.want(t, "destroySession", nil)
		// The manager created alice's session; its destroy ran twice: called by
		// the client through the router, then by the router on destroySession.
		for _, line := range []string{"SESSION-CREATED alice", "SESSION-DESTROYED alice", "SESSION-DESTROYED alice"} {
			if _, err := managerProc.WaitLine(line, 5*time.Second); err != nil {
				t.Error(err)
			}
		}
	}},
}

// TestInterop runs every scenario against every router kind, as
// TestInterop/<router>/<scenario>.
func TestInterop(t *testing.T) {
	for _, kind := range routerKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			for _, sc := range scenarios {
				t.Run(sc.name, func(t *testing.T) {
					t.Parallel()
					sc.run(t, newEnv(t, kind))
				})
			}
		})
	}
}
