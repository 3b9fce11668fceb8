package router

import (
	"net"
	"runtime"
	"testing"
	"time"
)

// BenchmarkIdleSessionMemory reports what an idle session costs the router:
// Go heap and goroutine stacks per session once its client connection has
// parked. The clients live in the same process; each is one net.Conn (a few
// hundred bytes of heap), which the figures include. The resident memory a
// whole router process needs per idle session is measured by
// cmd/floe-bench's idle-sessions scenario.
func BenchmarkIdleSessionMemory(b *testing.B) {
	const sessions = 2000
	for i := 0; i < b.N; i++ {
		r := startBenchRouter(b)
		backend := startRawBackend(b)
		dialBench(b, r, backend) // the backend connection belongs to the baseline
		before := settledMemory(0)
		conns := make([]net.Conn, 0, sessions)
		for j := 0; j < sessions; j++ {
			conns = append(conns, dialBenchSized(b, r, backend, 4<<10).nc)
		}
		after := settledMemory(2*clientParkIdleAfter + 500*time.Millisecond)
		b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/sessions, "heap-B/session")
		b.ReportMetric(float64(int64(after.StackInuse)-int64(before.StackInuse))/sessions, "stack-B/session")
		b.ReportMetric(float64(runtime.NumGoroutine())/sessions, "goroutines/session")
		runtime.KeepAlive(conns)
	}
}

// settledMemory waits for d, collects garbage and reads the memory stats.
func settledMemory(d time.Duration) runtime.MemStats {
	time.Sleep(d)
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}
