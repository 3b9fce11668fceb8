package interop

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-router/floe/internal/testutil"
)

// The peers: the real Ice 3.7 runtime and tools, from Debian packages.
const (
	python         = "/usr/bin/python3" // the python3 on PATH may be another interpreter without Ice
	glacier2Router = "/usr/bin/glacier2router"
	sliceDir       = "/usr/share/ice/slice"
)

const (
	instanceName = "Interop" // Glacier2.InstanceName of every router under test
	readyTimeout = 10 * time.Second
	clientLimit  = 60 * time.Second // bounds a client run; each of its calls times out after 10 s
)

// peers records, once for all tests, what is missing (nil: available).
var peers struct {
	python   error // /usr/bin/python3 with the Ice and Glacier2 modules
	slice2py error // slice2py, and its run on slice/Test.ice
	glacier2 error // the reference router
}

var (
	workDir string // temporary directory of this test run
	genDir  string // Python code generated from slice/Test.ice
	pyDir   string // the Python programs in py/
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "floe-interop-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop:", err)
		os.Exit(1)
	}
	workDir = dir
	findPeers()
	code := m.Run()
	os.RemoveAll(workDir)
	os.Exit(code)
}

func findPeers() {
	var err error
	if pyDir, err = filepath.Abs("py"); err != nil {
		panic(err)
	}
	// The programs the tests run read these, not the test binary: tell go
	// test's result cache about them.
	scripts, _ := filepath.Glob(filepath.Join(pyDir, "*.py"))
	testutil.DependOn(append(scripts, "slice/Test.ice", glacier2Router)...)

	peers.python = testutil.CheckCommand(python, "-c", "import Ice, Glacier2")
	if _, err := os.Stat(glacier2Router); err != nil {
		peers.glacier2 = err
	}
	genDir = filepath.Join(workDir, "gen")
	if err := os.Mkdir(genDir, 0o755); err != nil {
		peers.slice2py = err
		return
	}
	slice2py, err := exec.LookPath("slice2py")
	if err != nil {
		peers.slice2py = err
		return
	}
	peers.slice2py = testutil.CheckCommand(slice2py, "-I"+sliceDir, "--output-dir", genDir, "slice/Test.ice")
}

// requireIce stops the test unless the Python Ice runtime and the generated
// FloeTest code are there.
func requireIce(t *testing.T) {
	t.Helper()
	testutil.RequirePeer(t, "Ice for Python (Debian package python3-zeroc-ice, at "+python+")", peers.python)
	testutil.RequirePeer(t, "slice2py (Debian package zeroc-ice-compilers)", peers.slice2py)
}

// floeBinary builds ./cmd/floe once per run (or takes $FLOE_BIN) and returns
// its path; a build failure fails each floe test with the compiler's output.
func floeBinary(t *testing.T) string {
	t.Helper()
	floeBuild.once.Do(func() {
		if bin := os.Getenv("FLOE_BIN"); bin != "" {
			floeBuild.path = bin
			return
		}
		goTool, err := exec.LookPath("go")
		if err != nil {
			floeBuild.err = fmt.Errorf("building floe: %w (or set FLOE_BIN)", err)
			return
		}
		root := filepath.Join("..", "..") // the module root
		// A change anywhere in floe's sources must invalidate cached results.
		if err := testutil.DependOnTree(root, "bin"); err != nil {
			floeBuild.err = err
			return
		}
		floeBuild.path = filepath.Join(workDir, "floe")
		cmd := exec.Command(goTool, "build", "-o", floeBuild.path, "./cmd/floe")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			floeBuild.err = fmt.Errorf("building floe: go build ./cmd/floe: %w\n%s", err, bytes.TrimSpace(out))
		}
	})
	if floeBuild.err != nil {
		t.Fatal(floeBuild.err)
	}
	return floeBuild.path
}

var floeBuild struct {
	once sync.Once
	path string
	err  error
}

// routerKind is one router under test: how to run it with Glacier2
// properties.
type routerKind struct {
	name    string
	command func(t *testing.T) (path string, args []string) // the program and the arguments before the properties
}

