package interop

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/transport"
)

// TestHookThroughput is the hook benchmark: the same Ice load (the C++
// client cpp/load.cpp, on the real Ice runtime) through floe with no hook,
// with a trivial Lua on_request, with a RequestFilter plugin asked about
// every request, and with the same plugin whose verdict is cached. The four
// routers run side by side and are measured in alternation, round after
// round, so that a shared machine's drifting load falls on all of them; it
// reports medians of calls per second, of latency, and of the ratios to no
// hook taken within each round. It takes about three and a half minutes, so it
// runs only with FLOE_BENCH=1 (make bench-hooks; FLOE_BENCH_ROUNDS and
// FLOE_BENCH_SECONDS change the rounds and the window).
func TestHookThroughput(t *testing.T) {
	if os.Getenv("FLOE_BENCH") == "" {
		t.Skip("a benchmark: set FLOE_BENCH=1 (make bench-hooks)")
	}
	requireIce(t)
	load := buildLoad(t)
	target := fastBackend(t)
	bin := pluginBinaries(t)
	seconds, rounds := 3.0, 5
	if s := os.Getenv("FLOE_BENCH_SECONDS"); s != "" {
		seconds, _ = strconv.ParseFloat(s, 64)
	}
	if s := os.Getenv("FLOE_BENCH_ROUNDS"); s != "" {
		rounds, _ = strconv.Atoi(s)
	}
	guard := func(cache string) string {
		return fmt.Sprintf("plugin \"guard\" {\n  path    = %q\n  timeout = \"1s\"\n  config {\n    deny_operations = [\"shutdown\"]\n%s  }\n}\n",
			filepath.Join(bin, "testplugin"), cache)
	}
	script := filepath.Join(t.TempDir(), "trivial.lua")
	if err := os.WriteFile(script, []byte("function on_request(req) end\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	configs := []struct{ name, hcl string }{
		{"no hook", ""},
		{"lua, trivial on_request", fmt.Sprintf("script \"trivial\" {\n  file    = %q\n  timeout = \"5ms\"\n}\n", script)},
		{"plugin, every request", guard("")},
		{"plugin, cached verdict", guard("    cache_for = \"1h\"\n")},
	}
	routers := make([]*router, len(configs))
	for i, c := range configs {
		routers[i] = floeHCL(t, "auth {\n  allow_all = true\n}\n"+c.hcl)
	}
	// The loads: 1 and 8 clients with a call in flight each, and one client
	// whose 8 threads share its connection.
	inFlight := []struct {
		threads int
		shared  bool
	}{{1, false}, {8, false}, {8, true}}
	label := func(j int) string {
		if inFlight[j].shared {
			return fmt.Sprintf("%d in flight on 1 connection", inFlight[j].threads)
		}
		return fmt.Sprintf("%d in flight", inFlight[j].threads)
	}
	type measure struct{ perSec, medianUs, p99Us float64 }
	// results[config][inFlight index][round]
	results := make([][][]measure, len(configs))
	for i := range results {
		results[i] = make([][]measure, len(inFlight))
	}
	for round := 0; round < rounds; round++ {
		for k := range configs {
			i := (k + round) % len(configs) // each round starts with another router
			for j, l := range inFlight {
				args := []string{routers[i].proxy, target, strconv.Itoa(l.threads), fmt.Sprint(seconds)}
				if l.shared {
					args = append(args, "shared")
				}
				out, err := exec.Command(load, args...).CombinedOutput()
				if err != nil {
					t.Fatalf("%s, %s: %v\n%s", configs[i].name, label(j), err, out)
				}
				var calls, failures int
				var median, p99 float64
				line := strings.TrimSpace(string(out[bytes.LastIndex(out, []byte("RESULT ")):]))
				if _, err := fmt.Sscanf(line, "RESULT %d %d %g %g", &calls, &failures, &median, &p99); err != nil {
					t.Fatalf("load printed %q: %v", out, err)
				}
				if failures > 0 {
					t.Errorf("%s, %s: %d of %d calls failed", configs[i].name, label(j), failures, calls)
				}
				results[i][j] = append(results[i][j], measure{float64(calls) / seconds, median, p99})
			}
		}
	}
	median := func(f func(round int) float64) float64 {
		v := make([]float64, rounds)
		for r := range v {
			v[r] = f(r)
		}
		sort.Float64s(v)
		if rounds%2 == 1 {
			return v[rounds/2]
		}
		return (v[rounds/2-1] + v[rounds/2]) / 2
	}
	ratio := make([][]float64, len(configs))
	for i, c := range configs {
		ratio[i] = make([]float64, len(inFlight))
		for j := range inFlight {
			m := results[i][j]
			ratio[i][j] = median(func(r int) float64 { return m[r].perSec / results[0][j][r].perSec })
			t.Logf("%-24s %-28s %7.0f calls/s (%.2f of no hook), median %4.0f µs, p99 %5.0f µs",
				c.name, label(j)+":", median(func(r int) float64 { return m[r].perSec }), ratio[i][j],
				median(func(r int) float64 { return m[r].medianUs }), median(func(r int) float64 { return m[r].p99Us }))
		}
	}
	added := func(i int) float64 {
		return median(func(r int) float64 { return results[i][0][r].medianUs - results[0][0][r].medianUs })
	}
	t.Logf("medians of %d alternating rounds of %gs; added median round trip at 1 in flight, over no hook: a Lua on_request %.0f µs, a plugin call %.0f µs, a cached verdict %.0f µs",
		rounds, seconds, added(1), added(2), added(3))
	for _, target := range []struct {
		config int
		min    float64
	}{{1, 0.90}, {3, 0.85}} {
		if r := ratio[target.config][1]; r < target.min {
			t.Errorf("%s, 8 in flight: floe carries %.2f of its throughput without hooks; the target is at least %.2f", configs[target.config].name, r, target.min)
		}
	}
}

// buildLoad compiles cpp/load.cpp against the Ice C++ runtime (Debian's
// libzeroc-ice-dev).
func buildLoad(t *testing.T) string {
	t.Helper()
	out := filepath.Join(workDir, "load")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	src, err := filepath.Abs("cpp/load.cpp")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("g++", "-std=c++17", "-O2", "-DICE_CPP11_MAPPING", "-o", out, src,
		"-lGlacier2++11", "-lIce++11", "-lpthread")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the load client (Debian package libzeroc-ice-dev): %v\n%s", err, msg)
	}
	return out
}

