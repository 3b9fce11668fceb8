package interop

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/transport"
)

// TestPluginThroughput is the plugin benchmark: the same Ice load (the C++
// client cpp/load.cpp, on the real Ice runtime) through floe with no
// plugin, with a RequestFilter plugin asked about every request, and with
// the same plugin whose verdict is cached. It reports calls per second,
// the ratios to no plugin, and the median round trip at one call in
// flight, whose difference is the cost of a plugin call. It takes about
// 30 s, so it runs only with FLOE_BENCH=1 (make bench-plugins).
func TestPluginThroughput(t *testing.T) {
	if os.Getenv("FLOE_BENCH") == "" {
		t.Skip("a benchmark: set FLOE_BENCH=1 (make bench-plugins)")
	}
	requireIce(t)
	load := buildLoad(t)
	target := fastBackend(t)
	bin := pluginBinaries(t)
	seconds := 4.0
	if s := os.Getenv("FLOE_BENCH_SECONDS"); s != "" {
		seconds, _ = strconv.ParseFloat(s, 64)
	}
	guard := func(cache string) string {
		return fmt.Sprintf("plugin \"guard\" {\n  path    = %q\n  timeout = \"1s\"\n  config {\n    deny_operations = [\"shutdown\"]\n%s  }\n}\n",
			filepath.Join(bin, "testplugin"), cache)
	}
	configs := []struct{ name, hcl string }{
		{"no plugin", ""},
		{"plugin, every request", guard("")},
		{"plugin, cached verdict", guard("    cache_for = \"1h\"\n")},
	}
	type measure struct{ perSec, medianUs, p99Us float64 }
	results := map[string]map[int]measure{}
	for _, c := range configs {
		r := floeHCL(t, "auth {\n  allow_all = true\n}\n"+c.hcl)
		results[c.name] = map[int]measure{}
		for _, threads := range []int{1, 8} {
			out, err := exec.Command(load, r.proxy, target, strconv.Itoa(threads), fmt.Sprint(seconds)).CombinedOutput()
			if err != nil {
				t.Fatalf("%s, %d threads: %v\n%s", c.name, threads, err, out)
			}
			var calls, failures int
			var median, p99 float64
			line := strings.TrimSpace(string(out[bytes.LastIndex(out, []byte("RESULT ")):]))
			if _, err := fmt.Sscanf(line, "RESULT %d %d %g %g", &calls, &failures, &median, &p99); err != nil {
				t.Fatalf("load printed %q: %v", out, err)
			}
			if failures > 0 {
				t.Errorf("%s, %d threads: %d of %d calls failed", c.name, threads, failures, calls)
			}
			results[c.name][threads] = measure{float64(calls) / seconds, median, p99}
		}
		r.proc.Kill()
	}
	base := results["no plugin"]
	for _, c := range configs {
		for _, threads := range []int{1, 8} {
			m := results[c.name][threads]
			t.Logf("%-24s %d in flight: %7.0f calls/s (%.2f of no plugin), median %4.0f µs, p99 %5.0f µs",
				c.name, threads, m.perSec, m.perSec/base[threads].perSec, m.medianUs, m.p99Us)
		}
	}
	t.Logf("a plugin call costs %.0f µs (median round trip at 1 in flight, over no plugin); a cached verdict %.0f µs",
		results["plugin, every request"][1].medianUs-base[1].medianUs, results["plugin, cached verdict"][1].medianUs-base[1].medianUs)
	if ratio := results["plugin, cached verdict"][8].perSec / base[8].perSec; ratio < 0.85 {
		t.Errorf("with a cached verdict floe carries %.2f of its throughput without plugin; the target is at least 0.85", ratio)
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
