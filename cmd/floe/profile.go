package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the whole run to $FLOE_CPUPROFILE
// and, at the end of the run, a heap profile to $FLOE_MEMPROFILE, for
// measuring floe under a real load (docs/performance.md); the returned
// function ends the run's profiling.
func startProfile() func() {
	stopCPU := startCPUProfile(os.Getenv("FLOE_CPUPROFILE"))
	memPath := os.Getenv("FLOE_MEMPROFILE")
	return func() {
		stopCPU()
		if memPath != "" {
			writeHeapProfile(memPath)
		}
	}
}

func startCPUProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floe: FLOE_CPUPROFILE:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "floe: FLOE_CPUPROFILE:", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// writeHeapProfile writes what the run allocated and what it still held at
// the last collection; the bytes allocated, not only those in use, are what
// explain a resident set that no collection has run to shrink.
func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "floe: FLOE_MEMPROFILE:", err)
	}
}
