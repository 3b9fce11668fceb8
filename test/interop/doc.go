// Package interop proves that floe behaves like Glacier2, with the real
// ZeroC Ice 3.7 runtime on both sides of it.
//
// Every scenario runs twice, against the reference router glacier2router and
// against floe, both started with the same Glacier2 properties (glacier2router
// --K=V..., floe glacier2 --K=V...), on loopback ports from the OS. The Ice
// peers are Python programs in py/ run with /usr/bin/python3 and code that
// slice2py generates from slice/Test.ice when the tests start: server.py (the
// backends), verifier.py (a permissions verifier and session manager) and
// client.py, which performs a scenario and prints what happened as JSON. The
// Go side only starts processes and checks what they report; all Ice
// behaviour comes from the real runtime.
//
// Tests are named TestInterop/<router>/<scenario>:
//
//	go test ./test/interop/ -run '/glacier2$'     # the reference router only
//	go test ./test/interop/ -run '/floe/echo'     # one scenario against floe
//
// Without glacier2router, python3-zeroc-ice or slice2py the tests that need
// them are skipped, or fail under CI=true. FLOE_BIN, an absolute path, names a floe
// binary to use instead of building ./cmd/floe.
//
// This package has no non-test code beyond this comment.
package interop
