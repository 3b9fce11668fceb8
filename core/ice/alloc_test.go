package ice

import (
	"runtime"
	"testing"
)

// maxRejectAlloc is what rejecting hostile input may cost: an error value
// and its text, never anything sized by the input.
const maxRejectAlloc = 2048

// limitAlloc fails the test when f allocates more than maxRejectAlloc bytes
// a call on average.
func limitAlloc(t *testing.T, what string, f func()) {
	t.Helper()
	const runs = 50
	f() // warm up
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		f()
	}
	runtime.ReadMemStats(&after)
	if perCall := (after.TotalAlloc - before.TotalAlloc) / runs; perCall > maxRejectAlloc {
		t.Fatalf("%s: %d bytes allocated a call", what, perCall)
	}
}
