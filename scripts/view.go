package scripts

import (
	"maps"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/sdk"
	lua "github.com/yuin/gopher-lua"
)

// call is one hook call: what the script is shown, and what it changed.
type call struct {
	point sdk.Point
	view  sdk.RequestView // request, callback and reply points
	conn  *sdk.Connection
	sess  *sdk.Session
	user  string // authenticate point

	// req.context: built on first use; the patch is its difference from
	// the context it was built from.
	ctxTable *lua.LTable
	ctxOrig  map[string]string
	// req.target, when assigned.
	target    string
	targetSet bool

	// Attributes a session hook may add (session.attributes).
	attrTable *lua.LTable
	attrOrig  map[string]string

	// Values built on first use.
	identity, session, connection lua.LValue
}

// logFields are the fields of the call's log lines.
func (c *call) logFields() []any {
	f := []any{}
	if c.point != 0 {
		f = append(f, "point", c.point.String())
	}
	if c.view != nil {
		f = append(f, "identity", c.view.IdentityString(), "operation", c.view.Operation())
		if s := c.view.Session(); s != nil {
			f = append(f, "session", s.ID, "user", s.User)
		}
	} else if c.sess != nil {
		f = append(f, "session", c.sess.ID, "user", c.sess.User)
	}
	if c.user != "" {
		f = append(f, "user", c.user)
	}
	if c.conn != nil && c.view == nil {
		f = append(f, "remote", c.conn.RemoteAddress)
	}
	return f
}

// requestValue is the req argument of on_request, on_callback and
// on_reply: a userdata whose fields are read from the view on first use.
func (st *state) requestValue(c *call) *lua.LUserData {
	if st.reqMeta == nil {
		st.reqMeta = st.L.NewTable()
		st.reqMeta.RawSetString("__index", st.L.NewFunction(st.reqIndex))
		st.reqMeta.RawSetString("__newindex", st.L.NewFunction(st.reqNewIndex))
		st.reqMeta.RawSetString("__metatable", lua.LString("request"))
		st.reqMeta.RawSetString("__tostring", st.L.NewFunction(func(L *lua.LState) int {
			c := L.CheckUserData(1).Value.(*call)
			L.Push(lua.LString(c.view.Operation() + " on " + c.view.IdentityString()))
			return 1
		}))
	}
	ud := st.L.NewUserData()
	ud.Value = c
	st.L.SetMetatable(ud, st.reqMeta)
	return ud
}

func (st *state) reqIndex(L *lua.LState) int {
	c := L.CheckUserData(1).Value.(*call)
	v := c.view
	switch key := L.CheckString(2); key {
	case "identity":
		if c.identity == nil {
			c.identity = st.identityValue(v.Identity(), v.IdentityString())
		}
		L.Push(c.identity)
	case "facet":
		L.Push(lua.LString(v.Facet()))
	case "operation":
		L.Push(lua.LString(v.Operation()))
	case "mode":
		L.Push(lua.LString(v.Mode().String()))
	case "oneway":
		L.Push(lua.LBool(v.Oneway()))
	case "size":
		L.Push(lua.LNumber(v.Size()))
	case "point":
		L.Push(lua.LString(v.Point().String()))
	case "context":
		if c.ctxTable == nil {
			c.ctxOrig = v.Context()
			c.ctxTable = L.NewTable()
			for k, val := range c.ctxOrig {
				c.ctxTable.RawSetString(k, lua.LString(val))
			}
		}
		L.Push(c.ctxTable)
	case "target":
		if c.targetSet {
			L.Push(lua.LString(c.target))
		} else {
			L.Push(lua.LString(v.Target()))
		}
	case "session":
		if c.session == nil {
			c.session = st.sessionValue(v.Session(), false)
		}
		L.Push(c.session)
	case "connection":
		if c.connection == nil {
			c.connection = st.connectionValue(v.Connection())
		}
		L.Push(c.connection)
	default:
		L.Push(lua.LNil)
	}
	return 1
}

