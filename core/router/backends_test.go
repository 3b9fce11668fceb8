package router

import (
	"testing"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/transport"
)

// With backend_connections, sessions spread over that many connections to
// one backend endpoint, and each session keeps to one of them so that the
// server receives its requests in order.
func TestSessionsSpreadOverBackendConnections(t *testing.T) {
	for _, tc := range []struct {
		name          string
		conns         int
		sessions      int
		wantBackConns int
	}{
		{"one shared connection by default", 0, 4, 1},
		{"one shared connection", 1, 4, 1},
		{"two connections", 2, 4, 2},
		{"more connections than sessions", 8, 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := startBackend(t)
			cfg := baseConfig()
			cfg.BackendConnections = tc.conns
			r := runRouter(t, cfg)
			p := b.proxy("o")
			used := map[*transport.Conn]bool{}
			for i := range tc.sessions {
				c := dialRaw(t, r)
				c.createSession()
				if rep := c.call(2, "addProxies", func(e *ice.Encoder) { e.WriteProxySeq([]*ice.Proxy{p}) }); rep.Status != ice.ReplyOK {
					t.Fatalf("addProxies: %s", rep.Status)
				}
				before := b.received()
				for j := range 5 {
					if j%2 == 0 {
						c.writeOneway(p.Identity, "note", "")
						continue
					}
					if rep := c.send(ice.RequestSpec{ID: int32(10 + j), Identity: p.Identity, Operation: "op"}); rep.Status != ice.ReplyOK {
						t.Fatalf("session %d request %d: %s", i, j, rep.Status)
					}
				}
				// A twoway behind the last oneway: its reply says that one arrived.
				if rep := c.send(ice.RequestSpec{ID: 20, Identity: p.Identity, Operation: "op"}); rep.Status != ice.ReplyOK {
					t.Fatalf("session %d last request: %s", i, rep.Status)
				}
				b.mu.Lock()
				mine := map[*transport.Conn]bool{}
				for _, bc := range b.conns[before:] {
					mine[bc] = true
					used[bc] = true
				}
				n := len(b.conns) - before
				b.mu.Unlock()
				if n != 6 || len(mine) != 1 {
					t.Fatalf("session %d: %d requests reached the backend on %d connections, want 6 on 1", i, n, len(mine))
				}
			}
			if len(used) != tc.wantBackConns {
				t.Fatalf("%d sessions used %d backend connections, want %d", tc.sessions, len(used), tc.wantBackConns)
			}
			if n := r.Stats().BackendConnections; n != tc.wantBackConns {
				t.Fatalf("Stats().BackendConnections = %d, want %d", n, tc.wantBackConns)
			}
		})
	}
}
