package router

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/core/transport"
	"github.com/floe-router/floe/sdk"
	"github.com/hashicorp/go-hclog"
)

func putRequestID(msg []byte, id int32) {
	binary.LittleEndian.PutUint32(msg[ice.HeaderSize:], uint32(id))
}

// forwardOptions is what the request id and the _fwd context make of a
// forwarded request.
type forwardOptions struct {
	twoway   bool
	secure   bool
	compress bool
}

// fwdOptions applies Glacier2's rules: the request id decides twoway or
// oneway, then each letter of the _fwd context value overrides it (t
// twoway; o, d, O, D oneway, datagram and batch forms, which floe sends as
// oneways over a stream connection; s secure; z compress).
func fwdOptions(req *ice.Request, log hclog.Logger) forwardOptions {
	o := forwardOptions{twoway: req.ID != 0}
	if req.ContextLen() == 0 {
		return o
	}
	v, ok := req.ContextValue("_fwd")
	if !ok {
		return o
	}
	for _, c := range v {
		switch c {
		case 't':
			o.twoway = true
		case 'o', 'd', 'O', 'D':
			o.twoway = false
		case 's':
			o.secure = true
		case 'z':
			o.compress = true
		default:
			log.Warn("unknown forward option", "option", string(c))
		}
	}
	return o
}

// forwardMessage returns the message to send for req: m itself, rewritten
// in place, when req is all of m and its context goes along unchanged;
// otherwise a new message. A twoway request's id slot is filled in by
// SendRequest; a oneway gets id 0. stripContext drops the client's context;
// conCtx, when set, is added to it (Glacier2.AddConnectionContext=1).
func forwardMessage(m *transport.Message, req *ice.Request, owned, stripContext bool, conCtx *connectionContext,
	patchedCtx []byte) *transport.Message {
	// A sender that accepts compressed replies (status 1 or 2) still does:
	// the reply comes back compressed and is passed on compressed.
	status := ice.Uncompressed
	if m.Compressed || m.Buf[9] != ice.Uncompressed {
		status = ice.AcceptsCompressedReply
	}
	if owned && conCtx == nil && patchedCtx == nil && (!stripContext || req.ContextLen() == 0) {
		m.Buf[9] = status
		putRequestID(m.Buf, 0)
		return m
	}
	head, params := req.HeadBytes(), req.Params()
	ctx := req.ContextBytes()
	if stripContext {
		ctx = []byte{0}
	}
	if patchedCtx != nil {
		// Hooks patched the context: it is final, connection context included.
		ctx, conCtx = patchedCtx, nil
	}
	ctxLen := len(ctx)
	if conCtx != nil {
		if stripContext {
			ctx = nil
		}
		ctxLen = conCtx.contextLen(ctx)
	}
	n := ice.HeaderSize + 4 + len(head) + ctxLen + len(params)
	out := transport.NewMessage(n)
	ice.PutHeader(out.Buf, ice.RequestMsg, status, n)
	b := out.Buf[ice.HeaderSize:]
	binary.LittleEndian.PutUint32(b, 0)
	b = b[4:]
	b = b[copy(b, head):]
	if conCtx != nil {
		conCtx.appendContext(b[:0], ctx) // within b's capacity: no allocation
		b = b[ctxLen:]
	} else {
		b = b[copy(b, ctx):]
	}
	copy(b, params)
	if owned {
		m.Release()
	}
	return out
}

// compress marks m for compression when its connection should compress
// (its endpoint's -z, the _fwd z option, or Ice.Override.Compress); the
// connection applies Ice's rule once the request id is in place.
func (r *Router) compress(m *transport.Message, want bool) *transport.Message {
	if r.cfg.Compress != nil {
		want = *r.cfg.Compress
	}
	if want {
		m.CompressLevel = int8(max(1, min(9, r.cfg.CompressionLevel)))
	}
	return m
}

