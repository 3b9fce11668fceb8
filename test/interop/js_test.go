package interop

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/floe-router/floe/internal/testutil"
)

// WebSocket scenarios, each run against glacier2router and floe like the
// others:
//
//   - ws-js: Ice for JavaScript (npm ice 3.7, ../js/client.js under Node.js)
//     reaches the router on a ws client endpoint: session, routed call, a
//     message larger than Ice for JavaScript's 512 KiB send packet (so it
//     arrives as several WebSocket messages), twoway and oneway callbacks to
//     an adapter created with the router, destroySession.
//   - wss-js: the same on a wss client endpoint, with the routers' IceSSL
//     properties (as the ssl scenarios have them) and no client certificate.
//   - wss-secure-session: createSessionFromSecureConnection over wss, from
//     the Python client with a certificate, is refused as Glacier2 3.7
//     refuses it.
//   - ws-python-callbacks: the Python client (Ice's C++ WebSocket transport)
//     through a ws client endpoint, callbacks included.
//   - ws-python-idle, wss-python-idle: a session quiet long enough for floe
//     to park its reader, and one calling all along, over ws and wss.
//   - ws-backend, wss-backend: the router dials a backend that listens on ws
//     (wss), so the router's own WebSocket client meets Ice's WebSocket
//     server.
//
// The JavaScript packages are installed in ../js/node_modules from
// ../js/package-lock.json by .ci/deps (npm ci).