var routerKinds = []routerKind{
	{name: "glacier2", command: func(t *testing.T) (string, []string) {
		t.Helper()
		testutil.RequirePeer(t, "glacier2router (Debian package zeroc-glacier2)", peers.glacier2)
		return glacier2Router, nil
	}},
	{name: "floe", command: func(t *testing.T) (string, []string) {
		t.Helper()
		return floeBinary(t), []string{"glacier2"}
	}},
}

// props are Ice / Glacier2 properties, passed as --Key=Value.
type props map[string]string

func (p props) args() []string {
	var args []string
	for k, v := range p {
		args = append(args, "--"+k+"="+v)
	}
	slices.Sort(args)
	return args
}

// router is a running router under test.
type router struct {
	proxy string // its Glacier2::Router proxy, for Ice.Default.Router
	port  int    // its client port
	proc  *testutil.Process
}

// env is what a scenario runs with: the router under test.
type env struct {
	kind   string   // routerKind.name
	path   string   // its program
	prefix []string // and the arguments before the properties
}

// newEnv checks that the peers a scenario needs are there (the test stops
// here otherwise, before any process starts) and returns its env.
func newEnv(t *testing.T, kind routerKind) *env {
	t.Helper()
	requireIce(t)
	path, prefix := kind.command(t)
	return &env{kind: kind.name, path: path, prefix: prefix}
}

// router starts the router under test on a free loopback port with
// Glacier2.InstanceName, Glacier2.Client.Endpoints and p, and waits until
// it accepts connections.
func (e *env) router(t *testing.T, p props) *router {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port := testutil.FreePort(t)
		all := props{
			"Glacier2.InstanceName":     instanceName,
			"Glacier2.Client.Endpoints": "tcp -h 127.0.0.1 -p %[1]d",
		}
		maps.Copy(all, p)
		// A scenario may give its own client endpoints, with %[1]d for the port.
		all["Glacier2.Client.Endpoints"] = fmt.Sprintf(all["Glacier2.Client.Endpoints"], port)
		args := append(slices.Clone(e.prefix), all.args()...)
		t.Logf("%s %q", e.path, args)
		proc := testutil.Start(t, testutil.Options{Name: e.kind, Path: e.path, Args: args})
		err := proc.WaitPort(port, readyTimeout)
		if err == nil {
			return &router{proxy: fmt.Sprintf("%s/router:tcp -h 127.0.0.1 -p %d", instanceName, port), port: port, proc: proc}
		}
		// Another process may have taken the port since FreePort saw it free
		// (glacier2router: "socket exception: Address already in use"; floe:
		// "bind: address already in use").
		if attempt < 3 && strings.Contains(strings.ToLower(proc.Stderr()), "address already in use") {
			proc.Kill()
			continue
		}
		t.Fatal(err)
	}
}

// startPython starts one of the programs in py/.
func startPython(t *testing.T, name, script string, stdin bool, args ...string) *testutil.Process {
	t.Helper()
	return testutil.Start(t, testutil.Options{
		Name:  name,
		Path:  python,
		Args:  append([]string{filepath.Join(pyDir, script)}, args...),
		Env:   []string{"PYTHONPATH=" + genDir, "PYTHONDONTWRITEBYTECODE=1", "PYTHONNOUSERSITE=1"},
		Stdin: stdin,
	})
}

// waitProxy waits for the line `<prefix> <proxy>` and returns the proxy.
func waitProxy(t *testing.T, p *testutil.Process, prefix string) string {
	t.Helper()
	line, err := p.WaitLine(prefix+" ", readyTimeout)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(line, prefix+" ")
}

// server starts a backend whose objects are hello-<name> and other-<name>
// and returns the proxy of hello-<name>.
func server(t *testing.T, name string, iceArgs ...string) (string, *testutil.Process) {
	t.Helper()
	p := startPython(t, "server "+name, "server.py", false, append([]string{"--name", name}, iceArgs...)...)
	return waitProxy(t, p, "READY"), p
}

