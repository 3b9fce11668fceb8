package scripts

import (
	lua "github.com/yuin/gopher-lua"
)

// maxResults bounds the values one library call may return (Lua 5.1's
// LUAI_MAXCSTACK): string.byte and unpack over huge ranges fail instead of
// growing the state's stack by millions of slots.
const maxResults = 8000

// passError is the error handler of every protected call: it returns the
// error as it is. With a handler, gopher-lua skips building a traceback,
// which after a long run of tail calls would list each of them and take
// far longer than any budget.
func passError(L *lua.LState) int { return 1 }

// errorValue is the Lua value of a protected call's error.
func errorValue(err error) lua.LValue {
	if ae, ok := err.(*lua.ApiError); ok && ae.Object != nil {
		return ae.Object
	}
	return lua.LString(err.Error())
}

// listRange reads the optional range arguments i, j (at n and n+1) of a
// function over a list: 1 and #t by default.
func listRange(L *lua.LState, t *lua.LTable, n int) (i, j int) {
	i = L.OptInt(n, 1)
	if L.Get(n+1) == lua.LNil {
		return i, t.Len()
	}
	return i, L.CheckInt(n + 1)
}

// installBase replaces the base functions that call back into Lua or push
// unbounded results.
func (st *state) installBase() {
	L := st.L
	handler := L.NewFunction(passError)
	st.handler = handler
	L.SetGlobal("pcall", L.NewFunction(func(L *lua.LState) int {
		L.CheckAny(1)
		v := L.Get(1)
		if v.Type() != lua.LTFunction && L.GetMetaField(v, "__call").Type() != lua.LTFunction {
			L.Push(lua.LFalse)
			L.Push(lua.LString("attempt to call a " + v.Type().String() + " value"))
			return 2
		}
		if err := L.PCall(L.GetTop()-1, lua.MultRet, handler); err != nil {
			L.Push(lua.LFalse)
			L.Push(errorValue(err))
			return 2
		}
		L.Insert(lua.LTrue, 1)
		return L.GetTop()
	}))
	L.SetGlobal("xpcall", L.NewFunction(func(L *lua.LState) int {
		fn := L.CheckFunction(1)
		userHandler := L.CheckFunction(2)
		// The script's handler runs protected too: an error in it becomes
		// the result, without a traceback.
		wrapped := L.NewFunction(func(L *lua.LState) int {
			msg := L.Get(1)
			L.Push(userHandler)
			L.Push(msg)
			if err := L.PCall(1, 1, handler); err != nil {
				L.Push(errorValue(err))
			}
			return 1
		})
		top := L.GetTop()
		L.Push(fn)
		if err := L.PCall(0, lua.MultRet, wrapped); err != nil {
			L.Push(lua.LFalse)
			L.Push(errorValue(err))
			return 2
		}
		L.Insert(lua.LTrue, top+1)
		return L.GetTop() - top
	}))
	L.SetGlobal("unpack", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		i, j := listRange(L, t, 2)
		if i > j {
			return 0
		}
		if j-i >= maxResults {
			L.RaiseError("too many results to unpack (%d, the most is %d)", j-i+1, maxResults)
		}
		for k := i; k <= j; k++ {
			L.Push(t.RawGetInt(k))
		}
		return j - i + 1
	}))
	str := L.GetGlobal("string").(*lua.LTable)
	str.RawSetString("byte", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		i := posrelat(L.OptInt(2, 1), len(s))
		j := posrelat(L.OptInt(3, i), len(s))
		i = max(i, 1)
		j = min(j, len(s))
		if i > j {
			return 0
		}
		if j-i >= maxResults {
			L.RaiseError("string slice too long (%d bytes, the most is %d)", j-i+1, maxResults)
		}
		for k := i; k <= j; k++ {
			L.Push(lua.LNumber(s[k-1]))
		}
		return j - i + 1
	}))
}