func init() {
	scenarios = append(scenarios,
		scenario{"ws-js", func(t *testing.T, e *env) {
			requireJS(t)
			hello, _ := server(t, "A")
			r := e.wsRouter(t, "ws", props{"Glacier2.PermissionsVerifier": nullVerifier, "Glacier2.Server.Endpoints": serverEndpoints})
			checkJSSession(t, jsClient(t, r, nil, "session", "--hello", hello))
		}},
		scenario{"wss-js", func(t *testing.T, e *env) {
			requireJS(t)
			pki := newSSLPKI(t)
			hello, _ := server(t, "A")
			p := pki.iceSSL(&pki.router)
			// A browser presents no certificate: ask for none.
			maps.Copy(p, props{"IceSSL.VerifyPeer": "0",
				"Glacier2.PermissionsVerifier": nullVerifier, "Glacier2.Server.Endpoints": serverEndpoints})
			r := e.wsRouter(t, "wss", p)
			// Node.js, like a browser, trusts the router's CA only when told.
			checkJSSession(t, jsClient(t, r, []string{"NODE_EXTRA_CA_CERTS=" + pki.router.CA}, "session", "--hello", hello))
		}},
		scenario{"wss-secure-session", func(t *testing.T, e *env) {
			// Glacier2 3.7 takes a client's certificate only from a
			// connection whose info is IceSSL's, and a wss connection's is
			// WebSocket's (IceSSL's is underneath): it refuses
			// createSessionFromSecureConnection there, certificate or not.
			pki := newSSLPKI(t)
			hello, _ := server(t, "A")
			v, _, _ := sslVerifier(t, false)
			p := pki.iceSSL(&pki.router)
			p["Glacier2.SSLPermissionsVerifier"] = v
			r := e.wsRouter(t, "wss", p)
			res := sslClient(t, r.proxy, "secure", pki.iceSSL(&pki.alice), "--hello", hello)
			if err := res.wantErr(t, "createSession", "::Glacier2::PermissionDeniedException"); err.Reason != "not ssl connection" {
				t.Errorf("PermissionDeniedException reason %q; want %q", err.Reason, "not ssl connection")
			}
		}},
		scenario{"ws-python-callbacks", func(t *testing.T, e *env) {
			hello, _ := server(t, "A")
			r := e.wsRouter(t, "ws", props{"Glacier2.PermissionsVerifier": nullVerifier, "Glacier2.Server.Endpoints": serverEndpoints})
			res := client(t, r, "callback", "--hello", hello, "--count", "3")
			res.want(t, "twoway", []string{"re:call-0", "re:call-1", "re:call-2"})
			res.want(t, "called", []string{"call-0", "call-1", "call-2"})
			res.want(t, "notified", []string{"notify-0", "notify-1", "notify-2"})
		}},
		// floe parks the reader of a ws client connection quiet for a
		// second; both sessions go on, the one that paused included.
		scenario{"ws-python-idle", func(t *testing.T, e *env) {
			hello, _ := server(t, "A")
			r := e.wsRouter(t, "ws", props{"Glacier2.PermissionsVerifier": nullVerifier})
			res := client(t, r, "idle", "--hello", hello, "--idle", "2.5")
			res.want(t, "idle.sayHello", "Hello idle from hello-A")
			res.want(t, "idle.sayHelloAfterIdle", "Hello idle from hello-A")
			res.want(t, "active.errors", []any{})
		}},
		// The same over wss, where the parked reader waited by reading the
		// next TLS record itself.
		scenario{"wss-python-idle", func(t *testing.T, e *env) {
			pki := newSSLPKI(t)
			hello, _ := server(t, "A")
			p := pki.iceSSL(&pki.router)
			maps.Copy(p, props{"IceSSL.VerifyPeer": "0", "Glacier2.PermissionsVerifier": nullVerifier})
			r := e.wsRouter(t, "wss", p)
			res := sslClient(t, r.proxy, "idle", pki.iceSSL(&pki.alice), "--hello", hello, "--idle", "2.5")
			res.want(t, "idle.sayHello", "Hello idle from hello-A")
			res.want(t, "idle.sayHelloAfterIdle", "Hello idle from hello-A")
			res.want(t, "active.errors", []any{})
		}},
		scenario{"ws-backend", func(t *testing.T, e *env) {
			big := "--Ice.MessageSizeMax=" + bigMessages
			p := startPython(t, "ws server W", "ws_server.py", false, "--name", "W", big)
			hello := waitProxy(t, p, "READY")
			if !strings.Contains(hello, ":ws -h 127.0.0.1") || !strings.Contains(hello, "-r /hello") {
				t.Fatalf("the ws backend's proxy is %s; want a ws endpoint with -r /hello", hello)
			}
			r := e.router(t, props{"Glacier2.PermissionsVerifier": nullVerifier, "Ice.MessageSizeMax": bigMessages})
			res := client(t, r, "session", "--hello", hello)
			res.want(t, "sayHello", "Hello alice from hello-W")
			res = client(t, r, "echo", "--hello", hello, "--size", "1048576", big)
			res.want(t, "echoed", map[string]any{"sent": 1 << 20, "received": 1 << 20, "equal": true})
		}},
		scenario{"wss-backend", func(t *testing.T, e *env) {
			pki := newSSLPKI(t)
			// The backend presents the server certificate and asks the
			// router for none.
			backend := pki.iceSSL(&pki.router)
			backend["IceSSL.VerifyPeer"] = "0"
			p := startPython(t, "wss server W", "ws_server.py", false, append([]string{"--wss", "--name", "W"}, backend.args()...)...)
			hello := waitProxy(t, p, "READY")
			if !strings.Contains(hello, ":wss -h 127.0.0.1") {
				t.Fatalf("the wss backend's proxy is %s; want a wss endpoint", hello)
			}
			// The router trusts the backend's CA through its IceSSL properties.
			rp := pki.iceSSL(&pki.router)
			rp["Glacier2.PermissionsVerifier"] = nullVerifier
			r := e.router(t, rp)
			// The client parses wss proxies only with the IceSSL plugin.
			res := client(t, r, "session", append([]string{"--hello", hello}, pki.iceSSL(nil).args()...)...)
			res.want(t, "sayHello", "Hello alice from hello-W")
		}},
	)
}

