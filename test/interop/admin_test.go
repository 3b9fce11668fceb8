package interop

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/floe-router/floe/internal/testutil"
)

// The Ice admin object and Ice.PrintAdapterReady, as tools and scripts
// around glacier2router use them.

func init() {
	scenarios = append(scenarios, scenario{"ice-admin", func(t *testing.T, e *env) {
		adminPort := testutil.FreePort(t)
		r := e.router(t, props{
			"Glacier2.PermissionsVerifier": nullVerifier,
			"Glacier2.Server.Endpoints":    serverEndpoints,
			"Ice.Admin.Endpoints":          fmt.Sprintf("tcp -h 127.0.0.1 -p %d", adminPort),
			"Ice.Admin.InstanceName":       "RouterAdmin",
			"Ice.PrintAdapterReady":        "1",
		})
		for _, adapter := range []string{"Ice.Admin", "Glacier2.Client", "Glacier2.Server"} {
			if _, err := r.proc.WaitLine(adapter+" ready", readyTimeout); err != nil {
				t.Errorf("no %q line: %v", adapter+" ready", err)
			}
		}
		if err := r.proc.WaitPort(adminPort, readyTimeout); err != nil {
			t.Fatal(err)
		}
		p := startPython(t, "admin", "admin.py", false, "--admin",
			fmt.Sprintf("RouterAdmin/admin:tcp -h 127.0.0.1 -p %d", adminPort), "--shutdown")
		line, err := p.WaitLine("RESULT ", readyTimeout)
		if err != nil {
			t.Fatal(err)
		}
		var res map[string]map[string]any
		if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "RESULT ")), &res); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"propertiesIsA": true,
			"instanceName":  instanceName,
			"missing":       "",
			"clientPrefix":  []any{"Glacier2.Client.ACM.Close", "Glacier2.Client.Endpoints"},
			"setProperties": nil,
			"added":         "yes",
			"writeMessage":  nil,
			"shutdown":      nil,
		}
		for step, v := range want {
			if got, ok := res[step]["value"]; !ok || !reflect.DeepEqual(got, v) {
				t.Errorf("%s: got %v, want value %v", step, res[step], v)
			}
		}
		if id := res["noFacet"]["error"]; id == nil || id.(map[string]any)["id"] != "::Ice::FacetNotExistException" {
			t.Errorf("noFacet: got %v, want FacetNotExistException", res["noFacet"])
		}
		// Process.shutdown ends the router with status 0.
		if err := r.proc.Wait(15 * time.Second); err != nil {
			t.Errorf("router after Process.shutdown: %v", err)
		}
		if !strings.Contains(r.proc.Stdout(), "hello from the admin test") {
			t.Errorf("writeMessage(fd 1) did not reach the router's stdout")
		}
	}})
}