func (st *state) reqNewIndex(L *lua.LState) int {
	c := L.CheckUserData(1).Value.(*call)
	switch key := L.CheckString(2); key {
	case "context":
		t := L.CheckTable(3)
		if c.ctxTable == nil {
			c.ctxOrig = c.view.Context()
		}
		c.ctxTable = t
	case "target":
		c.target = L.CheckString(3)
		c.targetSet = true
	default:
		L.RaiseError("req.%s cannot be assigned (only req.context and req.target can)", key)
	}
	return 0
}

// patch is what the call changed in the request.
func (c *call) patch(L *lua.LState) sdk.Verdict {
	var v sdk.Verdict
	if c.ctxTable != nil {
		now := stringMap(L, c.ctxTable, "req.context")
		for k, val := range now {
			if old, ok := c.ctxOrig[k]; !ok || old != val {
				if v.SetContext == nil {
					v.SetContext = map[string]string{}
				}
				v.SetContext[k] = val
			}
		}
		for k := range c.ctxOrig {
			if _, ok := now[k]; !ok {
				v.RemoveContext = append(v.RemoveContext, k)
			}
		}
	}
	if c.targetSet && c.target != c.view.Target() {
		v.Target = c.target
	}
	return v
}

// identityValue is an identity: a table with name and category whose
// tostring is Ice's stringified form.
func (st *state) identityValue(id sdk.Identity, s string) lua.LValue {
	if st.identityMeta == nil {
		st.identityMeta = st.L.NewTable()
		st.identityMeta.RawSetString("__tostring", st.L.NewFunction(func(L *lua.LState) int {
			t := L.CheckTable(1)
			L.Push(lua.LString(ice.Identity{Name: lua.LVAsString(t.RawGetString("name")),
				Category: lua.LVAsString(t.RawGetString("category"))}.String()))
			return 1
		}))
	}
	t := st.L.NewTable()
	t.RawSetString("name", lua.LString(id.Name))
	t.RawSetString("category", lua.LString(id.Category))
	st.L.SetMetatable(t, st.identityMeta)
	return t
}

// sessionValue is a session as a table; with attributes assignable (the
// session points), its attributes table is where new ones go.
func (st *state) sessionValue(s *sdk.Session, assignable bool) lua.LValue {
	if s == nil {
		return lua.LNil
	}
	t := st.L.NewTable()
	t.RawSetString("id", lua.LString(s.ID))
	t.RawSetString("user", lua.LString(s.User))
	t.RawSetString("category", lua.LString(s.Category))
	attrs := st.L.NewTable()
	for k, v := range s.Attributes {
		attrs.RawSetString(k, lua.LString(v))
	}
	t.RawSetString("attributes", attrs)
	if assignable && st.call != nil {
		st.call.attrTable = attrs
		st.call.attrOrig = maps.Clone(s.Attributes)
	}
	return t
}

// attributes returns the attributes a session hook added or changed.
func (c *call) attributes(L *lua.LState) map[string]string {
	if c.attrTable == nil {
		return nil
	}
	var out map[string]string
	for k, v := range stringMap(L, c.attrTable, "session.attributes") {
		if old, ok := c.attrOrig[k]; !ok || old != v {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// connectionValue is a client connection as a table.
func (st *state) connectionValue(c *sdk.Connection) lua.LValue {
	if c == nil {
		return lua.LNil
	}
	L := st.L
	t := L.NewTable()
	t.RawSetString("id", lua.LNumber(c.ID))
	t.RawSetString("remote_address", lua.LString(c.RemoteAddress))
	t.RawSetString("remote_port", lua.LNumber(c.RemotePort))
	t.RawSetString("local_address", lua.LString(c.LocalAddress))
	t.RawSetString("local_port", lua.LNumber(c.LocalPort))
	t.RawSetString("transport", lua.LString(c.Transport))
	if c.TLS != nil {
		tls := L.NewTable()
		tls.RawSetString("subject", lua.LString(c.TLS.Subject))
		tls.RawSetString("issuer", lua.LString(c.TLS.Issuer))
		tls.RawSetString("cipher", lua.LString(c.TLS.Cipher))
		t.RawSetString("tls", tls)
	}
	return t
}

// stringTable is a Lua table of a string map.
func (st *state) stringTable(m map[string]string) *lua.LTable {
	t := st.L.NewTable()
	for k, v := range m {
		t.RawSetString(k, lua.LString(v))
	}
	return t
}
