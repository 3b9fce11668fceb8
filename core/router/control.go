package router

import (
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/transport"
)

// The objects a session manager uses to control a session live on the
// server side, under UUID identities, as in Glacier2: the SessionControl
// passed to SessionManager.create, and the StringSet and IdentitySet
// objects that edit the session's filters.

const (
	sessionControlTypeID = "::Glacier2::SessionControl"
	stringSetTypeID      = "::Glacier2::StringSet"
	identitySetTypeID    = "::Glacier2::IdentitySet"
)

type controlKind int

const (
	controlSession controlKind = iota
	controlCategories
	controlAdapterIDs
	controlIdentities
)

type controlObject struct {
	kind    controlKind
	session *Session
}

type controlRegistry struct {
	mu      sync.RWMutex
	objects map[ice.Identity]controlObject
}

func newControlRegistry() *controlRegistry {
	return &controlRegistry{objects: make(map[ice.Identity]controlObject)}
}

func (g *controlRegistry) get(id ice.Identity) (controlObject, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	o, ok := g.objects[id]
	return o, ok
}

// sessionControls are the identities of one session's control objects.
type sessionControls struct {
	control, categories, adapterIDs, identities ice.Identity
}

func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// addControls registers the control objects of s and returns their ids.
func (g *controlRegistry) add(s *Session) *sessionControls {
	ids := &sessionControls{
		control:    ice.Identity{Name: uuid()},
		categories: ice.Identity{Name: uuid()},
		adapterIDs: ice.Identity{Name: uuid()},
		identities: ice.Identity{Name: uuid()},
	}
	g.mu.Lock()
	g.objects[ids.control] = controlObject{controlSession, s}
	g.objects[ids.categories] = controlObject{controlCategories, s}
	g.objects[ids.adapterIDs] = controlObject{controlAdapterIDs, s}
	g.objects[ids.identities] = controlObject{controlIdentities, s}
	g.mu.Unlock()
	return ids
}

func (g *controlRegistry) remove(ids *sessionControls) {
	if ids == nil {
		return
	}
	g.mu.Lock()
	delete(g.objects, ids.control)
	delete(g.objects, ids.categories)
	delete(g.objects, ids.adapterIDs)
	delete(g.objects, ids.identities)
	g.mu.Unlock()
}

// serverObjectProxy is a proxy for a router object on the server side.
func (r *Router) serverObjectProxy(id ice.Identity) *ice.Proxy {
	return &ice.Proxy{Identity: id, Protocol: ice.Protocol10, Encoding: ice.Encoding11, Endpoints: r.serverPublished}
}

// dispatchControl serves a request to a control object; it reports false
// when the identity is not one.
func (r *Router) dispatchControl(conn *transport.Conn, m *transport.Message, req *ice.Request, owned bool) bool {
	if len(req.CategoryBytes()) != 0 {
		return false
	}
	o, ok := r.controls.get(req.Identity())
	if !ok {
		return false
	}
	c := newCall(conn, m, req, owned)
	if !c.valid() || !c.modeOK() {
		return true
	}
	s := o.session
	switch o.kind {
	case controlSession:
		r.dispatchSessionControl(c, s)
	case controlCategories:
		r.dispatchStringSet(c, s.filters.categories)
	case controlAdapterIDs:
		r.dispatchStringSet(c, s.filters.adapterIDs)
	case controlIdentities:
		r.dispatchIdentitySet(c, s.filters.identities)
	}
	return true
}

func (r *Router) dispatchSessionControl(c *call, s *Session) {
	switch c.op {
	case "categories":
		c.ok(func(e *ice.Encoder) { e.WriteProxy(r.serverObjectProxy(s.controls.categories)) })
	case "adapterIds":
		c.ok(func(e *ice.Encoder) { e.WriteProxy(r.serverObjectProxy(s.controls.adapterIDs)) })
	case "identities":
		c.ok(func(e *ice.Encoder) { e.WriteProxy(r.serverObjectProxy(s.controls.identities)) })
	case "getSessionTimeout":
		c.ok(func(e *ice.Encoder) { e.WriteInt32(int32(r.cfg.Session.Timeout / time.Second)) })
	case "destroy":
		r.destroySession(s, "SessionControl.destroy")
		c.ok(nil)
	default:
		r.dispatchObject(c, sessionControlTypeID, []string{sessionControlTypeID, iceObjectTypeID})
	}
}

func (r *Router) dispatchStringSet(c *call, set *sortedSet[string]) {
	dispatchSet(r, c, set, stringSetTypeID, (*ice.Decoder).StringSeq, (*ice.Encoder).WriteStringSeq)
}

func (r *Router) dispatchIdentitySet(c *call, set *sortedSet[ice.Identity]) {
	dispatchSet(r, c, set, identitySetTypeID, decodeIdentitySeq, encodeIdentitySeq)
}

// dispatchSet serves Glacier2's StringSet and IdentitySet interfaces.
func dispatchSet[T any](r *Router, c *call, set *sortedSet[T], typeID string,
	decode func(*ice.Decoder) ([]T, error), encode func(*ice.Encoder, []T)) {
	switch c.op {
	case "add", "remove":
		items, err := decode(c.decoder())
		if err != nil {
			c.unknownLocal("Ice::MarshalException: " + err.Error())
			return
		}
		if c.op == "add" {
			set.add(items)
		} else {
			set.remove(items)
		}
		c.ok(nil)
	case "get":
		items := set.get()
		c.ok(func(e *ice.Encoder) { encode(e, items) })
	default:
		r.dispatchObject(c, typeID, []string{typeID, iceObjectTypeID})
	}
}

func decodeIdentitySeq(d *ice.Decoder) ([]ice.Identity, error) {
	n, err := d.SeqSize(2)
	if err != nil {
		return nil, err
	}
	items := make([]ice.Identity, n)
	for i := range items {
		if items[i], err = d.Identity(); err != nil {
			return nil, err
		}
	}
	return items, nil
}

func encodeIdentitySeq(e *ice.Encoder, items []ice.Identity) {
	e.WriteSize(len(items))
	for _, id := range items {
		e.WriteIdentity(id)
	}
}
