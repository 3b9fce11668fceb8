package router

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/transport"
	"github.com/floe-router/floe/sdk"
	"github.com/hashicorp/go-hclog"
)

// call is one request to a servant the router hosts itself, detached from
// the message it came in so it can outlive it.
type call struct {
	cc     *clientConn     // the client connection, for router operations
	conn   *transport.Conn // where the reply goes
	id     int32
	op     string
	enc    ice.Version
	params []byte // the params encapsulation body
	ctx    ice.Context
	ident  ice.Identity
	facet  string
	// compress: the request accepts a compressed reply, so the reply is
	// compressed from 100 bytes (and flagged below), as Ice replies.
	compress bool
	mode     ice.OperationMode
}

// idempotentOps are the operations of the router's own objects declared
// idempotent in Slice; every other operation is normal. Ice's generated
// dispatch checks the mode a request carries against it, and so do we.
var idempotentOps = map[string]bool{
	// Ice::Router and Glacier2::Router
	"getClientProxy": true, "getServerProxy": true, "addProxies": true, "getCategoryForClient": true,
	"getSessionTimeout": true, "getACMTimeout": true,
	// Glacier2::StringSet and IdentitySet
	"add": true, "remove": true, "get": true,
}

// modeOK applies Ice's _iceCheckMode: an idempotent operation accepts
// idempotent and nonmutating requests, a normal one only normal requests;
// otherwise the caller gets a MarshalException (as an
// UnknownLocalException). ice_* operations are not checked, as in Ice.
func (c *call) modeOK() bool {
	if strings.HasPrefix(c.op, "ice_") {
		return true
	}
	expected := ice.Normal
	if idempotentOps[c.op] {
		expected = ice.Idempotent
	}
	if c.mode == expected || (expected == ice.Idempotent && c.mode == ice.Nonmutating) {
		return true
	}
	c.unknownLocal("::Ice::MarshalException:\nprotocol error: error during marshaling or unmarshaling:\n" +
		"unexpected operation mode. expected = " + modeName(expected) + " received = " + modeName(c.mode))
	return false
}

func modeName(m ice.OperationMode) string {
	switch m {
	case ice.Nonmutating:
		return "::Ice::Nonmutating"
	case ice.Idempotent:
		return "::Ice::Idempotent"
	}
	return "::Ice::Normal"
}

func (c *call) reply(m *transport.Message) {
	if c.id == 0 {
		m.Release()
		return
	}
	if c.compress {
		m.CompressLevel = 1
	}
	_ = c.conn.Post(m)
}

// ok replies with a result written by write (nil for none).
func (c *call) ok(write func(*ice.Encoder)) {
	if c.id == 0 {
		return
	}
	e := ice.NewEncoder(nil)
	m := e.StartEncapsulation(c.enc)
	if write != nil {
		write(e)
	}
	e.EndEncapsulation(m)
	c.reply(transport.MessageFrom(ice.AppendReplyOK(nil, c.id, e.Bytes())))
}

// userException replies with a Glacier2 exception; reason is written unless
// the exception has no members (SessionNotExistException).
func (c *call) userException(typeID string, format ice.Format, reason *string) {
	if c.id == 0 {
		return
	}
	exc := ice.AppendUserException(nil, c.enc, format, typeID, func(e *ice.Encoder) {
		if reason != nil {
			e.WriteString(*reason)
		}
	})
	c.reply(transport.MessageFrom(ice.AppendReplyUserException(nil, c.id, exc)))
}

func (c *call) notExist(st ice.ReplyStatus) {
	if c.id == 0 {
		return
	}
	c.reply(transport.MessageFrom(ice.AppendReplyNotExist(nil, c.id, st, c.ident, c.facet, c.op)))
}

func (c *call) unknownLocal(text string) {
	if c.id == 0 {
		return
	}
	c.reply(transport.MessageFrom(ice.AppendReplyUnknown(nil, c.id, ice.ReplyUnknownLocalException, text)))
}

