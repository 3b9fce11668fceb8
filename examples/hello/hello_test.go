// Package hello holds the hello demo; its test runs the demo's own script, so
// what the README shows keeps working.
package hello

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floe-router/floe/internal/testutil"
)

func TestRunScript(t *testing.T) {
	testutil.RequirePeer(t, "python3-zeroc-ice", testutil.CheckCommand("/usr/bin/python3", "-c", "import Ice, Glacier2"))
	ports := testutil.FreePorts(t, 3)
	p := testutil.Start(t, testutil.Options{Path: "./run.sh", Env: []string{
		"HELLO_ROUTER_PORT=" + strconv.Itoa(ports[0]),
		"HELLO_CALLBACK_PORT=" + strconv.Itoa(ports[1]),
		"HELLO_SERVER_PORT=" + strconv.Itoa(ports[2]),
	}})
	if err := p.Wait(2 * time.Minute); err != nil {
		t.Fatalf("run.sh: %v\n%s", err, p.Tail())
	}
	out := p.Stdout()
	for _, want := range []string{"Hello, floe user!", "callback 3 of 3", "session destroyed; bye"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}
