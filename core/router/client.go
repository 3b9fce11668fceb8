package router

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/core/transport"
	"github.com/floe-router/floe/sdk"
)

// clientConn is the router's state for one client connection.
type clientConn struct {
	r *Router
	c *transport.Conn
	relay
	session atomic.Pointer[Session]
	// hadSession is set once a session was bound; a heartbeat on such a
	// connection after its session is gone closes it, as in Glacier2.
	hadSession atomic.Bool
	// createMu serializes createSession calls on one connection.
	createMu sync.Mutex
	view     atomic.Pointer[sdk.Connection]
}

// connView describes the connection to hooks, built on first use.
func (cc *clientConn) connView() *sdk.Connection {
	if v := cc.view.Load(); v != nil {
		return v
	}
	v := connectionView(cc.c)
	cc.view.CompareAndSwap(nil, v)
	return cc.view.Load()
}

func newClientConn(r *Router, c *transport.Conn) *clientConn {
	cc := &clientConn{r: r, c: c}
	cc.relay.c = c
	cc.relay.r = r
	cc.relay.onDone = cc.replyDelivered
	return cc
}

func (cc *clientConn) replyDelivered() {
	if s := cc.session.Load(); s != nil {
		select {
		case <-s.inflight:
		default:
		}
	}
}

// clientHandler receives what clients send.
type clientHandler struct{ r *Router }

func (h clientHandler) Request(c *transport.Conn, m *transport.Message) {
	cc := c.Owner.(*clientConn)
	if m.Header.Type == ice.RequestMsg {
		// The common case is handled without a closure, so the decoded
		// request stays on the stack.
		req, err := ice.ParseRequest(m.Body())
		if err != nil {
			m.Release()
			h.r.protocolError(c, err)
			return
		}
		cc.handle(m, &req, true)
		return
	}
	h.r.eachRequest(c, m, func(req *ice.Request, owned bool) { cc.handle(m, req, owned) })
}

// eachRequest calls fn with the request of a Request message (owned: fn
// takes over m) or with each request of a BatchRequest in turn (not owned:
// m is released afterwards). A malformed message closes c.
func (r *Router) eachRequest(c *transport.Conn, m *transport.Message, fn func(req *ice.Request, owned bool)) {
	if m.Header.Type == ice.BatchRequestMsg {
		err := ice.ParseBatchRequest(m.Body(), func(req ice.Request) error {
			fn(&req, false)
			return nil
		})
		m.Release()
		if err != nil {
			r.protocolError(c, err)
		}
		return
	}
	req, err := ice.ParseRequest(m.Body())
	if err != nil {
		m.Release()
		r.protocolError(c, err)
		return
	}
	fn(&req, true)
}

func (h clientHandler) Heartbeat(c *transport.Conn) {
	cc := c.Owner.(*clientConn)
	if s := cc.session.Load(); s != nil {
		s.touch()
	} else if cc.hadSession.Load() {
		c.Abort(errors.New("heartbeat on a connection whose session is gone"))
	}
}

func (h clientHandler) Closed(c *transport.Conn, err error) {
	cc := c.Owner.(*clientConn)
	h.r.stats.clientConns.Add(-1)
	h.r.forgetConn(c)
	if s := cc.session.Load(); s != nil {
		h.r.destroySession(s, "client connection closed: "+err.Error())
	}
	h.r.log.Debug("client connection closed", "conn", c.ID(), "remote", c.RemoteAddr().String(), "reason", err)
}

func (r *Router) protocolError(c *transport.Conn, err error) {
	r.log.Warn("closing connection: malformed message", "conn", c.ID(), "remote", c.RemoteAddr().String(), "error", err)
	c.Abort(fmt.Errorf("%w: %w", transport.ErrProtocol, err))
}

