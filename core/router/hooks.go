package router

import (
	"context"
	"maps"
	"time"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/core/transport"
	"github.com/floe-router/floe/sdk"
	"github.com/hashicorp/go-hclog"
)

// reqView is a request as hooks see it (sdk.RequestView): decoded lazily
// from the message, with the patches of earlier hooks laid over it. It is
// only valid while the chain runs; what outlives it is copied out.
type reqView struct {
	point sdk.Point
	// req is a copy, so the request the router handles stays on its stack.
	req    ice.Request
	sess   *Session
	conn   *sdk.Connection
	target *ice.Proxy

	// Patches, accumulated in hook order.
	set      map[string]string
	removed  map[string]bool
	retarget string
}

func (v *reqView) Point() sdk.Point { return v.point }
func (v *reqView) Identity() sdk.Identity {
	id := v.req.Identity()
	return sdk.Identity{Name: id.Name, Category: id.Category}
}
func (v *reqView) IdentityString() string { return v.req.Identity().String() }
func (v *reqView) Facet() string          { return v.req.Facet() }
func (v *reqView) Operation() string      { return v.req.Operation() }
func (v *reqView) Mode() sdk.Mode         { return sdk.Mode(v.req.Mode()) }
func (v *reqView) Oneway() bool           { return v.req.ID == 0 }
func (v *reqView) Size() int              { return len(v.req.Params()) }

func (v *reqView) ContextValue(key string) (string, bool) {
	if s, ok := v.set[key]; ok {
		return s, true
	}
	if v.removed[key] {
		return "", false
	}
	return v.req.ContextValue(key)
}

func (v *reqView) Context() map[string]string {
	c := map[string]string(v.req.Context())
	if c == nil {
		c = map[string]string{}
	}
	for k := range v.removed {
		delete(c, k)
	}
	maps.Copy(c, v.set)
	return c
}

func (v *reqView) Target() string {
	if v.retarget != "" {
		return v.retarget
	}
	if v.target == nil {
		return v.IdentityString()
	}
	return v.target.String()
}

func (v *reqView) Session() *sdk.Session {
	if v.sess == nil {
		return nil
	}
	return v.sess.view
}

func (v *reqView) Connection() *sdk.Connection { return v.conn }

// Apply implements intercept.Patchable.
func (v *reqView) Apply(p *sdk.Verdict) {
	for _, k := range p.RemoveContext {
		if v.removed == nil {
			v.removed = map[string]bool{}
		}
		v.removed[k] = true
		delete(v.set, k)
	}
	for k, val := range p.SetContext {
		if v.set == nil {
			v.set = map[string]string{}
		}
		v.set[k] = val
		delete(v.removed, k)
	}
	if p.Target != "" {
		v.retarget = p.Target
	}
}

// patched reports whether hooks changed the request.
func (v *reqView) patched() bool { return len(v.set) > 0 || len(v.removed) > 0 || v.retarget != "" }

// patchedContext is the encoded context to forward: the client's own
// (when forwarded) with the hooks' patches; entries a hook set are
// forwarded even when the client's context is not.
func (v *reqView) patchedContext(forwardClient bool, conCtx *connectionContext) []byte {
	base := []byte{0}
	if forwardClient {
		base = v.req.ContextBytes()
	}
	var remove []string
	for k := range v.removed {
		remove = append(remove, k)
	}
	set := v.set
	if conCtx != nil {
		// The connection context is the router's to say, not a hook's.
		set = maps.Clone(v.set)
		if set == nil {
			set = map[string]string{}
		}
		maps.Copy(set, conCtx.entries)
	}
	return ice.AppendContext(nil, base, set, remove)
}

// connectionView describes a client connection to hooks.
func connectionView(c *transport.Conn) *sdk.Connection {
	v := &sdk.Connection{ID: c.ID(), Transport: protocolName(c.Endpoint.Type)}
	var port int32
	v.RemoteAddress, port = hostAndPort(c.RemoteAddr())
	v.RemotePort = int(port)
	v.LocalAddress, port = hostAndPort(c.LocalAddr())
	v.LocalPort = int(port)
	return v
}

// denyRequest answers (or drops, for a oneway) a request a hook denied.
func denyRequest(log hclog.Logger, back *transport.Conn, m *transport.Message, req *ice.Request, owned bool,
	o intercept.Outcome) {
	log.Info("denied by hook", "hook", o.Hook, "reason", o.Reason, "identity", req.Identity().String(),
		"operation", req.Operation())
	if req.ID != 0 {
		_ = back.Post(deniedReply(req, o))
	}
	if owned {
		m.Release()
	}
}

// hookContext bounds a chain run by the router's lifetime.
func (r *Router) hookContext() context.Context { return r.ctx }

// deniedReply answers a request a hook denied, as the hook's deny_as says.
func deniedReply(req *ice.Request, o intercept.Outcome) *transport.Message {
	if o.DenyAs == intercept.DenyAsUnknown {
		return transport.MessageFrom(ice.AppendReplyUnknown(nil, req.ID, ice.ReplyUnknownException, o.Reason))
	}
	return notExist(req, ice.ReplyObjectNotExist, req.Operation())
}

// detach copies the request out of its message, for the reply point,
// which runs after the message is gone.
func (v *reqView) detach() *sdk.RequestFields {
	return &sdk.RequestFields{Point: v.point, Identity: v.Identity(), IdentityString: v.IdentityString(),
		Facet: v.Facet(), Operation: v.Operation(), Mode: v.Mode(), Oneway: v.Oneway(), Context: v.Context(),
		Size: v.Size(), Target: v.Target(), Session: v.Session(), Connection: v.conn}
}

// replyObserver relays a reply like relay and shows it to the reply hooks,
// off the reader goroutine so an observer cannot slow the connection.
type replyObserver struct {
	*relay
	r     *Router
	view  *sdk.RequestFields
	start time.Time
}

func (o *replyObserver) Reply(b *transport.Batch, origID int32, m *transport.Message, err error) {
	rv := &sdk.ReplyView{Status: "failed", Latency: time.Since(o.start)}
	if err == nil {
		if rep, perr := ice.ParseReply(m.Body()); perr == nil {
			rv.Status = rep.Status.String()
		}
		rv.Size = len(m.Buf)
	}
	o.relay.Reply(b, origID, m, err)
	go o.r.hooks.Reply(o.r.hookContext(), o.view.View(), rv)
}
