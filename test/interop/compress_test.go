package interop

import "testing"

// bzip2-compressed requests and replies in both directions: the client
// compresses everything it sends and accepts compressed replies, the router
// compresses what it forwards (Ice.Override.Compress), and the payload
// arrives intact both ways.

func init() {
	scenarios = append(scenarios, scenario{"compressed", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		r := e.router(t, props{
			"Glacier2.PermissionsVerifier": nullVerifier,
			"Ice.Override.Compress":        "1",
		})
		res := client(t, r, "echo", "--hello", hello, "--size", "200000", "--Ice.Override.Compress=1")
		res.want(t, "echoed", map[string]any{"sent": 200000, "received": 200000, "equal": true})
	}})
}
