package router

import (
	"sync"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/core/transport"
)

// Request hooks that call out (a plugin that has no cached verdict) take a
// round trip to answer. Asking them on the client connection's reader
// would hold up every request behind the one waiting, and an Ice client
// sends all its requests through the router on that one connection. So
// such a request is decided on a goroutine of its own while the reader goes
// on, and the requests behind it are decided meanwhile too; but they leave
// in the order they came, as through Glacier2, because a client relies on
// the order of its oneways, and a server with one dispatch thread on the
// order of everything.

// maxHookedRequests bounds one connection's requests waiting for hooks or
// for the ones before them: beyond it the reader waits, and so the client.
const maxHookedRequests = 128

// hookedRequests is a client connection's requests that hooks decide on
// off its reader, in arrival order.
type hookedRequests struct {
	mu   sync.Mutex
	room sync.Cond
	q    []*hookedRequest
	// draining is set while a goroutine sends the decided requests at the
	// head of q, the last of which may have left q already.
	draining bool
}

// hookedRequest is a request and what forwarding it needs, with the hooks'
// outcome once they have decided.
type hookedRequest struct {
	s       *Session
	m       *transport.Message // a whole Request message, owned
	req     ice.Request
	proxy   *ice.Proxy
	conn    *transport.Conn
	view    *reqView
	outcome intercept.Outcome
	decided bool
}

// hookedBusy reports whether requests are waiting, so that the next one must
// wait behind them even if its hooks answer at once. Only the reader calls
// it.
func (cc *clientConn) hookedBusy() bool {
	h := cc.hooked
	if h == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.q) > 0 || h.draining
}

// decideLater queues a request whose hooks have answered (o) or have rest
// left to run, which a goroutine of its own runs. m stays the request's:
// one of a batch is copied out of it first.
func (cc *clientConn) decideLater(s *Session, m *transport.Message, req *ice.Request, owned bool, proxy *ice.Proxy,
	conn *transport.Conn, view *reqView, o intercept.Outcome, rest intercept.Rest) {
	r := cc.r
	if !owned {
		// The batch's buffer goes back to the reader when handle returns.
		m = forwardMessage(m, req, false, false, nil, nil)
		own, err := ice.ParseRequest(m.Body())
		if err != nil {
			// What was parsed once parses again; nothing to forward if not.
			m.Release()
			return
		}
		req = &own
		view.req = own
	}
	if cc.hooked == nil {
		cc.hooked = &hookedRequests{}
		cc.hooked.room.L = &cc.hooked.mu
	}
	h := cc.hooked
	j := &hookedRequest{s: s, m: m, req: *req, proxy: proxy, conn: conn, view: view}
	h.mu.Lock()
	for len(h.q) >= maxHookedRequests {
		// What this reader has queued but not yet written may be what the
		// requests ahead wait for (the session's bound on requests in
		// flight): write it before waiting.
		h.mu.Unlock()
		cc.c.Batch().Flush()
		h.mu.Lock()
		if len(h.q) >= maxHookedRequests {
			h.room.Wait()
		}
	}
	h.q = append(h.q, j)
	h.mu.Unlock()
	// A graceful close waits for the requests queued here as for those
	// forwarded.
	cc.c.DispatchStarted()
	if rest.Empty() {
		cc.hookDecided(h, j, o)
		return
	}
	go func() { cc.hookDecided(h, j, r.hooks.RequestRest(r.hookContext(), rest, view)) }()
}

// hookDecided records j's outcome and, unless another goroutine is at it,
// sends the decided requests at the head of the queue.
func (cc *clientConn) hookDecided(h *hookedRequests, j *hookedRequest, o intercept.Outcome) {
	h.mu.Lock()
	j.outcome, j.decided = o, true
	if h.draining {
		h.mu.Unlock()
		return
	}
	h.draining = true
	for len(h.q) > 0 && h.q[0].decided {
		next := h.q[0]
		h.q[0] = nil
		h.q = h.q[1:]
		h.room.Signal()
		h.mu.Unlock()
		cc.sendDecided(next)
		h.mu.Lock()
	}
	h.draining = false
	h.mu.Unlock()
}

// sendDecided acts on a queued request's outcome, unless its session ended
// while the hooks decided.
func (cc *clientConn) sendDecided(j *hookedRequest) {
	defer cc.c.DispatchDone()
	if j.s.destroyed.Load() || cc.c.Err() != nil {
		j.m.Release()
		return
	}
	cc.r.decided(nil, j.s, cc, j.m, &j.req, true, j.proxy, j.conn, j.view, j.outcome)
}
