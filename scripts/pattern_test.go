package scripts

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// luaTests are assertions from Lua 5.1's own test suite (pm.lua) and
// manual, run in a sandboxed state: they hold in the reference Lua.
const luaTests = `
local function f(s, p) local i, e = string.find(s, p) if i then return string.sub(s, i, e) end end
assert(string.find('', '') == 1)
assert(string.find('alo', '') == 1)
assert(string.find('alo123alo', '12') == 4)
assert(string.find('alo123alo', '^12') == nil)
assert(string.find('a.b', '.', 1, true) == 2)
assert(string.find('abc', 'b', -1) == nil)
assert(string.find('abc', 'b', -2) == 2)
assert(string.find('abc', '', 10) == 4)
assert(string.match("aaab", ".*b") == "aaab")
assert(string.match("aaa", ".*a") == "aaa")
assert(string.match("b", ".*b") == "b")
assert(string.match("aaab", ".+b") == "aaab")
assert(string.match("aaa", ".+a") == "aaa")
assert(not string.match("b", ".+b"))
assert(string.match("aaab", ".?b") == "ab")
assert(string.match("aaa", ".?a") == "aa")
assert(string.match("b", ".?b") == "b")
assert(f('aloALO', '%l*') == 'alo')
assert(f('aLo_ALO', '%a*') == 'aLo')
assert(f('aaab', 'a*') == 'aaa')
assert(f('aaa', '^.*$') == 'aaa')
assert(f('aaa', 'b*') == '')
assert(f('aaa', 'ab*a') == 'aa')
assert(f('aba', 'ab*a') == 'aba')
assert(f('aaab', 'a+') == 'aaa')
assert(f('aaa', '^.+$') == 'aaa')
assert(f('aaa', 'b+') == nil)
assert(f('aaa', 'ab+a') == nil)
assert(f('aba', 'ab+a') == 'aba')
assert(f('a$a', '.$') == 'a')
assert(f('a$a', '.%$') == 'a$')
assert(f('a$a', '.$.') == 'a$a')
assert(f('a$a', '$$') == nil)
assert(f('a$b', 'a$') == nil)
assert(f('a$a', '$') == '')
assert(f('', 'b*') == '')
assert(f('aaa', 'bb*') == nil)
assert(f('aaab', 'a-') == '')
assert(f('aaa', '^.-$') == 'aaa')
assert(f('aabaaabaaabaaaba', 'b.*b') == 'baaabaaabaaab')
assert(f('aabaaabaaabaaaba', 'b.-b') == 'baaab')
assert(f('alo xo', '.o$') == 'xo')
assert(f(' \n isto e assim', '%S%S*') == 'isto')
assert(f(' \n isto e assim', '%S*$') == 'assim')
assert(f(' \n isto e assim', '[a-z]*$') == 'assim')
assert(f('um caracter ? extra', '[^%sa-z]') == '?')
assert(f('', 'a?') == '')
assert(f('aa', '^aa?a?a') == 'aa')
assert(f(']]]xb', '[^]]') == 'x')
assert(f("0alo alo", "%x*") == "0a")
assert(f("alo alo", "%C+") == "alo alo")
assert(string.gsub('alo ulo  ', ' +$', '') == 'alo ulo')
assert(string.gsub('  alo alo  ', '^%s*(.-)%s*$', '%1') == 'alo alo')
assert(string.gsub('alo  alo  \n 123\n ', '%s+', ' ') == 'alo alo 123 ')
local t = "abc d"
local a, b = string.gsub(t, '(.)', '%1@')
assert('@'..a == string.gsub(t, '', '@') and b == 5)
a, b = string.gsub('abcd', '(.)', '%0@', 2)
assert(a == 'a@b@cd' and b == 2)
assert(string.gsub('alo alo', '()[al]', '%1') == '12o 56o')
assert(string.gsub("abc=xyz", "(%w*)(%p)(%w+)", "%3%2%1-%0") == "xyz=abc-abc=xyz")
assert(string.gsub("abc", "%w", "%1%0") == "aabbcc")
assert(string.gsub("abc", "%w+", "%0%1") == "abcabc")
assert(string.gsub('', '^', 'r') == 'r')
assert(string.gsub('', '$', 'r') == 'r')
assert(string.gsub("um (dois) tres (quatro)", "(%(%w+%))", string.upper) == "um (DOIS) tres (QUATRO)")
assert(string.gsub("alo 'oi' alo", "%b''", '"') == 'alo " alo')
assert(string.gsub("hello world", "o", {o = "0"}) == "hell0 w0rld")
assert(string.gsub("hello world", "(o)", {}) == "hello world")
assert(string.gsub("THE (quick) fox", "%f[%a]%a+", "x") == "x (x) x")
local s = 'a alo jose  joao'
local tt = {}
local r = string.gsub(s, '()(%w+)()', function (a, w, b) assert(string.len(w) == b - a) tt[a] = b - a end)
assert(s == r and tt[1] == 1 and tt[3] == 3 and tt[7] == 4 and tt[13] == 4)
local words = {}
for w in string.gmatch("one two  three", "%a+") do words[#words + 1] = w end
assert(#words == 3 and words[3] == "three")
local kv = {}
for k, v in string.gmatch("a=1, b=2", "(%w+)=(%w+)") do kv[k] = v end
assert(kv.a == "1" and kv.b == "2")
local n = 0
for _ in string.gmatch("abc", "") do n = n + 1 end
assert(n == 4)
assert(string.match("  key = value  ", "^%s*(%w+)%s*=%s*(%w+)") == "key")
assert(select(2, string.match("key = value", "(%w+) = (%w+)")) == "value")
assert(string.match("x", "()") == 1)
assert(string.rep("ab", 3) == "ababab")
assert(string.rep("ab", 3, ",") == "ab,ab,ab")
assert(string.rep("x", 0) == "")
assert(table.concat({1, "a", 2.5}, "-") == "1-a-2.5")
assert(table.concat({"a", "b", "c"}, "", 2) == "bc")
assert(table.concat({}) == "")
assert(string.format("%d-%s-%5.2f", 3, "x", 1.5) == "3-x- 1.50")
assert(string.byte("ABC", 2) == 66)
assert(select('#', string.byte("ABC", 1, -1)) == 3)
assert(string.char(72, 105) == "Hi")
assert(("x"):upper() == "X" and ("AbC"):lower() == "abc" and ("abc"):reverse() == "cba")
assert(1 .. 2 == "12")
assert("a" .. 1.5 .. "b" == "a1.5b")
local mt = {__concat = function(a, b) return "meta" end}
local obj = setmetatable({}, mt)
assert(obj .. "x" == "meta" and "x" .. obj == "meta" and "a" .. "b" .. obj == "ameta")
assert(not pcall(function() return "a" .. {} end))
assert(not pcall(string.find, "a", "("))
assert(not pcall(string.find, "a", "%"))
assert(not pcall(string.find, "a", "[a"))
assert(not pcall(string.gsub, "alo", ".", "%2"))
assert(not pcall(string.rep, "x", 1e9))
`