// handle routes one request from a client. owned says whether the request
// is the whole of m (a Request message, which handle then owns) or one of a
// batch (m belongs to the caller).
func (cc *clientConn) handle(m *transport.Message, req *ice.Request, owned bool) {
	r := cc.r
	if req.IdentityEquals(r.routerID) || req.IdentityEquals(r.finderID) {
		r.dispatchLocal(cc, m, req, owned)
		return
	}
	s := cc.session.Load()
	if s == nil {
		if owned {
			m.Release()
		}
		r.traceLog(r.log, r.cfg.Trace.ClientReject > 0)("rejecting request: no session is associated with the connection", "conn", cc.c.ID(),
			"remote", cc.c.RemoteAddr().String(), "identity", req.Identity().String(), "operation", req.Operation())
		cc.c.Abort(errors.New("request without a session"))
		return
	}
	s.touch()
	proxy, conn := s.table.Get(req.IdentityBytes())
	if proxy == nil {
		if owned {
			m.Release()
		}
		s.log.Debug("identity not in routing table", "identity", req.Identity().String(), "operation", req.Operation())
		if req.ID != 0 {
			// Ice clients answer this special operation name by adding the
			// proxy again and retrying.
			_ = cc.c.Post(notExist(req, ice.ReplyObjectNotExist, "ice_add_proxy"))
		}
		return
	}
	if ok, rejectedBy := s.filters.admits(req, proxy); !ok {
		s.rejected.Add(1)
		if owned {
			m.Release()
		}
		r.traceLog(s.log, r.cfg.Trace.ClientReject > 0)("rejecting request", "filters", rejectedBy,
			"identity", req.Identity().String(), "operation", req.Operation())
		if req.ID != 0 {
			// Glacier2 raises it with no facet or operation; Ice's dispatch
			// then fills in the request's.
			_ = cc.c.Post(notExist(req, ice.ReplyObjectNotExist, req.Operation()))
		}
		return
	}
	if r.cfg.Trace.ClientRequest > 0 || s.log.IsTrace() {
		r.traceLog(s.log, r.cfg.Trace.ClientRequest > 0)("routing", "proxy", proxy.String(),
			"operation", req.Operation(), "context", req.Context())
	}
	var view *reqView
	hooked := r.hooks.Has(sdk.Request)
	if hooked || r.hooks.Has(sdk.Reply) {
		view = &reqView{point: sdk.Request, req: *req, sess: s, conn: cc.connView(), target: proxy}
	}
	// Requests still waiting for hooks (even ones a reload has removed
	// since) go first.
	if busy := cc.hookedBusy(); hooked || busy {
		j := hookedRequest{point: sdk.Request, s: s, view: view, proxy: proxy, conn: conn}
		if o, now := r.decide(&cc.relay, j, hooked, busy, m, req, owned); now {
			r.decided(cc.c.Batch(), s, cc, m, req, owned, proxy, conn, view, o)
		}
		return
	}
	r.forwardToServer(cc.c.Batch(), s, cc, m, req, owned, proxy, conn, view)
}

// decided acts on the request hooks' outcome o for req (view is nil
// without hooks): it answers a denied request, or forwards it, to the
// target a hook chose if one did.
// b is the batch of the client's reader, nil on any other goroutine.
func (r *Router) decided(b *transport.Batch, s *Session, cc *clientConn, m *transport.Message, req *ice.Request,
	owned bool, proxy *ice.Proxy, conn *transport.Conn, view *reqView, o intercept.Outcome) {
	if o.Deny {
		s.rejected.Add(1)
		denyRequest(s.log, cc.c, m, req, owned, o)
		return
	}
	if view != nil && view.retarget != "" {
		p, conn2, err := r.retarget(s, view.retarget)
		if err != nil {
			s.log.Warn("hook's new target refused", "target", view.retarget, "error", err)
			if req.ID != 0 {
				_ = cc.c.Post(transport.MessageFrom(ice.AppendReplyUnknown(nil, req.ID,
					ice.ReplyUnknownLocalException, localExceptionText(err))))
			}
			if owned {
				m.Release()
			}
			return
		}
		proxy, conn = p, conn2
	}
	r.forwardToServer(b, s, cc, m, req, owned, proxy, conn, view)
}

// notExist builds an ObjectNotExist-family reply to req.
func notExist(req *ice.Request, st ice.ReplyStatus, op string) *transport.Message {
	return transport.MessageFrom(ice.AppendReplyNotExist(nil, req.ID, st, req.Identity(), req.Facet(), op))
}

// relay delivers replies to requests the router forwarded on behalf of a
// connection (a client's requests to servers, or a server's callbacks to a
// client) back to that connection under their original request id.
type relay struct {
	c      *transport.Conn
	onDone func()
	r      *Router // for compression; nil compresses at Ice's default level
	// hooked keeps the requests read from c in order while hooks decide on
	// them off its reader (ordered.go); the reader makes it when first
	// needed.
	hooked *hookedRequests
}

// Reply implements transport.ReplyTarget.
func (rl *relay) Reply(b *transport.Batch, origID int32, m *transport.Message, err error) {
	if err != nil {
		m = transport.MessageFrom(ice.AppendReplyUnknown(nil, origID, ice.ReplyUnknownLocalException,
			localExceptionText(err)))
	} else {
		putRequestID(m.Buf, origID)
		if m.Compressed {
			// It came compressed because the requester accepts it so.
			m.CompressLevel = 1
			if rl.r != nil {
				m.CompressLevel = int8(max(1, min(9, rl.r.cfg.CompressionLevel)))
			}
		}
	}
	_ = rl.c.PostVia(b, m)
	rl.c.DispatchDone()
	if rl.onDone != nil {
		rl.onDone()
	}
}
