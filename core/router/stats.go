package router

import (
	"slices"
	"sync/atomic"
	"time"

	"github.com/floe-router/floe/core/transport"
)

// routerStats are the router's totals over sessions that have ended; live
// sessions keep their own counts until then.
type routerStats struct {
	sessionsCreated, sessionsDestroyed atomic.Uint64
	forwarded, callbacks, rejected     atomic.Uint64
	clientConns                        atomic.Int64
}

func (st *routerStats) fold(s *Session) {
	st.sessionsDestroyed.Add(1)
	st.forwarded.Add(s.forwarded.Load())
	st.callbacks.Add(s.callbacks.Load())
	st.rejected.Add(s.rejected.Load())
}

// Stats is a snapshot of the router's activity since it started.
type Stats struct {
	Sessions          int    // open now
	SessionsCreated   uint64 // createSession and createSessionFromSecureConnection that succeeded
	SessionsDestroyed uint64
	// Requests forwarded from clients to servers (twoway, oneway and
	// batched), callbacks forwarded from servers to clients, and requests
	// either way a filter or a hook rejected.
	Forwarded, Callbacks, Rejected uint64
	ClientConnections              int // open client connections, with or without a session
	// ParkedClientConnections are the client connections idle long
	// enough to have given up their reader (tcp, ssl, ws and wss).
	ParkedClientConnections int
	// BackendConnections are the open connections floe made to servers:
	// one per endpoint in use, or up to backend_connections each.
	BackendConnections int
}

// Stats sums the totals and the live sessions' counts. A session ending
// meanwhile may be counted twice or not at all in this one snapshot, never
// lost from the next.
func (r *Router) Stats() Stats {
	live := r.sessions.all()
	st := Stats{
		Sessions:          len(live),
		SessionsCreated:   r.stats.sessionsCreated.Load(),
		SessionsDestroyed: r.stats.sessionsDestroyed.Load(),
		Forwarded:         r.stats.forwarded.Load(),
		Callbacks:         r.stats.callbacks.Load(),
		Rejected:          r.stats.rejected.Load(),
		ClientConnections: int(r.stats.clientConns.Load()),
		// Only client connections park: no other options set ParkIdleAfter.
		ParkedClientConnections: transport.Parked(),
	}
	if r.pool != nil {
		st.BackendConnections = len(r.pool.Conns())
	}
	for _, s := range live {
		if s.destroyed.Load() {
			continue
		}
		st.Forwarded += s.forwarded.Load()
		st.Callbacks += s.callbacks.Load()
		st.Rejected += s.rejected.Load()
	}
	return st
}

// SessionInfo describes one live session, for the admin endpoint.
type SessionInfo struct {
	ID           string    `json:"id"`
	User         string    `json:"user"`
	Category     string    `json:"category,omitempty"` // for callbacks, when there are server endpoints
	Remote       string    `json:"remote"`
	Created      time.Time `json:"created"`
	LastActivity time.Time `json:"last_activity"`
	Routes       int       `json:"routes"` // proxies in its routing table
	Forwarded    uint64    `json:"forwarded"`
	Callbacks    uint64    `json:"callbacks"`
	Rejected     uint64    `json:"rejected"`
}

// SessionInfos describes the live sessions, oldest first.
func (r *Router) SessionInfos() []SessionInfo {
	live := r.sessions.all()
	out := make([]SessionInfo, 0, len(live))
	for _, s := range live {
		out = append(out, SessionInfo{
			ID: s.ID, User: s.User, Category: s.Category, Remote: s.Conn().RemoteAddr().String(),
			Created: s.Created, LastActivity: time.Unix(0, s.lastActivity.Load()), Routes: s.table.Len(),
			Forwarded: s.forwarded.Load(), Callbacks: s.callbacks.Load(), Rejected: s.rejected.Load(),
		})
	}
	slices.SortFunc(out, func(a, b SessionInfo) int { return a.Created.Compare(b.Created) })
	return out
}