// forwardToServer sends a client's request to the server its routing table
// entry names, relaying the reply (or a failure as UnknownLocalException).
// b is the batch of the client's reader, nil on any other goroutine.
func (r *Router) forwardToServer(b *transport.Batch, s *Session, cc *clientConn, m *transport.Message, req *ice.Request,
	owned bool, proxy *ice.Proxy, conn *transport.Conn, view *reqView) {
	opts := fwdOptions(req, s.log)
	if conn == nil || !conn.Active() || opts.secure {
		var err error
		conn, err = r.sessionBackendConn(s, proxy, opts.secure)
		if err != nil {
			if owned {
				m.Release()
			}
			s.log.Debug("cannot forward request", "identity", req.Identity().String(),
				"operation", req.Operation(), "error", err)
			if req.ID != 0 {
				_ = cc.c.Post(transport.MessageFrom(ice.AppendReplyUnknown(nil, req.ID,
					ice.ReplyUnknownLocalException, localExceptionText(err))))
			}
			return
		}
		if !opts.secure {
			s.table.SetConn(req.IdentityBytes(), conn)
		}
	}
	s.forwarded.Add(1)
	strip := !r.cfg.Client.ForwardContext
	origID := req.ID
	enc := req.ParamsEncoding()
	var ovrd string
	if !opts.twoway {
		ovrd = overrideKey(req, r.cfg.Client.Buffering)
	}
	var patched []byte
	if view != nil && view.patched() {
		patched = view.patchedContext(!strip, s.conCtx)
	}
	var target transport.ReplyTarget = &cc.relay
	if view != nil && opts.twoway && r.hooks.Has(sdk.Reply) {
		target = &replyObserver{relay: &cc.relay, r: r, view: view.detach(), start: time.Now()}
	}
	out := r.compress(forwardMessage(m, req, owned, strip, s.conCtx, patched), opts.compress || conn.Endpoint.Compress)
	// From here on req may point into a released buffer: use origID and enc.
	if !opts.twoway {
		out.Override = ovrd
		if err := send(s.toServer, outbound{b: b, conn: conn, m: out}); err != nil {
			s.log.Debug("oneway request lost", "error", err)
		}
		if origID != 0 {
			// A twoway turned oneway by _fwd: Glacier2 answers once sent.
			_ = cc.c.Post(emptyOK(origID, enc))
		}
		return
	}
	s.inflight <- struct{}{}
	cc.c.DispatchStarted()
	_ = send(s.toServer, outbound{b: b, conn: conn, m: out, target: target, tag: origID})
}

// emptyOK is an OK reply with an empty result in encoding enc.
func emptyOK(id int32, enc ice.Version) *transport.Message {
	return transport.MessageFrom(ice.AppendReplyOK(nil, id, []byte{6, 0, 0, 0, enc.Major, enc.Minor}))
}

// backendConn returns a connection to one of the proxy's endpoints; an
// indirect proxy is resolved through the locator first, and resolved
// endpoints that cannot be reached are looked up once more, as Ice retries
// after clearing its locator cache.
func (r *Router) backendConn(proxy *ice.Proxy, secure bool, lane int) (*transport.Conn, error) {
	secure = secure || proxy.Secure
	sel := transport.Selection{Lane: lane}
	if len(proxy.Endpoints) > 0 {
		return r.pool.GetWith(r.ctx, proxy.Endpoints, secure, sel)
	}
	if r.locator == nil {
		if proxy.AdapterID != "" {
			return nil, fmt.Errorf("%w: proxy %s is indirect and no locator is configured (Ice.Default.Locator)",
				transport.ErrNoEndpoint, proxy.String())
		}
		return nil, fmt.Errorf("%w: well-known proxy %s needs a locator and none is configured (Ice.Default.Locator)",
			transport.ErrNoEndpoint, proxy.String())
	}
	eps, err := r.locator.endpoints(r.ctx, proxy)
	if err != nil {
		return nil, err
	}
	c, err := r.pool.GetWith(r.ctx, eps, secure, sel)
	if err == nil {
		return c, nil
	}
	r.locator.invalidate(proxy)
	if eps, err2 := r.locator.endpoints(r.ctx, proxy); err2 == nil {
		if c, err2 := r.pool.GetWith(r.ctx, eps, secure, sel); err2 == nil {
			return c, nil
		}
	}
	return nil, err
}

