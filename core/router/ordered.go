package router

import (
	"context"
	"sync"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/core/transport"
	"github.com/floe-router/floe/sdk"
)

// Request hooks that call out (a plugin that has no cached verdict) take a
// round trip to answer. Asking them on the reader of the connection the
// request came on would hold up every request behind the one waiting, and
// an Ice client sends all its requests through the router on one
// connection (a server all its callbacks, too). So such a request is
// decided on a goroutine of its own while the reader goes on, and the
// requests behind it are decided meanwhile too; but they leave in the order
// they came, as through Glacier2, because a client relies on the order of
// its oneways, and a server with one dispatch thread on the order of
// everything.

// Bounds of one connection's requests waiting for hooks or for the ones
// before them, in number and in bytes (one request of any size may wait):
// beyond them the reader waits, and so the peer.
const (
	maxHookedRequests = 128
	maxHookedBytes    = 4 << 20
)

// hookedRequests is one connection's requests that hooks decide on off its
// reader, in arrival order.
type hookedRequests struct {
	mu   sync.Mutex
	room sync.Cond
	q    []*hookedRequest
	// bytes is the size of the messages in q.
	bytes int
	// draining is set while a goroutine sends the decided requests at the
	// head of q, the last of which may have left q already.
	draining bool
}

// hookedRequest is a request waiting in hookedRequests, with what acting
// on it takes, and the hooks' outcome once they have decided.
type hookedRequest struct {
	point sdk.Point // sdk.Request (from a client) or sdk.Callback (from a server)
	s     *Session
	view  *reqView // nil without hooks at point (a reload removed them)
	// Where a client's request goes, as its routing table said.
	proxy *ice.Proxy
	conn  *transport.Conn

	m       *transport.Message // a whole Request message, owned
	req     ice.Request
	outcome intercept.Outcome
	decided bool
}

// decide runs the hooks at j.point (when hooked) for a request read from
// rl's connection, as far as they answer at once, and reports true when the
// caller is to act on their outcome now, on the reader. Otherwise the request
// waits in rl's queue, because a hook must call out or because requests
// before it wait (busy), and sendDecided acts on it later, in order, as j
// says.
func (r *Router) decide(rl *relay, j hookedRequest, hooked, busy bool, m *transport.Message, req *ice.Request,
	owned bool) (intercept.Outcome, bool) {
	var o intercept.Outcome
	var rest intercept.Rest
	if hooked {
		o, rest = r.hooks.RequestQuick(r.hookContext(), j.point, j.view)
	}
	if rest.Empty() && !busy {
		return o, true
	}
	rl.decideLater(r.hookContext(), r.hooks, j, m, req, owned, o, rest)
	return intercept.Outcome{}, false
}

// hookedBusy reports whether requests are waiting, so that the next one
// must wait behind them even if its hooks answer at once.
func (rl *relay) hookedBusy() bool {
	h := rl.hooked
	if h == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.q) > 0 || h.draining
}

// decideLater queues a request, read from rl's connection, whose hooks have
// answered (o) or have rest left to run, which a goroutine of its own runs.
// m stays the request's: one of a batch is copied out of it first.
func (rl *relay) decideLater(ctx context.Context, hooks *intercept.Chain, j hookedRequest, m *transport.Message,
	req *ice.Request, owned bool, o intercept.Outcome, rest intercept.Rest) {
	if !owned {
		// The batch's buffer goes back to the reader when it is handled.
		m = forwardMessage(m, req, false, false, nil, nil)
		own, err := ice.ParseRequest(m.Body())
		if err != nil {
			// What was parsed once parses again; nothing to forward if not.
			m.Release()
			return
		}
		req = &own
		if j.view != nil {
			j.view.req = own
		}
	}
	if rl.hooked == nil {
		rl.hooked = &hookedRequests{}
		rl.hooked.room.L = &rl.hooked.mu
	}
	h := rl.hooked
	jp := &j
	jp.m, jp.req = m, *req
	h.mu.Lock()
	for h.full(len(m.Buf)) {
		// What this reader has queued but not yet written may be what the
		// requests ahead wait for (a session's bound on requests in
		// flight): write it before waiting.
		h.mu.Unlock()
		rl.c.Batch().Flush()
		h.mu.Lock()
		if h.full(len(m.Buf)) {
			h.room.Wait()
		}
	}
	h.q = append(h.q, jp)
	h.bytes += len(m.Buf)
	h.mu.Unlock()
	// A graceful close waits for the requests queued here as for those
	// forwarded.
	rl.c.DispatchStarted()
	if rest.Empty() {
		rl.hookDecided(h, jp, o)
		return
	}
	go func() { rl.hookDecided(h, jp, hooks.RequestRest(ctx, rest, jp.view)) }()
}

// full reports whether a request of n bytes must wait for room (under mu).
func (h *hookedRequests) full(n int) bool {
	return len(h.q) >= maxHookedRequests || (len(h.q) > 0 && h.bytes+n > maxHookedBytes)
}

// hookDecided records j's outcome and, unless another goroutine is at it,
// sends the decided requests at the head of the queue.
func (rl *relay) hookDecided(h *hookedRequests, j *hookedRequest, o intercept.Outcome) {
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
		h.bytes -= len(next.m.Buf)
		h.room.Signal()
		h.mu.Unlock()
		rl.sendDecided(next)
		h.mu.Lock()
	}
	h.draining = false
	h.mu.Unlock()
}

// sendDecided acts on a queued request's outcome; the request is dropped
// if its connection closed meanwhile.
func (rl *relay) sendDecided(j *hookedRequest) {
	defer rl.c.DispatchDone()
	switch {
	case rl.c.Err() != nil:
		j.m.Release()
	case j.s.destroyed.Load():
		goneWhileDecided(rl.c, j)
	case j.point == sdk.Callback:
		rl.r.callbackDecided(nil, rl, j.s, j.m, &j.req, true, j.view, j.outcome)
	default:
		rl.r.decided(nil, j.s, rl.c.Owner.(*clientConn), j.m, &j.req, true, j.proxy, j.conn, j.view, j.outcome)
	}
}

// goneWhileDecided answers a queued twoway request whose session ended
// while the hooks decided, as a request for an object the router no longer
// routes; a oneway is dropped.
func goneWhileDecided(c *transport.Conn, j *hookedRequest) {
	if j.req.ID != 0 {
		_ = c.Post(notExist(&j.req, ice.ReplyObjectNotExist, j.req.Operation()))
	}
	j.m.Release()
}
