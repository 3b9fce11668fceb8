package main

import (
	"crypto/sha256"
	"crypto/tls"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/floe-router/floe/core/ice"
)

// What the load runs against. Every target forwards to the same backend
// process; only the hop in between changes.

// targetKind is how clients reach the backend through a target.
type targetKind int

const (
	kindDirect targetKind = iota // client -> backend
	kindRelay                    // client -> TCP relay -> backend
	kindRouter                   // client -> Glacier2 router -> backend
)

// target is one column of the results.
type target struct {
	name string
	kind targetKind
	// For routers: the program, the arguments before the properties, and
	// properties on top of the common ones.
	path   func(*env) string
	prefix []string
	props  map[string]string
	about  string
}

// instanceName is the routers' Glacier2.InstanceName (the default).
const instanceName = "Glacier2"

// allTargets are the targets -targets can name, in report order.
var allTargets = []target{
	{name: "direct", kind: kindDirect, about: "client to backend, no hop"},
	{name: "relay", kind: kindRelay, about: "plain Go TCP relay, two copy loops per connection (the floor for a hop)"},
	{name: "glacier2", kind: kindRouter, path: func(e *env) string { return e.glacier2 },
		about: "glacier2router, default properties"},
	{name: "glacier2-unbuffered", kind: kindRouter, path: func(e *env) string { return e.glacier2 },
		props: map[string]string{"Glacier2.Client.Buffered": "0", "Glacier2.Server.Buffered": "0"},
		about: "glacier2router with Glacier2.Client/Server.Buffered=0"},
	{name: "glacier2-threads", kind: kindRouter, path: func(e *env) string { return e.glacier2 },
		props: map[string]string{"Ice.ThreadPool.Server.SizeMax": "8", "Ice.ThreadPool.Client.SizeMax": "8"},
		about: "glacier2router with Ice.ThreadPool.Server/Client.SizeMax=8"},
	{name: "floe", kind: kindRouter, path: func(e *env) string { return e.floe }, prefix: []string{"glacier2"},
		about: "floe glacier2, the same properties as glacier2router"},
	{name: "floe-baseline", kind: kindRouter, path: func(e *env) string { return e.baseline }, prefix: []string{"glacier2"},
		about: "the -baseline floe binary, run as floe is (for A/B comparisons of two builds)"},
	{name: "floe-2conns", kind: kindRouter, path: func(e *env) string { return e.floe }, prefix: []string{"glacier2"},
		props: map[string]string{"Floe.BackendConnections": "2"},
		about: "floe glacier2 with Floe.BackendConnections=2 (backend_connections = 2: each session keeps to one of two connections per backend endpoint)"},
	{name: "floe-cpus", kind: kindRouter, path: func(e *env) string { return e.floe }, prefix: []string{"glacier2"},
		props: map[string]string{"Floe.Threads": strconv.Itoa(runtime.GOMAXPROCS(0))},
		about: "floe glacier2 with Floe.Threads set to the CPUs (threads fixed at every CPU, as before floe sized them to its load)"},
	{name: "floe-quiet", kind: kindRouter, path: func(e *env) string { return e.floe },
		prefix: []string{"glacier2", "--log-level=warn"},
		about:  "floe glacier2 with --log-level=warn (no per-session log lines)"},
}

const defaultTargets = "direct,relay,glacier2,floe"

func findTargets(names string) ([]target, error) {
	var out []target
	for _, n := range strings.Split(names, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		i := slices.IndexFunc(allTargets, func(t target) bool { return t.name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown target %q (known: %s)", n, targetNames())
		}
		out = append(out, allTargets[i])
	}
	if len(out) == 0 {
		return nil, errors.New("no targets")
	}
	return out, nil
}

// running is a started target: where clients connect, and the process to
// measure (nil for direct).
type running struct {
	addr   string
	tls    *tls.Config // set when addr is a router's ssl endpoint
	ws     bool        // addr is a router's ws endpoint
	routed bool
	proc   *process
}

func (r *running) stop() {
	if r != nil && r.proc != nil {
		r.proc.stop()
	}
}

const readyTimeout = 15 * time.Second

// start starts t in front of the backend; with transport ssl or ws, a
// router listens for clients on such an endpoint too, and clients use that.
func (t *target) start(e *env, transport string) (*running, error) {
	if transport != "" && t.kind != kindRouter {
		return nil, fmt.Errorf("%w: no %s endpoint without a router", errNotApplicable, transport)
	}
	switch t.kind {
	case kindDirect:
		return &running{addr: e.backendAddr}, nil
	case kindRelay:
		p, err := startProcess("relay", e.self, "relay", "-to", e.backendAddr)
		if err != nil {
			return nil, err
		}
		line, err := p.waitLine("READY ", readyTimeout)
		if err != nil {
			p.stop()
			return nil, err
		}
		return &running{addr: strings.TrimPrefix(line, "READY "), proc: p}, nil
	}
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(3)
		if err != nil {
			return nil, err
		}
		client, server, extra := ports[0], ports[1], ports[2]
		props := map[string]string{
			"Glacier2.InstanceName":        instanceName,
			"Glacier2.Client.Endpoints":    "tcp -h 127.0.0.1 -p " + strconv.Itoa(client),
			"Glacier2.Server.Endpoints":    "tcp -h 127.0.0.1 -p " + strconv.Itoa(server),
			"Glacier2.PermissionsVerifier": instanceName + "/NullPermissionsVerifier",
			"Ice.PrintAdapterReady":        "1",
		}
		if transport != "" {
			props["Glacier2.Client.Endpoints"] += " : " + transport + " -h 127.0.0.1 -p " + strconv.Itoa(extra)
		}
		secure := transport == "ssl" || transport == "wss"
		if secure {
			maps.Copy(props, e.tls.routerProps())
		}
		maps.Copy(props, e.routerProps)
		maps.Copy(props, t.props)
		args := slices.Clone(t.prefix)
		for _, k := range slices.Sorted(maps.Keys(props)) {
			args = append(args, "--"+k+"="+props[k])
		}
		p, err := startProcess(t.name, t.path(e), args...)
		if err != nil {
			return nil, err
		}
		_, err = p.waitLine("Glacier2.Client ready", readyTimeout)
		if err == nil {
			_, err = p.waitLine("Glacier2.Server ready", readyTimeout)
		}
		if err == nil && transport != "" {
			r := &running{addr: "127.0.0.1:" + strconv.Itoa(extra), ws: transport == "ws" || transport == "wss",
				routed: true, proc: p}
			if secure {
				r.tls = e.tls.client
			}
			return r, nil
		}
		if err == nil {
			return &running{addr: "127.0.0.1:" + strconv.Itoa(client), routed: true, proc: p}, nil
		}
		p.stop()
		// Another process may have taken a port since freePorts saw it free.
		if attempt < 3 && strings.Contains(p.tail(), "in use") {
			continue
		}
		return nil, err
	}
}