func TestLuaPatternSuite(t *testing.T) {
	s := load(t, luaTests+"\nfunction on_request(req) end")
	_ = s
}

// TestPatternsAgainstGopherLua compares find, match and gsub with
// gopher-lua's own string library on random patterns and subjects: both
// implement Lua 5.1's patterns.
func TestPatternsAgainstGopherLua(t *testing.T) {
	ref := lua.NewState()
	defer ref.Close()
	s := load(t, `function on_request(req) end`)
	st, err := s.cur.Load().get(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	ours := st.L
	rng := rand.New(rand.NewSource(1))
	atoms := []string{"a", "b", ".", "%a", "%d", "[ab]", "[^a]", "%s", "x", "(a)", "()", "%b()"}
	reps := []string{"", "", "*", "+", "-", "?"}
	subjects := []string{"", "a", "ab", "aab", "ba ab", "a1b2", "(a(b)c)", "xx  yy", "aaaa", "abab ba"}
	mismatches := 0
	for i := 0; i < 3000; i++ {
		var p strings.Builder
		if rng.Intn(4) == 0 {
			p.WriteString("^")
		}
		for n := rng.Intn(4) + 1; n > 0; n-- {
			a := atoms[rng.Intn(len(atoms))]
			p.WriteString(a)
			if len(a) <= 2 && a != "()" && !strings.HasPrefix(a, "(") {
				p.WriteString(reps[rng.Intn(len(reps))])
			}
		}
		if rng.Intn(5) == 0 {
			p.WriteString("$")
		}
		subj := subjects[rng.Intn(len(subjects))]
		for _, fn := range []string{"find", "match", "gsub"} {
			code := fmt.Sprintf(`local r = {pcall(string.%s, %q, %q%s)} local out = {} for i = 1, #r do out[i] = tostring(r[i]) end return table.concat(out, "|")`,
				fn, subj, p.String(), map[string]string{"gsub": `, "<%%0>"`}[fn])
			a, b := eval(t, ref, code), eval(t, ours, code)
			if strings.HasPrefix(a, "false") && strings.HasPrefix(b, "false") {
				continue // both refuse the pattern; the messages differ
			}
			if a != b {
				mismatches++
				if mismatches <= 20 {
					t.Errorf("string.%s(%q, %q): gopher-lua %q, floe %q", fn, subj, p.String(), a, b)
				}
			}
		}
	}
}

func eval(t *testing.T, L *lua.LState, code string) string {
	t.Helper()
	if err := L.DoString(code); err != nil {
		t.Fatalf("%s: %v", code, err)
	}
	v := L.Get(-1)
	L.Pop(1)
	return v.String()
}
