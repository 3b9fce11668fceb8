package router

import (
	"context"
	"crypto/rand"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/transport"
	"github.com/floe-router/floe/sdk"
	"github.com/hashicorp/go-hclog"
)

// Session is one client's session: created by createSession on a client
// connection and bound to it until destroyed.
type Session struct {
	ID   string
	User string
	// Category is the random category of the client's callback objects;
	// empty when the router has no server endpoints.
	Category string
	// Proxy is the session object the session manager returned, or nil.
	Proxy *ice.Proxy

	// view is the session as hooks see it.
	view     *sdk.Session
	client   *clientConn
	table    *RoutingTable
	filters  *filters
	controls *sessionControls   // nil unless a session manager was given a SessionControl
	conCtx   *connectionContext // added to forwarded requests (Glacier2.AddConnectionContext=1), or nil
	// lane is which of each backend endpoint's connections (backend_connections)
	// carries the session's requests: always the same one, so that a
	// server receives them in the order the client sent them.
	lane int
	// Paced buffered-mode queues (nil unless a sleep time is configured).
	toServer, toClient *requestQueue
	log                hclog.Logger

	lastActivity atomic.Int64
	destroyed    atomic.Bool
	inflight     chan struct{} // a token per twoway request awaiting its reply

	// Created is when the session was opened.
	Created time.Time
	// Counted per session, so that sessions do not contend for one counter;
	// destroySession folds them into the router's totals.
	forwarded, callbacks, rejected atomic.Uint64
}

var sessionIDs atomic.Uint64

func (s *Session) touch() { s.lastActivity.Store(time.Now().UnixNano()) }

// Conn is the client connection the session is bound to.
func (s *Session) Conn() *transport.Conn { return s.client.c }

// randomCategory returns 20 printable ASCII characters (33-126), as Glacier2
// draws the callback category.
func randomCategory() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	for i, c := range b {
		b[i] = 33 + c%94
	}
	return string(b[:])
}

type sessionRegistry struct {
	mu         sync.RWMutex
	byCategory map[string]*Session
	byID       map[string]*Session
}

func newSessionRegistry() *sessionRegistry {
	return &sessionRegistry{byCategory: make(map[string]*Session), byID: make(map[string]*Session)}
}

func (g *sessionRegistry) add(s *Session) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if s.Category != "" {
		if _, dup := g.byCategory[s.Category]; dup {
			return false
		}
		g.byCategory[s.Category] = s
	}
	g.byID[s.ID] = s
	return true
}

func (g *sessionRegistry) remove(s *Session) {
	g.mu.Lock()
	if s.Category != "" && g.byCategory[s.Category] == s {
		delete(g.byCategory, s.Category)
	}
	delete(g.byID, s.ID)
	g.mu.Unlock()
}

// byCategoryBytes looks a session up by callback category without
// allocating.
func (g *sessionRegistry) byCategoryBytes(c []byte) *Session {
	g.mu.RLock()
	s := g.byCategory[string(c)]
	g.mu.RUnlock()
	return s
}

func (g *sessionRegistry) all() []*Session {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]*Session, 0, len(g.byID))
	for _, s := range g.byID {
		out = append(out, s)
	}
	return out
}

// Sessions returns the live sessions.
func (r *Router) Sessions() []*Session { return r.sessions.all() }

// newSession builds a session for cc; register makes it reachable.
func (r *Router) newSession(cc *clientConn, user string, addUser bool) *Session {
	id := sessionIDs.Add(1)
	s := &Session{
		ID:       strconv.FormatUint(id, 10),
		User:     user,
		client:   cc,
		table:    NewRoutingTable(r.cfg.Session.RoutingTableSize),
		filters:  r.newFilters(user, addUser),
		inflight: make(chan struct{}, maxInflightPerSession),
		toServer: newRequestQueue(r.cfg.Client.Buffering),
	}
	if n := r.cfg.BackendConnections; n > 1 {
		s.lane = int(id % uint64(n))
	}
	if r.cfg.Server != nil {
		s.toClient = newRequestQueue(r.cfg.Server.Buffering)
	}
	s.Created = time.Now()
	s.view = &sdk.Session{ID: s.ID, User: user, Attributes: map[string]string{}}
	s.log = r.log.With("session", s.ID, "user", user)
	s.touch()
	return s
}

// register adds s to the registry under a fresh callback category.
func (r *Router) register(s *Session) {
	for {
		if len(r.serverListeners) > 0 {
			s.Category = randomCategory()
		}
		if r.sessions.add(s) {
			return
		}
	}
}

// destroySession ends s: it is unbound from its connection (which stays
// open, as in Glacier2) and the session manager's session is destroyed.
func (r *Router) destroySession(s *Session, why string) {
	if !s.destroyed.CompareAndSwap(false, true) {
		return
	}
	r.sessions.remove(s)
	r.stats.fold(s)
	r.controls.remove(s.controls)
	s.toServer.close()
	s.toClient.close()
	s.client.session.CompareAndSwap(s, nil)
	r.traceLog(s.log, r.cfg.Trace.Session > 0)("session destroyed", "reason", why)
	if r.hooks.Has(sdk.SessionDestroyed) {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.hooks.Session(context.WithoutCancel(r.ctx), sdk.SessionDestroyed, s.view)
		}()
	}
	if s.Proxy != nil {
		// Glacier2 destroys the session object asynchronously and only
		// logs a failure.
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 30*time.Second)
			defer cancel()
			var conCtx ice.Context
			if s.conCtx != nil {
				conCtx = s.conCtx.entries
			}
			if _, err := r.invoke(ctx, s.Proxy, "destroy", ice.Normal, conCtx, nil); err != nil {
				s.log.Warn("destroying the session manager's session failed", "error", err)
			}
		}()
	}
}

// expireSessions destroys sessions idle for longer than timeout, checking
// four times per timeout as Glacier2 does.
func (r *Router) expireSessions(timeout time.Duration) {
	defer r.wg.Done()
	t := time.NewTicker(timeout / 4)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case now := <-t.C:
			min := now.Add(-timeout).UnixNano()
			for _, s := range r.sessions.all() {
				if s.lastActivity.Load() < min {
					r.destroySession(s, "expired")
				}
			}
		}
	}
}
