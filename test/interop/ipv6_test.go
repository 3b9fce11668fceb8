package interop

import (
	"fmt"
	"net"
	"strings"
	"testing"
)

// IPv6: a client reaching the router on ::1, and a backend listening on ::1.

func init() {
	scenarios = append(scenarios, scenario{"ipv6", func(t *testing.T, e *env) {
		if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
			t.Skipf("no IPv6 loopback on this machine: %v", err)
		} else {
			ln.Close()
		}
		hello, _ := server(t, "A", "--host", "::1")
		if !strings.Contains(hello, `::1`) {
			t.Fatalf("backend is not on ::1: %s", hello)
		}
		r := e.router(t, props{
			"Glacier2.PermissionsVerifier": nullVerifier,
			"Glacier2.Client.Endpoints":    `tcp -h 127.0.0.1 -p %[1]d:tcp -h "::1" -p %[1]d`,
		})
		v6 := &router{proxy: fmt.Sprintf(`%s/router:tcp -h "::1" -p %d`, instanceName, r.port)}
		res := client(t, v6, "session", "--hello", hello)
		res.want(t, "sayHello", "Hello alice from hello-A")
		if got := res.str(t, "router"); !strings.Contains(got, "::1") {
			t.Errorf("router proxy %q does not use ::1", got)
		}
	}})
}
