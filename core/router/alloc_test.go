//go:build !race

package router

import "testing"

// TestForwardingAllocatesNothing holds the forwarding path to issue 6's
// target of no allocation per forwarded request (and its reply) in steady
// state, which the benchmarks in bench_test.go measure: a change that
// allocates per request (a closure capturing the parsed request makes it
// escape, for one) fails here rather than in a number nobody reruns. The
// race detector allocates on its own, hence the build tag.
func TestForwardingAllocatesNothing(t *testing.T) {
	backend := startRawBackend(t)
	c := dialBench(t, startBenchRouter(t), backend)
	if err := c.pipeline(5000, 16); err != nil { // warm up: pools filled, connections open
		t.Fatal(err)
	}
	const n = 5000
	var err error
	perRequest := testing.AllocsPerRun(5, func() {
		if e := c.pipeline(n, 16); e != nil {
			err = e
		}
	}) / n
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%.4f allocations per forwarded request", perRequest)
	// A few allocations now and then (a timer, a map growing) are not per
	// request; one per request would be 1.
	if perRequest > 0.01 {
		t.Fatalf("%.3f allocations per forwarded request, want none", perRequest)
	}
}
