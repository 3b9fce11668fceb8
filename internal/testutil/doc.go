// Package testutil runs the real external processes that floe's end-to-end
// tests drive: routers (floe, glacier2router), Ice servers and clients written
// against the real Ice runtime, IceGrid, load generators.
//
// A test starts a process with Start; its stdout and stderr are captured and
// shown in the test log when the test fails, the process (with its whole
// process group) is killed and reaped when the test ends, and on Linux it also
// dies with the test binary, so a panicking or timed-out test leaves nothing
// behind. WaitLine waits for a line the process prints (for example
// "READY <proxy>"), WaitPort for a TCP port it listens on; both give up early,
// with the process's stderr in the error, when it exits first. FreePort picks
// a loopback port from the OS for programs that cannot report the port they
// bound. RequirePeer decides what a missing external program means: a failure
// under CI=true, a skip otherwise. DocSection hands a test a section of the
// documentation, so documented examples can be held to what the code does.
//
// This package is for tests only; it imports nothing else of floe's.
package testutil