func (c *call) decoder() *ice.Decoder {
	d := ice.NewDecoder(c.params)
	d.Encoding = c.enc
	return d
}

// newCall detaches a request to a local servant from its message (released
// here when owned).
func newCall(conn *transport.Conn, m *transport.Message, req *ice.Request, owned bool) *call {
	c := &call{
		conn: conn, id: req.ID, op: req.Operation(), enc: req.ParamsEncoding(),
		params: slices.Clone(req.ParamsBody()), ident: req.Identity(), facet: req.Facet(),
		compress: m.Compressed || m.Buf[9] != ice.Uncompressed,
		mode:     req.Mode(),
	}
	if req.ContextLen() > 0 {
		c.ctx = req.Context()
	}
	if owned {
		m.Release()
	}
	return c
}

// valid answers requests no local servant can serve: unknown encodings and
// facets (the router's objects have none).
func (c *call) valid() bool {
	if c.enc != ice.Encoding10 && c.enc != ice.Encoding11 {
		c.unknownLocal("Ice::UnsupportedEncodingException: unsupported encoding " + c.enc.String())
		return false
	}
	if c.facet != "" {
		c.notExist(ice.ReplyFacetNotExist)
		return false
	}
	return true
}

// dispatchLocal serves requests to <instance>/router and Ice/RouterFinder.
func (r *Router) dispatchLocal(cc *clientConn, m *transport.Message, req *ice.Request, owned bool) {
	c := newCall(cc.c, m, req, owned)
	c.cc = cc
	if !c.valid() {
		return
	}
	if s := cc.session.Load(); s != nil {
		s.touch()
	}
	if !c.modeOK() {
		return
	}
	if c.ident == r.finderID {
		r.dispatchFinder(c)
		return
	}
	r.dispatchRouter(c)
}

func (r *Router) dispatchFinder(c *call) {
	switch c.op {
	case "getRouter":
		c.ok(func(e *ice.Encoder) { e.WriteProxy(r.RouterProxy()) })
	default:
		r.dispatchObject(c, routerFinderTypeID, []string{iceObjectTypeID, routerFinderTypeID})
	}
}

// dispatchObject serves the Ice::Object operations of a servant whose
// most-derived type is typeID and which implements ids (sorted).
func (r *Router) dispatchObject(c *call, typeID string, ids []string) {
	switch c.op {
	case "ice_ping":
		c.ok(nil)
	case "ice_isA":
		id, err := c.decoder().String()
		if err != nil {
			c.unknownLocal("Ice::MarshalException: " + err.Error())
			return
		}
		c.ok(func(e *ice.Encoder) { e.WriteBool(slices.Contains(ids, id)) })
	case "ice_id":
		c.ok(func(e *ice.Encoder) { e.WriteString(typeID) })
	case "ice_ids":
		c.ok(func(e *ice.Encoder) { e.WriteStringSeq(ids) })
	default:
		c.notExist(ice.ReplyOperationNotExist)
	}
}

var routerIDs = []string{routerTypeID, iceObjectTypeID, iceRouterTypeID}

// sessionFor returns the connection's session for operations that need
// one; without it Glacier2 closes the connection.
func (r *Router) sessionFor(c *call) *Session {
	if s := c.cc.session.Load(); s != nil {
		return s
	}
	r.log.Info("rejecting request: no session is associated with the connection", "conn", c.cc.c.ID(),
		"remote", c.cc.c.RemoteAddr().String(), "operation", c.op)
	c.cc.c.Abort(errors.New("router operation " + c.op + " without a session"))
	return nil
}

