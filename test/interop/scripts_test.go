package interop

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-router/floe/internal/testutil"
)

// Lua scripts in floe's interception chain, with the real Ice runtime on
// both sides: floe runs from an HCL configuration (floe run --config), the
// backend (py/scripts_server.py) shows the context it receives, and
// py/scripts_client.py makes the calls. Glacier2 has no scripts: these run
// against floe only.

// scriptsGen is the Python code slice2py generates from slice/Scripts.ice.
var scriptsGen struct {
	once sync.Once
	dir  string
	err  error
}

func requireScriptsPeers(t *testing.T) {
	t.Helper()
	requireIce(t)
	scriptsGen.once.Do(func() {
		testutil.DependOn("slice/Scripts.ice", "py/scripts_server.py", "py/scripts_client.py")
		scriptsGen.dir = filepath.Join(workDir, "gen-scripts")
		if scriptsGen.err = os.Mkdir(scriptsGen.dir, 0o755); scriptsGen.err != nil {
			return
		}
		slice2py, err := exec.LookPath("slice2py")
		if err != nil {
			scriptsGen.err = err
			return
		}
		scriptsGen.err = testutil.CheckCommand(slice2py, "-I"+sliceDir, "--output-dir", scriptsGen.dir, "slice/Scripts.ice")
	})
	testutil.RequirePeer(t, "slice2py on slice/Scripts.ice", scriptsGen.err)
}

func startScriptsPython(t *testing.T, name, program string, args ...string) *testutil.Process {
	t.Helper()
	return testutil.Start(t, testutil.Options{
		Name: name,
		Path: python,
		Args: append([]string{filepath.Join(pyDir, program)}, args...),
		Env: []string{"PYTHONPATH=" + genDir + string(os.PathListSeparator) + scriptsGen.dir,
			"PYTHONDONTWRITEBYTECODE=1", "PYTHONNOUSERSITE=1"},
	})
}

// probeServer starts a backend and returns its Probe proxy.
func probeServer(t *testing.T) string {
	t.Helper()
	return waitProxy(t, startScriptsPython(t, "probe server", "scripts_server.py"), "READY")
}

// scriptsClient runs scripts_client.py through r and returns its result.
func scriptsClient(t *testing.T, r *router, probe string, args ...string) result {
	t.Helper()
	return clientResult(t, startScriptsPython(t, "scripts client", "scripts_client.py",
		append([]string{"--router", r.proxy, "--probe", probe}, args...)...))
}

// floeWithConfig starts floe run --config on an HCL configuration: body is
// added to a client block on a free loopback port (instance Interop,
// every user accepted); files are written next to the configuration.
func floeWithConfig(t *testing.T, body string, files map[string]string) (*router, string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "floe.hcl")
	for attempt := 1; ; attempt++ {
		port := testutil.FreePort(t)
		hcl := fmt.Sprintf("instance_name = %q\nclient {\n  endpoints = \"tcp -h 127.0.0.1 -p %d\"\n}\nauth {\n  allow_all = true\n}\n%s",
			instanceName, port, body)
		if err := os.WriteFile(path, []byte(hcl), 0o600); err != nil {
			t.Fatal(err)
		}
		proc := testutil.Start(t, testutil.Options{Name: "floe", Path: floeBinary(t), Args: []string{"run", "--config", path}})
		err := proc.WaitPort(port, readyTimeout)
		if err == nil {
			return &router{proxy: fmt.Sprintf("%s/router:tcp -h 127.0.0.1 -p %d", instanceName, port), port: port, proc: proc}, dir
		}
		if attempt < 3 && strings.Contains(proc.Stderr(), "address already in use") {
			proc.Kill()
			continue
		}
		t.Fatalf("%v\n%s", err, proc.Stderr())
	}
}

// millis is the duration a client recorded for a call.
func (r result) millis(t *testing.T, step string) float64 {
	t.Helper()
	var ms float64
	r.value(t, step+".ms", &ms)
	return ms
}