// localExceptionText is the text of the UnknownLocalException a client gets
// when the router cannot deliver its request. It follows the form of the
// text glacier2router sends (the Ice local exception's id, a newline, its
// message), with floe's own reason after it.
func localExceptionText(err error) string {
	var id, what string
	var nr *NotRegistered
	switch {
	case errors.As(err, &nr):
		return "::Ice::NotRegisteredException:\n" + nr.Error()
	case errors.Is(err, transport.ErrNoEndpoint):
		id, what = "::Ice::NoEndpointException", "no suitable endpoint available"
	case isConnectionRefused(err):
		id, what = "::Ice::ConnectionRefusedException", "connection refused"
	case errors.Is(err, transport.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		id, what = "::Ice::TimeoutException", "timeout while sending or receiving data"
	case errors.Is(err, transport.ErrClosedByPeer):
		id, what = "::Ice::CloseConnectionException", "connection closed by the server"
	case errors.Is(err, transport.ErrConnectionLost):
		id, what = "::Ice::ConnectionLostException", "connection lost"
	default:
		id, what = "::Ice::SocketException", "socket error"
	}
	return id + ":\n" + what + ": floe could not forward the request: " + err.Error()
}

func isConnectionRefused(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection refused")
}

// serverHandler receives what servers send to the server endpoints: callbacks
// for clients, routed by the category of the target identity.
type serverHandler struct{ r *Router }

func (h serverHandler) Request(c *transport.Conn, m *transport.Message) {
	back := c.Owner.(*relay)
	if m.Header.Type == ice.RequestMsg {
		req, err := ice.ParseRequest(m.Body())
		if err != nil {
			m.Release()
			h.r.protocolError(c, err)
			return
		}
		h.r.forwardToClient(back, m, &req, true)
		return
	}
	h.r.eachRequest(c, m, func(req *ice.Request, owned bool) { h.r.forwardToClient(back, m, req, owned) })
}

func (h serverHandler) Heartbeat(*transport.Conn) {}

func (h serverHandler) Closed(c *transport.Conn, err error) {
	h.r.forgetConn(c)
	h.r.log.Debug("server connection closed", "conn", c.ID(), "remote", c.RemoteAddr().String(), "reason", err)
}

// forwardToClient sends a server's callback over the connection of the
// client whose session owns the identity's category.
func (r *Router) forwardToClient(back *relay, m *transport.Message, req *ice.Request, owned bool) {
	if r.dispatchControl(back.c, m, req, owned) {
		return
	}
	s := r.sessions.byCategoryBytes(req.CategoryBytes())
	if s == nil || s.destroyed.Load() {
		if owned {
			m.Release()
		}
		r.log.Debug("callback for an unknown category", "identity", req.Identity().String(), "operation", req.Operation())
		if req.ID != 0 {
			_ = back.c.Post(notExist(req, ice.ReplyObjectNotExist, req.Operation()))
		}
		return
	}
	s.touch()
	if r.cfg.Trace.ServerRequest > 0 || s.log.IsTrace() {
		r.traceLog(s.log, r.cfg.Trace.ServerRequest > 0)("reverse routing", "identity", req.Identity().String(),
			"operation", req.Operation(), "context", req.Context())
	}
	// Callbacks still waiting for hooks (even ones a reload has removed
	// since) go first.
	if hooked, busy := r.hooks.Has(sdk.Callback), back.hookedBusy(); hooked || busy {
		var view *reqView
		if hooked {
			view = &reqView{point: sdk.Callback, req: *req, sess: s, conn: s.client.connView()}
		}
		j := hookedRequest{point: sdk.Callback, s: s, view: view}
		if o, now := r.decide(back, j, hooked, busy, m, req, owned); now {
			r.callbackDecided(back.c.Batch(), back, s, m, req, owned, view, o)
		}
		return
	}
	r.callbackDecided(back.c.Batch(), back, s, m, req, owned, nil, intercept.Outcome{})
}

// callbackDecided forwards a callback to its client, unless the hooks'
// outcome o (for view, nil without callback hooks) denies it. b is the
// batch of the server connection's reader, nil on any other goroutine.
func (r *Router) callbackDecided(b *transport.Batch, back *relay, s *Session, m *transport.Message, req *ice.Request,
	owned bool, view *reqView, o intercept.Outcome) {
	opts := fwdOptions(req, s.log)
	strip := r.cfg.Server == nil || !r.cfg.Server.ForwardContext
	cc := s.client
	var patched []byte
	if view != nil {
		if o.Deny {
			s.rejected.Add(1)
			denyRequest(s.log, back.c, m, req, owned, o)
			return
		}
		if view.patched() {
			// A callback goes to its client: only the context can change.
			patched = view.patchedContext(!strip, nil)
		}
	}
	s.callbacks.Add(1)
	origID := req.ID
	enc := req.ParamsEncoding()
	var ovrd string
	if !opts.twoway && r.cfg.Server != nil {
		ovrd = overrideKey(req, r.cfg.Server.Buffering)
	}
	out := r.compress(forwardMessage(m, req, owned, strip, nil, patched), opts.compress || cc.c.Endpoint.Compress)
	if !opts.twoway {
		out.Override = ovrd
		if err := send(s.toClient, outbound{b: b, conn: cc.c, m: out}); err != nil {
			s.log.Debug("oneway callback lost", "error", err)
		}
		if origID != 0 {
			_ = back.c.Post(emptyOK(origID, enc))
		}
		return
	}
	back.c.DispatchStarted()
	_ = send(s.toClient, outbound{b: b, conn: cc.c, m: out, target: back, tag: origID})
}

// backendHandler receives what arrives on the router's own outgoing
// connections: only replies are expected; a request there has no object to
// reach, and a closed connection leaves the pool.
type backendHandler struct{ r *Router }

func (h backendHandler) Request(c *transport.Conn, m *transport.Message) {
	defer m.Release()
	if m.Header.Type != ice.RequestMsg {
		return
	}
	req, err := ice.ParseRequest(m.Body())
	if err != nil {
		h.r.protocolError(c, err)
		return
	}
	if req.ID != 0 {
		_ = c.Post(notExist(&req, ice.ReplyObjectNotExist, req.Operation()))
	}
}

func (h backendHandler) Heartbeat(*transport.Conn) {}

func (h backendHandler) Closed(c *transport.Conn, err error) {
	h.r.pool.Forget(c)
	h.r.log.Debug("backend connection closed", "conn", c.ID(), "endpoint", c.Endpoint.String(), "reason", err)
}