func (r *Router) dispatchRouter(c *call) {
	switch c.op {
	case "getClientProxy":
		if r.sessionFor(c) == nil {
			return
		}
		c.ok(func(e *ice.Encoder) {
			var p *ice.Proxy
			if r.cfg.ReturnClientProxy {
				// Pre-3.2 clients need a proxy at the client endpoints.
				p = &ice.Proxy{Identity: ice.Identity{Name: "dummy"}, Protocol: ice.Protocol10,
					Encoding: ice.Encoding11, Endpoints: r.clientPublished}
			}
			e.WriteProxy(p)
			if c.enc != ice.Encoding10 {
				// out optional(1) bool hasRoutingTable = true
				e.WriteOptionalTag(1, ice.OptionalF1)
				e.WriteBool(true)
			}
		})
	case "getServerProxy":
		s := r.sessionFor(c)
		if s == nil {
			return
		}
		c.ok(func(e *ice.Encoder) { e.WriteProxy(r.serverProxy(s)) })
	case "addProxies":
		r.addProxies(c)
	case "getCategoryForClient":
		if len(r.serverListeners) == 0 {
			c.ok(func(e *ice.Encoder) { e.WriteString("") })
			return
		}
		s := r.sessionFor(c)
		if s == nil {
			return
		}
		c.ok(func(e *ice.Encoder) { e.WriteString(s.Category) })
	case "createSession":
		d := c.decoder()
		user, err1 := d.String()
		password, err2 := d.String()
		if err := errors.Join(err1, err2); err != nil {
			c.unknownLocal("Ice::MarshalException: " + err.Error())
			return
		}
		r.createSession(c, user, password)
	case "createSessionFromSecureConnection":
		r.createSessionFromSecureConnection(c)
	case "refreshSession":
		s := c.cc.session.Load()
		if s == nil {
			c.userException(sessionNotExistID, ice.CompactFormat, nil)
			return
		}
		if s.Proxy == nil {
			c.ok(nil)
			return
		}
		// Glacier2 pings the session manager's session; if it is gone, so
		// is the router's.
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
			defer cancel()
			if _, err := r.invoke(ctx, s.Proxy, "ice_ping", ice.Idempotent, nil, nil); err != nil {
				c.userException(sessionNotExistID, ice.CompactFormat, nil)
				r.destroySession(s, "session object unreachable: "+err.Error())
				return
			}
			c.ok(nil)
		}()
	case "destroySession":
		s := c.cc.session.Load()
		if s == nil {
			c.userException(sessionNotExistID, ice.CompactFormat, nil)
			return
		}
		r.destroySession(s, "destroySession")
		c.ok(nil)
	case "getSessionTimeout":
		c.ok(func(e *ice.Encoder) { e.WriteInt64(int64(r.cfg.Session.Timeout / time.Second)) })
	case "getACMTimeout":
		c.ok(func(e *ice.Encoder) { e.WriteInt32(int32(r.clientOpts.ACM.Timeout / time.Second)) })
	default:
		r.dispatchObject(c, routerTypeID, routerIDs)
	}
}

// serverProxy is the session's <category>/dummy proxy at the server
// endpoints, or nil without them.
func (r *Router) serverProxy(s *Session) *ice.Proxy {
	if s.Category == "" {
		return nil
	}
	return &ice.Proxy{Identity: ice.Identity{Category: s.Category, Name: "dummy"}, Protocol: ice.Protocol10,
		Encoding: ice.Encoding11, Endpoints: r.serverPublished}
}

func (r *Router) addProxies(c *call) {
	s := r.sessionFor(c)
	if s == nil {
		return
	}
	proxies, err := c.decoder().ProxySeq()
	if err != nil {
		r.protocolError(c.cc.c, err)
		return
	}
	// Glacier2 checks every proxy before adding any, and a rejected one
	// closes the connection before any answer.
	for _, p := range proxies {
		if ok, why := r.addressFilter.verify(p); !ok {
			r.traceLog(s.log, r.cfg.Trace.ClientReject > 0)("rejecting proxy", "proxy", p.String(), "why", why)
			c.cc.c.Abort(errors.New("addProxies: rejected proxy " + p.String() + ": " + why))
			return
		}
	}
	evicted := s.table.Add(proxies, r.routeProxies(s, proxies))
	if lvl := r.cfg.Trace.RoutingTable; lvl == 1 || lvl >= 3 {
		for _, p := range proxies {
			if p != nil {
				s.log.Info("adding proxy to routing table", "proxy", p.String())
			}
		}
	}
	for _, p := range evicted {
		r.traceLog(s.log, r.cfg.Trace.RoutingTable >= 2)("evicting proxy from routing table", "proxy", p.String())
	}
	c.ok(func(e *ice.Encoder) { e.WriteProxySeq(evicted) })
}

