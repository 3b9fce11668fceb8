package scripts

import (
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The string functions a script builds strings with, replaced so that each
// result is checked against the limits before it is allocated, and pattern
// matching, which runs under the hook's budget.

// installStringLib replaces the string and table functions that build or
// scan strings in L's string and table libraries.
func (st *state) installStringLib() {
	L := st.L
	str := L.GetGlobal("string").(*lua.LTable)
	origFormat := str.RawGetString("format").(*lua.LFunction)
	for name, fn := range map[string]lua.LGFunction{
		"find":    st.strFind,
		"match":   st.strMatch,
		"gmatch":  st.strGmatch,
		"gsub":    st.strGsub,
		"rep":     st.strRep,
		"format":  st.strFormat(origFormat),
		"upper":   st.sized(strings.ToUpper),
		"lower":   st.sized(strings.ToLower),
		"reverse": st.sized(reverse),
		"char":    st.strChar,
	} {
		str.RawSetString(name, L.NewFunction(fn))
	}
	for _, name := range []string{"dump", "gfind"} {
		str.RawSetString(name, lua.LNil)
	}
	L.GetGlobal("table").(*lua.LTable).RawSetString("concat", L.NewFunction(st.tableConcat))
	L.SetGlobal(concatGuard, L.NewFunction(st.concat))
}

// build accounts for a string of n bytes about to be built, raising a Lua
// error when it is over a limit.
func (st *state) build(n int) {
	if n > st.limits.MaxString {
		st.L.RaiseError("string of %d bytes exceeds the limit of %d bytes", n, st.limits.MaxString)
	}
	st.built += n
	if st.built > st.limits.MaxBuilt {
		st.L.RaiseError("the script built more than %d bytes of strings in one call", st.limits.MaxBuilt)
	}
}

// budget is the matcher's check of the hook's deadline.
func (st *state) budget() error {
	if st.ctx == nil {
		return nil
	}
	return st.bctx.check()
}

func (st *state) matcher(src, pat string) *matcher {
	return &matcher{src: src, pat: pat, budget: st.budget}
}

// raisePattern raises a pattern error as a Lua error.
func (st *state) raisePattern(err error) {
	if err != nil {
		st.L.RaiseError("%s", err.Error())
	}
}

func pushCaptures(L *lua.LState, cs []capture) int {
	for _, c := range cs {
		if c.position {
			L.Push(lua.LNumber(c.pos))
		} else {
			L.Push(lua.LString(c.s))
		}
	}
	return len(cs)
}

// posrelat turns a Lua string position (negative from the end) into a
// 1-based position, 0 when before the start.
func posrelat(pos, n int) int {
	if pos < 0 {
		pos += n + 1
	}
	return max(pos, 0)
}

func (st *state) strFind(L *lua.LState) int  { return st.findAux(L, true) }
func (st *state) strMatch(L *lua.LState) int { return st.findAux(L, false) }

func (st *state) findAux(L *lua.LState, find bool) int {
	s := L.CheckString(1)
	p := L.CheckString(2)
	init := posrelat(L.OptInt(3, 1), len(s)) - 1
	init = min(max(init, 0), len(s))
	if find && (lua.LVAsBool(L.Get(4)) || !hasSpecials(p)) {
		if i := strings.Index(s[init:], p); i >= 0 {
			L.Push(lua.LNumber(init + i + 1))
			L.Push(lua.LNumber(init + i + len(p)))
			return 2
		}
		L.Push(lua.LNil)
		return 1
	}
	m := st.matcher(s, p)
	var start, end int
	var caps []capture
	st.raisePattern(runMatcher(func() {
		if start, end = m.find(init); start >= 0 {
			caps = m.captures(start, end, !find)
		}
	}))
	if start < 0 {
		L.Push(lua.LNil)
		return 1
	}
	if find {
		L.Push(lua.LNumber(start + 1))
		L.Push(lua.LNumber(end))
		return 2 + pushCaptures(L, caps)
	}
	return pushCaptures(L, caps)
}

// strGmatch returns an iterator that finds the next match on each call, as
// Lua's does (nothing is matched ahead).
func (st *state) strGmatch(L *lua.LState) int {
	s := L.CheckString(1)
	p := L.CheckString(2)
	pos := 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		m := st.matcher(s, p)
		var caps []capture
		found := false
		st.raisePattern(runMatcher(func() {
			for src := pos; src <= len(s); src++ {
				m.level = 0
				if e := m.match(src, 0); e >= 0 {
					pos = e
					if e == src {
						pos++ // an empty match: move on at least one byte
					}
					caps = m.captures(src, e, true)
					found = true
					return
				}
			}
			pos = len(s) + 1
		}))
		if !found {
			return 0
		}
		return pushCaptures(L, caps)
	}))
	return 1
}

