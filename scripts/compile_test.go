package scripts

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestCompileErrorPositions(t *testing.T) {
	for _, tc := range []struct {
		src       string
		line, col int
	}{
		{"function on_request(req)\n  if x then\nend\n", 3, 0},
		{"local x = = 1", 1, 11},
		{"function f()\n  return deny(\nend\n", 3, 1}, // at the start of a longer token
		{"function f()\n  goto nowhere\nend", 3, 0},
		{"x = 'unterminated", 1, 0},
	} {
		_, err := Compile("t", "t.lua", []byte(tc.src))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: error %v, not an *Error", tc.src, err)
			continue
		}
		if e.File != "t.lua" || e.Line != tc.line || tc.col != 0 && e.Column != tc.col {
			t.Errorf("%q: %v; want t.lua:%d:%d", tc.src, e, tc.line, tc.col)
		}
		t.Log(e)
	}
}

func TestMainChunkErrors(t *testing.T) {
	p, err := Compile("t", "t.lua", []byte("local a = 1\nlocal b = nil + a\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(context.Background(), p, Options{})
	var e *Error
	if !errors.As(err, &e) || e.Line != 2 {
		t.Errorf("error %v; want one at t.lua:2", err)
	}
	p, _ = Compile("t", "t.lua", []byte("while true do end"))
	if _, err := New(context.Background(), p, Options{}); err == nil || !strings.Contains(err.Error(), "did not finish") {
		t.Errorf("error %v", err)
	}
}

// TestNoConcatOpcode: every syntactic place a ".." can be is compiled into
// a call of the guard (Compile refuses a program that still has one).
func TestNoConcatOpcode(t *testing.T) {
	src := `
local a = "x" .. 1
b = a .. a .. a
local t = {a .. "k", [a .. "j"] = a .. "v", f = function() return a .. "r" end}
t[a .. "i"] = (a .. "p") .. "q"
if a .. "c" == "x" then elseif a .. "d" then else local e = a .. "e" end
while a .. "w" == "" do end
repeat local r = a .. "u" until a .. "u" ~= ""
for i = #(a .. "n"), #(a .. "m"), #(a .. "o") do end
for k, v in pairs({a .. "g"}) do end
local function g(...) return ... end
g(a .. "h", not (a .. "z"), -#(a .. "y"), a .. "l" and a .. "s")
function t.m(s) return s .. "m" end
t:m(a .. "x")
do local d = a .. "do" end
return a .. "end"
`
	p, err := Compile("t", "t.lua", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if hasConcat(p.proto) {
		t.Fatal("a CONCAT opcode remains")
	}
}

func TestStringLimits(t *testing.T) {
	s := load(t, `
function on_request(req)
  local ok, err = pcall(function() local s = string.rep("x", 1e6) return s .. s end)
  if ok then return deny("concat over the limit") end
  ok = pcall(function() local s = "x" for i = 1, 30 do s = s .. s end end)
  if ok then return deny("doubling") end
  ok = pcall(string.rep, "ab", 600000)
  if ok then return deny("rep") end
  ok = pcall(string.format, "%099999999d", 1)
  if ok then return deny("format") end
  local big = string.rep("x", 600000)
  ok = pcall(table.concat, {big, big})
  if ok then return deny("table.concat") end
  ok = pcall(string.gsub, big, "x", "yy")
  if ok then return deny("gsub") end
  ok = pcall(string.byte, big, 1, -1)
  if ok then return deny("byte") end
  ok = pcall(unpack, {}, 1, 1e6)
  if ok then return deny("unpack") end
  -- Up to the limit is fine.
  local fine = string.rep("x", 1048576)
  if #fine ~= 1048576 then return deny("exact limit") end
end`)
	if v := request(t, s, newView()); v.Deny {
		t.Errorf("a string over the limit was built: %s", v.Reason)
	}
}

func TestBuiltPerCall(t *testing.T) {
	s := load(t, `function on_request(req) local t = {} for i = 1, 100 do t[i] = string.rep("x", 1e6) end end`)
	_, err := s.OnRequest(context.Background(), newView())
	if err == nil || !strings.Contains(err.Error(), "built more than") {
		t.Errorf("error %v", err)
	}
}
