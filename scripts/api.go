package scripts

import (
	"math"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	lua "github.com/yuin/gopher-lua"
)

// luaVerdict is what deny() and allow() return.
type luaVerdict struct {
	deny       bool
	reason     string
	attributes map[string]string
}

// installAPI adds floe's globals: deny, allow, log and store.
func (st *state) installAPI() {
	L := st.L
	st.verdictMeta = L.NewTable()
	st.verdictMeta.RawSetString("__metatable", lua.LString("verdict"))
	st.verdictMeta.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		v := L.CheckUserData(1).Value.(*luaVerdict)
		if v.deny {
			L.Push(lua.LString("deny(" + v.reason + ")"))
		} else {
			L.Push(lua.LString("allow()"))
		}
		return 1
	}))
	L.SetGlobal("deny", L.NewFunction(func(L *lua.LState) int {
		reason := ""
		if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
			reason = L.CheckString(1)
		}
		L.Push(st.verdict(&luaVerdict{deny: true, reason: reason}))
		return 1
	}))
	L.SetGlobal("allow", L.NewFunction(func(L *lua.LState) int {
		v := &luaVerdict{}
		if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
			v.attributes = stringMap(L, L.CheckTable(1), "allow's attributes")
		}
		L.Push(st.verdict(v))
		return 1
	}))

	logt := L.NewTable()
	for name, level := range map[string]hclog.Level{"trace": hclog.Trace, "debug": hclog.Debug, "info": hclog.Info,
		"warn": hclog.Warn, "error": hclog.Error} {
		logt.RawSetString(name, L.NewFunction(st.logAt(level)))
	}
	L.SetGlobal("log", logt)
	// print writes to the log, never to the router's standard output.
	L.SetGlobal("print", L.NewFunction(st.logAt(hclog.Info)))

	store := L.NewTable()
	store.RawSetString("get", L.NewFunction(st.storeGet))
	store.RawSetString("set", L.NewFunction(st.storeSet))
	store.RawSetString("incr", L.NewFunction(st.storeIncr))
	L.SetGlobal("store", store)
}

func (st *state) verdict(v *luaVerdict) *lua.LUserData {
	ud := st.L.NewUserData()
	ud.Value = v
	st.L.SetMetatable(ud, st.verdictMeta)
	return ud
}

// asVerdict returns the verdict a hook function returned, nil for nothing.
func asVerdict(v lua.LValue) (*luaVerdict, bool) {
	if v == lua.LNil {
		return nil, true
	}
	if ud, ok := v.(*lua.LUserData); ok {
		if lv, ok := ud.Value.(*luaVerdict); ok {
			return lv, true
		}
	}
	return nil, false
}

// logAt is log.<level>(message, ...): further arguments are appended to the
// message, except a table, whose entries become fields. The script's name
// and the call's fields (session, user, identity, operation...) come with
// every line.
func (st *state) logAt(level hclog.Level) lua.LGFunction {
	return func(L *lua.LState) int {
		lg := st.s.log
		if level < lg.GetLevel() {
			return 0
		}
		var msg []string
		var fields []any
		for i := 1; i <= L.GetTop(); i++ {
			switch v := L.Get(i).(type) {
			case *lua.LTable:
				v.ForEach(func(k, val lua.LValue) {
					fields = append(fields, lua.LVAsString(L.ToStringMeta(k)), luaToGo(L, val))
				})
			default:
				msg = append(msg, L.ToStringMeta(v).String())
			}
		}
		if st.call != nil {
			fields = append(fields, st.call.logFields()...)
		}
		lg.Log(level, strings.Join(msg, " "), fields...)
		return 0
	}
}

func luaToGo(L *lua.LState, v lua.LValue) any {
	switch v := v.(type) {
	case lua.LBool:
		return bool(v)
	case lua.LNumber:
		if f := float64(v); f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f)
		}
		return float64(v)
	case lua.LString:
		return string(v)
	}
	return L.ToStringMeta(v).String()
}

// stringMap reads a table of string keys and string (or number) values.
func stringMap(L *lua.LState, t *lua.LTable, what string) map[string]string {
	m := map[string]string{}
	t.ForEach(func(k, v lua.LValue) {
		ks, ok := k.(lua.LString)
		if !ok {
			L.RaiseError("%s: key %s is not a string", what, L.ToStringMeta(k).String())
		}
		switch v.Type() {
		case lua.LTString, lua.LTNumber:
			m[string(ks)] = lua.LVAsString(v)
		case lua.LTBool:
			m[string(ks)] = v.String()
		default:
			L.RaiseError("%s: the value of %q is a %s, not a string", what, string(ks), v.Type().String())
		}
	})
	return m
}

func (st *state) storeKey(L *lua.LState) string {
	return L.CheckString(1)
}

// ttlArg reads a TTL in seconds (fractions allowed); nil or 0: none.
func ttlArg(L *lua.LState, n int) time.Duration {
	v := L.Get(n)
	if v == lua.LNil {
		return 0
	}
	secs := float64(L.CheckNumber(n))
	if secs < 0 || math.IsNaN(secs) {
		L.ArgError(n, "the TTL cannot be negative")
	}
	if secs > float64(math.MaxInt64/int64(time.Second)) {
		return 0
	}
	return time.Duration(secs * float64(time.Second))
}

// storeGet is store.get(key): the value, or nil.
func (st *state) storeGet(L *lua.LState) int {
	switch v := st.s.store.Get(st.storeKey(L)).(type) {
	case string:
		L.Push(lua.LString(v))
	case float64:
		L.Push(lua.LNumber(v))
	case bool:
		L.Push(lua.LBool(v))
	default:
		L.Push(lua.LNil)
	}
	return 1
}

// storeSet is store.set(key, value [, ttl_seconds]); a nil value deletes.
func (st *state) storeSet(L *lua.LState) int {
	key := st.storeKey(L)
	var value any
	switch v := L.Get(2).(type) {
	case lua.LString:
		value = string(v)
	case lua.LNumber:
		value = float64(v)
	case lua.LBool:
		value = bool(v)
	case *lua.LNilType:
	default:
		L.ArgError(2, "a string, number, boolean or nil is expected, not a "+v.Type().String())
	}
	L.Push(lua.LBool(st.s.store.Set(key, value, ttlArg(L, 3))))
	return 1
}

// storeIncr is store.incr(key [, n [, ttl_seconds]]): adds n (default 1)
// and returns the new value; a new key gets the TTL, an existing one keeps
// its own.
func (st *state) storeIncr(L *lua.LState) int {
	key := st.storeKey(L)
	n := float64(L.OptNumber(2, 1))
	sum, ok := st.s.store.Incr(key, n, ttlArg(L, 3))
	if !ok {
		L.RaiseError("store.incr: the value of %q is not a number", key)
	}
	L.Push(lua.LNumber(sum))
	return 1
}