// sessionRequest is one way to open a session: createSession's user and
// password, or createSessionFromSecureConnection's certificate.
type sessionRequest struct {
	user     string
	password string
	secure   bool // createSessionFromSecureConnection
	// addUser lets Glacier2.Filter.Category.AcceptUser accept the user id
	// as a category (for password sessions only, as in Glacier2).
	addUser bool
	// authorize asks the verifier.
	authorize func(ctx context.Context, reqCtx ice.Context) (ok bool, reason string, err error)
	// manage asks the session manager for a session object; nil when none
	// is configured.
	manage func(ctx context.Context, control *ice.Proxy, reqCtx ice.Context) (*ice.Proxy, error)
}

// createSession authorizes the user with the permissions verifier, then
// opens a session.
func (r *Router) createSession(c *call, user, password string) {
	if r.auth == nil && !r.hooks.Has(sdk.Authenticate) {
		reason := "no configured permissions verifier"
		c.userException(permissionDeniedID, ice.SlicedFormat, &reason)
		return
	}
	req := sessionRequest{
		user:     user,
		password: password,
		addUser:  true,
		authorize: func(ctx context.Context, reqCtx ice.Context) (bool, string, error) {
			if r.auth == nil {
				return false, "no configured permissions verifier", nil
			}
			return r.auth.Authorize(ctx, user, password, reqCtx)
		},
	}
	if r.sessionManager != nil {
		req.manage = func(ctx context.Context, control *ice.Proxy, reqCtx ice.Context) (*ice.Proxy, error) {
			e := ice.NewEncoder(nil)
			m := e.StartEncapsulation(r.sessionManager.Encoding)
			e.WriteString(user)
			e.WriteProxy(control)
			e.EndEncapsulation(m)
			return r.callSessionManager(ctx, r.sessionManager, r.managerOptions, reqCtx, e.Bytes())
		}
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.openSession(c, req)
	}()
}

