package interop

import (
	"os"
	"path/filepath"
	"testing"
)

// A property file that sets Floe.BackendConnections serves both routers:
// glacier2router ignores the prefix it does not know, and every session's
// calls reach the server on its one connection; floe spreads consecutive
// sessions over two connections, each session keeping to its own.

func init() {
	scenarios = append(scenarios, scenario{"backend-connections", func(t *testing.T, e *env) {
		hello, _ := server(t, "A")
		file := filepath.Join(t.TempDir(), "config.router")
		if err := os.WriteFile(file, []byte("# floe's own; glacier2router ignores it\nFloe.BackendConnections=2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := e.router(t, props{"Glacier2.PermissionsVerifier": nullVerifier, "Ice.Config": file})
		var sessions [2][]string
		for i := range sessions {
			res := client(t, r, "connections", "--hello", hello, "--count", "4")
			res.value(t, "connections", &sessions[i])
			if len(sessions[i]) != 4 {
				t.Fatalf("session %d: %d answers, want 4", i, len(sessions[i]))
			}
			for _, c := range sessions[i][1:] {
				if c != sessions[i][0] {
					t.Fatalf("session %d's calls came on different connections: %q", i, sessions[i])
				}
			}
		}
		same := sessions[0][0] == sessions[1][0]
		if want := e.kind == "glacier2"; same != want {
			t.Errorf("%s: two sessions' calls on the same backend connection: %v, want %v (%q, %q)",
				e.kind, same, want, sessions[0][0], sessions[1][0])
		}
	}})
}