func TestScripts(t *testing.T) {
	t.Run("deny", func(t *testing.T) {
		t.Parallel()
		requireScriptsPeers(t)
		probe := probeServer(t)
		guard := `function on_request(req) if req.operation == "remove" then return deny("remove is not allowed") end end`
		for _, tc := range []struct {
			denyAs string
			want   string
		}{{"", "::Ice::ObjectNotExistException"}, {`deny_as = "unknown"`, "::Ice::UnknownException"}} {
			r, _ := floeWithConfig(t, "script \"guard\" {\n  file = \"guard.lua\"\n  "+tc.denyAs+"\n}\n",
				map[string]string{"guard.lua": guard})
			res := scriptsClient(t, r, probe, "--call", "echo=echo", "--call", "remove=remove", "--call", "again=echo")
			if got := res.str(t, "echo"); got != "echo" {
				t.Errorf("echo returned %q", got)
			}
			e := res.wantErr(t, "remove", tc.want)
			if tc.denyAs != "" && !strings.Contains(e.Unknown, "remove is not allowed") {
				t.Errorf("UnknownException does not carry the reason: %+v", e)
			}
			res.str(t, "again")
			if !strings.Contains(r.proc.Stderr(), "remove is not allowed") {
				t.Errorf("the reason is not logged:\n%s", r.proc.Stderr())
			}
		}
	})

	t.Run("context", func(t *testing.T) {
		t.Parallel()
		requireScriptsPeers(t)
		probe := probeServer(t)
		r, _ := floeWithConfig(t, "script \"user\" {\n  file = \"user.lua\"\n}\n", map[string]string{
			"user.lua": `function on_request(req) req.context["floe.user"] = req.session.user end`})
		res := scriptsClient(t, r, probe, "--user", "carol", "--call", "ctx=context,lang=en")
		var got map[string]string
		res.value(t, "ctx", &got)
		// The client's own context is not forwarded (forward_context is off);
		// what the script set is.
		if got["floe.user"] != "carol" || len(got) != 1 {
			t.Errorf("the backend received the context %v; want only floe.user = carol", got)
		}
	})

	t.Run("runaway", func(t *testing.T) {
		t.Parallel()
		requireScriptsPeers(t)
		probe := probeServer(t)
		const budget = 50 * time.Millisecond
		r, _ := floeWithConfig(t, fmt.Sprintf("script \"spin\" {\n  file = \"spin.lua\"\n  timeout = %q\n  on_error = \"deny\"\n}\n", budget),
			map[string]string{"spin.lua": `function on_request(req) if req.context.spin then while true do end end end`})
		res := scriptsClient(t, r, probe, "--call", "before=echo", "--call", "spin=echo,spin=1", "--call", "after=echo",
			"--call", "spin2=echo,spin=1", "--call", "after2=echo")
		res.str(t, "before")
		for _, step := range []string{"spin", "spin2"} {
			res.wantErr(t, step, "::Ice::ObjectNotExistException")
			// The client measures the whole round trip; the budget is the
			// router's share of it.
			if ms := res.millis(t, step); ms > float64(2*budget/time.Millisecond) {
				t.Errorf("%s was answered after %.1fms, over twice the %s budget", step, ms, budget)
			} else {
				t.Logf("%s was denied after %.1fms (budget %s)", step, ms, budget)
			}
		}
		res.str(t, "after")
		res.str(t, "after2")
		if !strings.Contains(r.proc.Stderr(), "hook timed out") {
			t.Errorf("the timeout is not logged:\n%s", r.proc.Stderr())
		}
	})

	t.Run("rate-limit", func(t *testing.T) {
		t.Parallel()
		requireScriptsPeers(t)
		probe := probeServer(t)
		r, _ := floeWithConfig(t, "script \"limit\" {\n  file = \"limit.lua\"\n  deny_as = \"unknown\"\n}\n", map[string]string{
			"limit.lua": `
function on_request(req)
  if store.incr("rate:" .. req.session.user, 1, 60) > 3 then return deny("rate limit") end
end`})
		res := scriptsClient(t, r, probe, "--repeat", "5", "--call", "call=echo")
		for i := 1; i <= 5; i++ {
			step := fmt.Sprintf("call.%d", i)
			if i <= 3 {
				res.str(t, step)
			} else if e := res.wantErr(t, step, "::Ice::UnknownException"); !strings.Contains(e.Unknown, "rate limit") {
				t.Errorf("%s: %+v", step, e)
			}
		}
		// Another user has a count of its own.
		scriptsClient(t, r, probe, "--user", "dave", "--call", "call=echo").str(t, "call")
	})

	t.Run("reload", func(t *testing.T) {
		t.Parallel()
		requireScriptsPeers(t)
		probe := probeServer(t)
		version := `function on_request(req) req.context.version = "%d" end`
		r, dir := floeWithConfig(t, "script \"v\" {\n  file = \"v.lua\"\n}\n", map[string]string{"v.lua": fmt.Sprintf(version, 1)})
		client := startScriptsPython(t, "scripts client", "scripts_client.py", "--router", r.proxy, "--probe", probe,
			"--repeat", "150", "--pause", "20", "--call", "c=context")
		time.Sleep(time.Second)
		if err := os.WriteFile(filepath.Join(dir, "v.lua"), []byte(fmt.Sprintf(version, 2)), 0o600); err != nil {
			t.Fatal(err)
		}
		res := clientResult(t, client)
		versions := map[string]int{}
		last := ""
		for i := 1; i <= 150; i++ {
			var ctx map[string]string
			step := fmt.Sprintf("c.%d", i)
			raw, _ := json.Marshal(res.step(t, step))
			res.value(t, step, &ctx) // fails the test on a failed call
			if ctx["version"] < last {
				t.Errorf("%s: version %s after version %s (%s)", step, ctx["version"], last, raw)
			}
			last = ctx["version"]
			versions[last]++
		}
		if versions["1"] == 0 || versions["2"] == 0 {
			t.Errorf("calls per version: %v; want both versions to have served calls", versions)
		}
		t.Logf("calls per version: %v", versions)
	})
}