// openSession authorizes req, asks the session manager for a session
// object when one is configured, and binds a new session to the connection.
func (r *Router) openSession(c *call, req sessionRequest) {
	cc := c.cc
	cc.createMu.Lock()
	defer cc.createMu.Unlock()
	// Built only when a refusal is logged: With copies the logger.
	log := func() hclog.Logger { return r.log.With("user", req.user, "conn", cc.c.ID()) }
	if cc.session.Load() != nil {
		reason := "session exists"
		c.userException(cannotCreateSessionID, ice.SlicedFormat, &reason)
		return
	}
	r.mu.Lock()
	down := r.shutdown
	r.mu.Unlock()
	if down {
		reason := "router is shutting down"
		c.userException(cannotCreateSessionID, ice.SlicedFormat, &reason)
		return
	}
	// The client may not forge the connection context.
	reqCtx := ice.Context{}
	for k, v := range c.ctx {
		if !strings.HasPrefix(k, "_con.") {
			reqCtx[k] = v
		}
	}
	var conCtx *connectionContext
	if r.cfg.Client.AddConnectionContext > 0 {
		conCtx = newConnectionContext(cc.c)
		maps.Copy(reqCtx, conCtx.entries)
	}
	ctx, cancel := context.WithTimeout(r.ctx, 60*time.Second)
	defer cancel()

	// Authentication hooks first: the first to allow or refuse decides;
	// if all abstain, the configured verifier does.
	var attrs map[string]string
	decided := false
	if r.hooks.Has(sdk.Authenticate) {
		res, hook := r.hooks.Authenticate(ctx, &sdk.AuthRequest{User: req.user, Password: req.password,
			Secure: req.secure, Connection: cc.connView(), Context: reqCtx})
		attrs = res.Attributes
		switch res.Decision {
		case sdk.Refuse:
			log().Info("session refused by hook", "hook", hook, "reason", res.Reason)
			c.userException(permissionDeniedID, ice.SlicedFormat, &res.Reason)
			return
		case sdk.Allow:
			log().Debug("session allowed by hook", "hook", hook)
			decided = true
		}
	}
	ok, reason, err := true, "", error(nil)
	if !decided {
		ok, reason, err = req.authorize(ctx, reqCtx)
	}
	var denied *PermissionDenied
	switch {
	case errors.As(err, &denied):
		log().Info("session refused", "reason", denied.Reason)
		c.userException(permissionDeniedID, ice.SlicedFormat, &denied.Reason)
		return
	case err != nil:
		log().Warn("exception while verifying permissions", "error", err)
		reason = "internal server error"
		c.userException(permissionDeniedID, ice.SlicedFormat, &reason)
		return
	case !ok:
		if reason == "" {
			reason = "permission denied"
		}
		log().Info("session refused", "reason", reason)
		c.userException(permissionDeniedID, ice.SlicedFormat, &reason)
		return
	}

	s := r.newSession(cc, req.user, req.addUser)
	maps.Copy(s.view.Attributes, attrs)
	if r.cfg.Client.AddConnectionContext == 1 {
		s.conCtx = conCtx
	}
	if req.manage != nil {
		var control *ice.Proxy
		if len(r.serverListeners) > 0 {
			s.controls = r.controls.add(s)
			control = r.serverObjectProxy(s.controls.control)
		}
		s.Proxy, err = req.manage(ctx, control, reqCtx)
		if err != nil {
			r.controls.remove(s.controls)
			reason, isCannot := userException(err, cannotCreateSessionID)
			if !isCannot {
				log().Warn("exception while creating session with session manager", "error", err)
				reason = "internal server error"
			}
			c.userException(cannotCreateSessionID, ice.SlicedFormat, &reason)
			return
		}
	}
	r.register(s)
	r.stats.sessionsCreated.Add(1)
	s.view.Category = s.Category
	if r.hooks.Has(sdk.SessionCreated) {
		if o := r.hooks.Session(ctx, sdk.SessionCreated, s.view); o.Deny {
			log().Info("session refused by hook", "hook", o.Hook, "reason", o.Reason)
			r.destroySession(s, "refused by hook "+o.Hook)
			c.userException(permissionDeniedID, ice.SlicedFormat, &o.Reason)
			return
		}
	}
	cc.session.Store(s)
	cc.hadSession.Store(true)
	if !cc.c.Active() {
		// The client left while we were authorizing.
		r.destroySession(s, "client connection closed during createSession")
		return
	}
	r.traceLog(s.log, r.cfg.Trace.Session > 0)("session created", "remote", cc.c.RemoteAddr().String(), "category", s.Category)
	c.ok(func(e *ice.Encoder) { e.WriteProxy(s.Proxy) })
}

// callSessionManager calls create on a Glacier2 session manager (params
// encoded) and returns the session proxy.
func (r *Router) callSessionManager(ctx context.Context, manager *ice.Proxy, o *callOptions, reqCtx ice.Context,
	params []byte) (*ice.Proxy, error) {
	res, err := r.invokeWith(ctx, manager, o, "create", ice.Normal, reqCtx, params)
	if err != nil {
		return nil, err
	}
	v, body, err := decodeEncaps(res)
	if err != nil {
		return nil, err
	}
	d := ice.NewDecoder(body)
	d.Encoding = v
	return d.Proxy()
}