// verifier starts a permissions verifier (password "secret") and returns its
// proxy; with sessionManager it also hosts a session manager, whose proxy is
// returned second.
func verifier(t *testing.T, sessionManager bool) (verifierProxy, managerProxy string, proc *testutil.Process) {
	t.Helper()
	var args []string
	if sessionManager {
		args = append(args, "--session-manager")
	}
	proc = startPython(t, "verifier", "verifier.py", false, args...)
	if sessionManager {
		managerProxy = waitProxy(t, proc, "SESSIONMANAGER")
	}
	return waitProxy(t, proc, "READY"), managerProxy, proc
}

// startClient starts client.py on a scenario through r.
func startClient(t *testing.T, r *router, scenario string, stdin bool, args ...string) *testutil.Process {
	t.Helper()
	return startPython(t, "client "+scenario, "client.py", stdin,
		append([]string{scenario, "--router", r.proxy}, args...)...)
}

// client runs client.py on a scenario through r and returns its result.
func client(t *testing.T, r *router, scenario string, args ...string) result {
	t.Helper()
	return clientResult(t, startClient(t, r, scenario, false, args...))
}

// clientResult waits for a client to finish and decodes its RESULT line.
func clientResult(t *testing.T, p *testutil.Process) result {
	t.Helper()
	if err := p.Wait(clientLimit); err != nil {
		t.Fatal(err)
	}
	line, err := p.WaitLine("RESULT ", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r := result{raw: strings.TrimPrefix(line, "RESULT ")}
	if err := json.Unmarshal([]byte(r.raw), &r.steps); err != nil {
		t.Fatalf("%s printed a RESULT that is not JSON: %v\n%s", p.Name(), err, line)
	}
	t.Logf("%s: %s", p.Name(), r.raw)
	return r
}

// result is what client.py reports: the outcome of each step it ran.
type result struct {
	steps map[string]outcome
	raw   string
}

type outcome struct {
	Value json.RawMessage `json:"value"`
	Error *iceError       `json:"error"`
}

// iceError is an exception the client caught, with the members it has.
type iceError struct {
	ID      string `json:"id"` // ice_id(), e.g. ::Ice::ConnectionLostException
	Text    string `json:"text"`
	Reason  string `json:"reason"`
	Code    int    `json:"code"`
	Unknown string `json:"unknown"` // Unknown*Exception
}

func (e *iceError) String() string { return e.ID + ": " + e.Text }

// step is the outcome of a step; the test fails when it did not run.
func (r result) step(t *testing.T, step string) outcome {
	t.Helper()
	o, ok := r.steps[step]
	if !ok {
		t.Fatalf("step %s did not run (an earlier step ended the scenario); client result: %s", step, r.raw)
	}
	return o
}

// value decodes the value step returned into v; the test fails when the
// step did not run or raised.
func (r result) value(t *testing.T, step string, v any) {
	t.Helper()
	o := r.step(t, step)
	if o.Error != nil {
		t.Fatalf("step %s raised %s", step, o.Error)
	}
	if err := json.Unmarshal(o.Value, v); err != nil {
		t.Fatalf("step %s returned %s, not a %T: %v", step, o.Value, v, err)
	}
}

// str is the string step returned.
func (r result) str(t *testing.T, step string) string {
	t.Helper()
	var s string
	r.value(t, step, &s)
	return s
}

// err is the exception step raised; the test fails when it did not run or
// returned.
func (r result) err(t *testing.T, step string) *iceError {
	t.Helper()
	o := r.step(t, step)
	if o.Error == nil {
		t.Fatalf("step %s returned %s; want an exception", step, o.Value)
	}
	return o.Error
}

// wantErr checks that step raised one of the exceptions ids.
func (r result) wantErr(t *testing.T, step string, ids ...string) *iceError {
	t.Helper()
	e := r.err(t, step)
	if !slices.Contains(ids, e.ID) {
		t.Errorf("step %s raised %s; want %s", step, e, strings.Join(ids, " or "))
	}
	return e
}

// want checks that step returned want (compared as JSON values).
func (r result) want(t *testing.T, step string, want any) {
	t.Helper()
	var got any
	r.value(t, step, &got)
	gotJSON, err1 := json.Marshal(got)
	wantJSON, err2 := json.Marshal(want)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("step %s returned %s; want %s", step, gotJSON, wantJSON)
	}
}
