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

// maxHookedRequests bounds one connection's requests waiting for hooks or
// for the ones before them: beyond it the reader waits, and so the peer.
const maxHookedRequests = 128

// hookedRequests is one connection's requests that hooks decide on off its
// reader, in arrival order.
type hookedRequests struct {
	mu   sync.Mutex
	room sync.Cond
	q    []*hookedRequest
	// draining is set while a goroutine sends the decided requests at the
	// head of q, the last of which may have left q already.
	draining bool
}

// hookedRequest is a request waiting in hookedRequests, with the hooks'
// outcome once they have decided.
type hookedRequest struct {
	m       *transport.Message // a whole Request message, owned
	req     ice.Request
	outcome intercept.Outcome
	decided bool
	// send acts on the outcome, in arrival order, off the reader.
	send func(j *hookedRequest)
}

// decide runs the hooks at p (when hooked) for a request read from rl's
// connection, of session s, and has act act on their outcome: at once on
// the reader (b its batch) when every hook answered at once and no request
// of the connection waits (busy), else later and in order, off the reader
// (b nil). A twoway request whose session ends meanwhile is answered as
// one for an object the router no longer routes.
func (r *Router) decide(rl *relay, p sdk.Point, hooked, busy bool, s *Session, m *transport.Message, req *ice.Request,
	owned bool, view *reqView, act func(b *transport.Batch, m *transport.Message, req *ice.Request, owned bool, o intercept.Outcome)) {
	var o intercept.Outcome
	var rest intercept.Rest
	if hooked {
		o, rest = r.hooks.RequestQuick(r.hookContext(), p, view)
	}
	if rest.Empty() && !busy {
		act(rl.c.Batch(), m, req, owned, o)
		return
	}
	rl.decideLater(r.hookContext(), r.hooks, m, req, owned, view, o, rest, func(j *hookedRequest) {
		if s.destroyed.Load() {
			goneWhileDecided(rl.c, j)
			return
		}
		act(nil, j.m, &j.req, true, j.outcome)
	})
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
// answered (o) or have rest left to run, which a goroutine of its own runs;
// send then acts on the outcome. m stays the request's: one of a batch is
// copied out of it first.
func (rl *relay) decideLater(ctx context.Context, hooks *intercept.Chain, m *transport.Message, req *ice.Request, owned bool, view *reqView,
	o intercept.Outcome, rest intercept.Rest, send func(*hookedRequest)) {
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
		if view != nil {
			view.req = own
		}
	}
	if rl.hooked == nil {
		rl.hooked = &hookedRequests{}
		rl.hooked.room.L = &rl.hooked.mu
	}
	h := rl.hooked
	j := &hookedRequest{m: m, req: *req, send: send}
	h.mu.Lock()
	for len(h.q) >= maxHookedRequests {
		// What this reader has queued but not yet written may be what the
		// requests ahead wait for (a session's bound on requests in
		// flight): write it before waiting.
		h.mu.Unlock()
		rl.c.Batch().Flush()
		h.mu.Lock()
		if len(h.q) >= maxHookedRequests {
			h.room.Wait()
		}
	}
	h.q = append(h.q, j)
	h.mu.Unlock()
	// A graceful close waits for the requests queued here as for those
	// forwarded.
	rl.c.DispatchStarted()
	if rest.Empty() {
		rl.hookDecided(h, j, o)
		return
	}
	go func() { rl.hookDecided(h, j, hooks.RequestRest(ctx, rest, view)) }()
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
	if rl.c.Err() != nil {
		j.m.Release()
		return
	}
	j.send(j)
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