// fastBackend is a server that answers every twoway at once, so that the
// benchmark measures the router rather than the backend; it returns the
// stringified proxy of its object "hello".
func fastBackend(t *testing.T) string {
	t.Helper()
	l, err := transport.Listen(ice.Endpoint{Type: ice.TCPEndpoint, Host: "127.0.0.1", Timeout: 60000},
		&transport.Options{MessageSizeMax: 1 << 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = l.Serve(answerAll{}, nil) }()
	t.Cleanup(func() { _ = l.Close() })
	return "hello:" + l.Endpoint.String()
}

// answerAll replies "Hello" to every twoway request.
type answerAll struct{}

var helloResult = func() []byte {
	e := ice.NewEncoder(nil)
	m := e.StartEncapsulation(ice.Encoding11)
	e.WriteString("Hello")
	e.EndEncapsulation(m)
	return e.Bytes()
}()

func (answerAll) Request(c *transport.Conn, m *transport.Message) {
	defer m.Release()
	req, err := ice.ParseRequest(m.Body())
	if err != nil {
		c.Abort(err)
		return
	}
	if req.ID != 0 {
		_ = c.Post(transport.MessageFrom(ice.AppendReplyOK(nil, req.ID, helloResult)))
	}
}
func (answerAll) Heartbeat(*transport.Conn)     {}
func (answerAll) Closed(*transport.Conn, error) {}