// checkJSSession checks what client.js's session scenario reports.
func checkJSSession(t *testing.T, res result) {
	t.Helper()
	res.want(t, "sayHello", "Hello js from hello-A")
	res.want(t, "echo", 600<<10)
	if category := res.str(t, "category"); len(category) != 20 {
		t.Errorf("getCategoryForClient returned %q; want 20 characters", category)
	}
	res.want(t, "twoway", []string{"re:call-0", "re:call-1", "re:call-2"})
	res.want(t, "called", []string{"call-0", "call-1", "call-2"})
	res.want(t, "oneway", []string{})
	res.want(t, "notified", []string{"notify-0", "notify-1", "notify-2"})
	res.want(t, "destroySession", nil)
	res.wantErr(t, "sayHelloAfterDestroy", connectionDropped...)
}

// wsRouter is env.router with the client endpoint on transport (ws or wss)
// instead of tcp.
func (e *env) wsRouter(t *testing.T, transport string, p props) *router {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port := testutil.FreePort(t)
		endpoint := fmt.Sprintf("%s -h 127.0.0.1 -p %d", transport, port)
		all := props{"Glacier2.InstanceName": instanceName, "Glacier2.Client.Endpoints": endpoint}
		maps.Copy(all, p)
		args := append(slices.Clone(e.prefix), all.args()...)
		t.Logf("%s %q", e.path, args)
		proc := testutil.Start(t, testutil.Options{Name: e.kind, Path: e.path, Args: args})
		if err := proc.WaitPort(port, readyTimeout); err == nil {
			return &router{proxy: instanceName + "/router:" + endpoint}
		} else if attempt >= 3 || !strings.Contains(proc.Stderr(), "in use") {
			t.Fatal(err)
		}
		proc.Kill() // the port was taken since FreePort saw it free
	}
}

// js is Ice for JavaScript, found once for all tests.
var js struct {
	once    sync.Once
	node    string // the node program
	dir     string // ../js: client.js, package.json, node_modules
	gen     string // Test.js, generated by slice2js from slice/Test.ice
	missing error  // what is missing; nil when all is there
}

// requireJS stops the test unless node, the locked npm packages and the
// slice2js output are there.
func requireJS(t *testing.T) {
	t.Helper()
	js.once.Do(findJS)
	testutil.RequirePeer(t, "Ice for JavaScript (node, npm packages ice and ws in test/js, slice2js)", js.missing)
}

func findJS() {
	dir, err := filepath.Abs(filepath.Join("..", "js"))
	if err != nil {
		js.missing = err
		return
	}
	js.dir = dir
	testutil.DependOn(filepath.Join(dir, "client.js"), filepath.Join(dir, "package-lock.json"))
	if js.node, err = exec.LookPath("node"); err != nil {
		js.missing = fmt.Errorf("%w (Debian package nodejs)", err)
		return
	}
	// The packages installed are those package-lock.json names.
	installed := filepath.Join(dir, "installed.js")
	testutil.DependOn(installed)
	if js.missing = testutil.CheckCommand(js.node, installed); js.missing != nil {
		return
	}
	slice2js, err := exec.LookPath("slice2js")
	if err != nil {
		js.missing = fmt.Errorf("%w (Debian package zeroc-ice-compilers)", err)
		return
	}
	js.gen = filepath.Join(workDir, "js")
	if js.missing = os.Mkdir(js.gen, 0o755); js.missing != nil {
		return
	}
	js.missing = testutil.CheckCommand(slice2js, "-I"+sliceDir, "--output-dir", js.gen, "slice/Test.ice")
}

// jsClient runs ../js/client.js on a scenario through r, with env added to
// its environment, and returns its result, which has the form client.py's
// has.
func jsClient(t *testing.T, r *router, env []string, scenario string, args ...string) result {
	t.Helper()
	requireJS(t)
	p := testutil.Start(t, testutil.Options{
		Name: "js client " + scenario,
		Path: js.node,
		Args: append([]string{filepath.Join(js.dir, "client.js"), scenario, "--router", r.proxy, "--gen", js.gen}, args...),
		// Test.js, outside ../js, finds the ice package through NODE_PATH.
		Env: append([]string{"NODE_PATH=" + filepath.Join(js.dir, "node_modules")}, env...),
	})
	return clientResult(t, p)
}