// freePorts returns n loopback ports the OS reported free a moment ago,
// for routers that must be told their ports.
func freePorts(n int) ([]int, error) {
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// backendProxy is the proxy clients add to their routing table.
func backendProxy(addr string) (*ice.Proxy, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, err
	}
	return &ice.Proxy{Identity: benchIdentity, Protocol: ice.Protocol10, Encoding: ice.Encoding11,
		Endpoints: []ice.Endpoint{{Type: ice.TCPEndpoint, Encoding: ice.Encoding11, Host: host, Port: int32(p), Timeout: -1}}}, nil
}

// The backend's sources, compiled at bench time against the installed Ice.
//
//go:embed backend/Bench.ice backend/server.cpp backend/client.cpp
var backendSources embed.FS

const (
	sliceDir = "/usr/share/ice/slice" // Debian zeroc-ice-slice
	iceH     = "/usr/include/Ice/Ice.h"
)

var cxxFlags = []string{"-O2", "-std=c++11", "-DICE_CPP11_MAPPING"}

// buildBackend compiles the backend and the Ice load client once per source
// (and flags) hash into cacheDir and returns the backend binary's path; the
// client is "client" beside it.
func buildBackend(cacheDir string) (string, error) {
	slice2cpp, err1 := exec.LookPath("slice2cpp")
	gxx, err2 := exec.LookPath("g++")
	_, err3 := os.Stat(iceH)
	if err1 != nil || err2 != nil || err3 != nil {
		return "", fmt.Errorf("the backend needs slice2cpp (Debian zeroc-ice-compilers), g++ and %s "+
			"(libzeroc-ice-dev): %w", iceH, errors.Join(err1, err2, err3))
	}
	h := sha256.New()
	files := []string{"Bench.ice", "server.cpp", "client.cpp"}
	for _, f := range files {
		b, err := backendSources.ReadFile("backend/" + f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	fmt.Fprintln(h, strings.Join(cxxFlags, " "))
	dir := filepath.Join(cacheDir, "backend-"+hex.EncodeToString(h.Sum(nil))[:16])
	bin := filepath.Join(dir, "server")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(cacheDir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for _, f := range files {
		b, _ := backendSources.ReadFile("backend/" + f)
		if err := os.WriteFile(filepath.Join(tmp, f), b, 0o644); err != nil {
			return "", err
		}
	}
	steps := [][]string{
		{slice2cpp, "-I" + sliceDir, "Bench.ice"},
		append(append([]string{gxx}, cxxFlags...), "-I.", "server.cpp", "Bench.cpp", "-o", "server", "-lIce++11", "-lpthread"),
		append(append([]string{gxx}, cxxFlags...), "client.cpp", "-o", "client", "-lGlacier2++11", "-lIce++11", "-lpthread"),
	}
	for _, s := range steps {
		cmd := exec.Command(s[0], s[1:]...)
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("building the backend: %s: %w\n%s", strings.Join(s, " "), err, out)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(bin); statErr != nil { // not built by a concurrent run either
			return "", err
		}
	}
	return bin, nil
}

// startBackend runs the backend and returns it with its address.
func startBackend(bin string, props []string) (*process, string, error) {
	p, err := startProcess("backend", bin, props...)
	if err != nil {
		return nil, "", err
	}
	line, err := p.waitLine("READY ", readyTimeout)
	if err != nil {
		p.stop()
		return nil, "", err
	}
	return p, "127.0.0.1:" + strings.TrimPrefix(line, "READY "), nil
}