func (st *state) strGsub(L *lua.LState) int {
	src := L.CheckString(1)
	p := L.CheckString(2)
	repl := L.Get(3)
	switch repl.Type() {
	case lua.LTString, lua.LTNumber, lua.LTTable, lua.LTFunction:
	default:
		L.ArgError(3, "string/function/table expected")
	}
	maxN := L.OptInt(4, len(src)+1)
	anchor := strings.HasPrefix(p, "^")
	if anchor {
		p = p[1:]
	}
	m := st.matcher(src, p)
	var b []byte
	n := 0
	st.raisePattern(runMatcher(func() {
		s := 0
		for n < maxN {
			m.level = 0
			e := m.match(s, 0)
			if e >= 0 {
				n++
				b = st.addValue(L, m, b, s, e, repl)
			}
			switch {
			case e >= 0 && e > s:
				s = e
			case s < len(src):
				b = append(b, src[s])
				s++
			default:
				s = len(src) + 1
			}
			if len(b) > st.limits.MaxString {
				st.build(len(b))
			}
			if s > len(src) || anchor {
				break
			}
		}
		if s < len(src) {
			b = append(b, src[s:]...)
		}
	}))
	st.build(len(b))
	L.Push(lua.LString(b))
	L.Push(lua.LNumber(n))
	return 2
}

// addValue appends the replacement of the match [s, e) to b.
func (st *state) addValue(L *lua.LState, m *matcher, b []byte, s, e int, repl lua.LValue) []byte {
	var v lua.LValue
	switch r := repl.(type) {
	case lua.LString, lua.LNumber:
		news := lua.LVAsString(r)
		for i := 0; i < len(news); i++ {
			c := news[i]
			if c != '%' {
				b = append(b, c)
				continue
			}
			i++
			if i >= len(news) {
				break
			}
			c = news[i]
			switch {
			case !isdigit(c):
				b = append(b, c)
			case c == '0':
				b = append(b, m.src[s:e]...)
			default:
				cp := m.capture(int(c-'1'), s, e)
				if cp.position {
					b = append(b, fmt.Sprint(cp.pos)...)
				} else {
					b = append(b, cp.s...)
				}
			}
			if len(b) > st.limits.MaxString {
				st.build(len(b))
			}
		}
		return b
	case *lua.LTable:
		v = L.GetTable(r, captureValue(m.capture(0, s, e)))
	case *lua.LFunction:
		L.Push(r)
		caps := m.captures(s, e, true)
		pushCaptures(L, caps)
		L.Call(len(caps), 1)
		v = L.Get(-1)
		L.Pop(1)
	}
	switch v.Type() {
	case lua.LTNil:
		return append(b, m.src[s:e]...)
	case lua.LTBool:
		if !lua.LVAsBool(v) {
			return append(b, m.src[s:e]...)
		}
	case lua.LTString, lua.LTNumber:
		return append(b, lua.LVAsString(v)...)
	}
	L.RaiseError("invalid replacement value (a %s)", v.Type().String())
	return b
}

func captureValue(c capture) lua.LValue {
	if c.position {
		return lua.LNumber(c.pos)
	}
	return lua.LString(c.s)
}

// strRep is string.rep(s, n [, sep]), checked before it allocates.
func (st *state) strRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := L.CheckInt(2)
	sep := L.OptString(3, "")
	if n <= 0 {
		L.Push(lua.LString(""))
		return 1
	}
	unit := len(s) + len(sep)
	if unit > 0 && n > (st.limits.MaxString+len(sep))/unit+1 {
		L.RaiseError("string.rep would build %.0f bytes, over the limit of %d bytes", float64(unit)*float64(n)-float64(len(sep)), st.limits.MaxString)
	}
	size := unit*n - len(sep)
	st.build(size)
	if sep == "" {
		L.Push(lua.LString(strings.Repeat(s, n)))
		return 1
	}
	var b strings.Builder
	b.Grow(size)
	for i := range n {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s)
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// strFormat bounds the result of string.format from its format and
// arguments (every width and precision counted) before formatting.
func (st *state) strFormat(orig *lua.LFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		f := L.CheckString(1)
		bound := len(f)
		for i := 2; i <= L.GetTop(); i++ {
			bound += 4*len(lua.LVAsString(L.Get(i))) + 32
		}
		for i := 0; i < len(f); i++ {
			if f[i] != '%' {
				continue
			}
			num := 0
			for i++; i < len(f) && strings.IndexByte("-+ #0123456789.", f[i]) >= 0; i++ {
				if isdigit(f[i]) {
					num = num*10 + int(f[i]-'0')
					if num > 1<<30 {
						num = 1 << 30
					}
				} else {
					bound += num
					num = 0
				}
			}
			bound += num
		}
		if bound > st.limits.MaxString {
			st.build(bound)
		}
		top := L.GetTop()
		L.Push(orig)
		for i := 1; i <= top; i++ {
			L.Push(L.Get(i))
		}
		L.Call(top, 1)
		res := L.Get(-1)
		st.build(len(lua.LVAsString(res)))
		return 1
	}
}

