package scripts

import (
	"fmt"
	"testing"
	"time"
)

func TestStore(t *testing.T) {
	s := NewStore(3, 1<<20)
	now := time.Unix(1000, 0)
	s.now = func() time.Time { return now }
	s.Set("a", "x", 0)
	s.Set("b", 1.5, time.Second)
	if s.Get("a") != "x" || s.Get("b") != 1.5 || s.Get("c") != nil {
		t.Fatal("get")
	}
	if n, ok := s.Incr("n", 2, 10*time.Second); !ok || n != 2 {
		t.Fatal(n)
	}
	now = now.Add(5 * time.Second)
	if n, _ := s.Incr("n", 1, 10*time.Second); n != 3 {
		t.Fatal(n)
	}
	if s.Get("b") != nil {
		t.Error("b outlived its TTL")
	}
	now = now.Add(5 * time.Second)
	if n, _ := s.Incr("n", 1, 10*time.Second); n != 1 {
		t.Errorf("the window did not restart: %v", n)
	}
	if _, ok := s.Incr("a", 1, 0); ok {
		t.Error("incr of a string")
	}
	s.Set("a", nil, 0)
	if s.Get("a") != nil {
		t.Error("set nil does not delete")
	}
}

func TestStoreBounds(t *testing.T) {
	s := NewStore(100, 1<<20)
	for i := range 1000 {
		s.Set(fmt.Sprint(i), "v", 0)
		if i == 10 {
			s.Get("0") // recently used: kept
		}
	}
	if s.Len() != 100 || s.Get("999") == nil || s.Get("500") != nil {
		t.Errorf("len %d", s.Len())
	}
	b := NewStore(0, 10_000)
	for i := range 1000 {
		b.Set(fmt.Sprint("k", i), string(make([]byte, 100)), 0)
	}
	if b.bytes > 10_000 || b.Evicted() == 0 {
		t.Errorf("%d bytes, %d evicted", b.bytes, b.Evicted())
	}
	if b.Set("huge", string(make([]byte, 20_000)), 0) {
		t.Error("an entry larger than the store was stored")
	}
}

func TestStoreFromLua(t *testing.T) {
	store := NewStore(0, 0)
	a := load(t, `
function on_request(req)
  local n = store.incr("calls:" .. req.session.user, 1, 60)
  if n > 3 then return deny("rate limit: " .. n) end
  store.set("last", req.operation, 10)
end`, Options{Store: store})
	b := load(t, `function on_request(req) if store.get("last") ~= "read" then return deny(tostring(store.get("last"))) end end`,
		Options{Store: store})
	for i := 1; i <= 4; i++ {
		v := request(t, a, newView())
		if v.Deny != (i == 4) {
			t.Errorf("call %d: %+v", i, v)
		}
	}
	if v := request(t, b, newView()); v.Deny {
		t.Errorf("a script does not see another's store: %+v", v)
	}
}