// sized wraps a string-to-string function whose result is as long as its
// argument, accounting for what it builds.
func (st *state) sized(fn func(string) string) lua.LGFunction {
	return func(L *lua.LState) int {
		s := L.CheckString(1)
		st.build(len(s))
		L.Push(lua.LString(fn(s)))
		return 1
	}
}

func reverse(s string) string {
	b := make([]byte, len(s))
	for i := range len(s) {
		b[len(s)-1-i] = s[i]
	}
	return string(b)
}

func (st *state) strChar(L *lua.LState) int {
	n := L.GetTop()
	st.build(n)
	b := make([]byte, n)
	for i := 1; i <= n; i++ {
		c := L.CheckInt(i)
		if c < 0 || c > 255 {
			L.ArgError(i, "invalid value")
		}
		b[i-1] = byte(c)
	}
	L.Push(lua.LString(b))
	return 1
}

// tableConcat is table.concat(t [, sep [, i [, j]]]), sized before it
// allocates.
func (st *state) tableConcat(L *lua.LState) int {
	t := L.CheckTable(1)
	sep := L.OptString(2, "")
	i, j := listRange(L, t, 3)
	if i > j {
		L.Push(lua.LString(""))
		return 1
	}
	size := 0
	parts := make([]string, 0, min(j-i+1, 1024))
	for k := i; k <= j; k++ {
		v := t.RawGetInt(k)
		switch v.Type() {
		case lua.LTString, lua.LTNumber:
		default:
			L.RaiseError("invalid value (at index %d) in table for 'concat'", k)
		}
		s := lua.LVAsString(v)
		size += len(s)
		if k > i {
			size += len(sep)
		}
		if size > st.limits.MaxString {
			st.build(size)
		}
		parts = append(parts, s)
	}
	st.build(size)
	L.Push(lua.LString(strings.Join(parts, sep)))
	return 1
}

// concat is what a script's ".." runs: Lua's concatenation (strings and
// numbers, else the __concat metamethod, right to left), with every result
// checked before it is built.
func (st *state) concat(L *lua.LState) int {
	n := L.GetTop()
	size := 0
	plain := true
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			size += len(v)
		case lua.LNumber:
			size += len(v.String())
		default:
			plain = false
		}
	}
	if plain {
		st.build(size)
		var b strings.Builder
		b.Grow(size)
		for i := 1; i <= n; i++ {
			b.WriteString(lua.LVAsString(L.Get(i)))
		}
		L.Push(lua.LString(b.String()))
		return 1
	}
	rhs := L.Get(n)
	for i := n - 1; i >= 1; i-- {
		lhs := L.Get(i)
		if stringish(lhs) && stringish(rhs) {
			l, r := lua.LVAsString(lhs), lua.LVAsString(rhs)
			st.build(len(l) + len(r))
			rhs = lua.LString(l + r)
			continue
		}
		mm := L.GetMetaField(lhs, "__concat")
		if mm == lua.LNil {
			mm = L.GetMetaField(rhs, "__concat")
		}
		if mm == lua.LNil {
			bad := lhs
			if stringish(lhs) {
				bad = rhs
			}
			L.RaiseError("attempt to concatenate a %s value", bad.Type().String())
		}
		L.Push(mm)
		L.Push(lhs)
		L.Push(rhs)
		L.Call(2, 1)
		rhs = L.Get(-1)
		L.Pop(1)
	}
	L.Push(rhs)
	return 1
}

func stringish(v lua.LValue) bool {
	t := v.Type()
	return t == lua.LTString || t == lua.LTNumber
}
