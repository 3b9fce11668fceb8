package host

import (
	"testing"
	"time"

	"github.com/floe-router/floe/sdk"
	"github.com/floe-router/floe/sdk/sdktest"
)

func TestVerdictCache(t *testing.T) {
	c := newVerdictCache(3)
	now := time.Now()
	req := func(op, user string) sdk.RequestView {
		return sdktest.Request{Identity: "hello", Operation: op, Session: &sdk.Session{User: user}}.View()
	}
	byOp := sdk.Verdict{Deny: true, Reason: "no", CacheFor: time.Minute, CacheKey: []string{sdk.KeyOperation}}
	if !c.store(req("fail", "alice"), byOp, now) {
		t.Fatal("not stored")
	}
	if v, ok := c.lookup(req("fail", "bob"), now); !ok || !v.Deny || v.CacheFor != 0 {
		t.Errorf("same operation, another user: %+v %v; want the cached deny", v, ok)
	}
	if _, ok := c.lookup(req("other", "alice"), now); ok {
		t.Error("another operation hit the cache")
	}
	if _, ok := c.lookup(req("fail", "alice"), now.Add(time.Minute)); ok {
		t.Error("an expired verdict was used")
	}
	// A second shape: operation and user.
	byUser := sdk.Verdict{CacheFor: time.Minute, CacheKey: []string{sdk.KeyOperation, sdk.KeyUser}}
	c.store(req("sayHello", "alice"), byUser, now)
	if _, ok := c.lookup(req("sayHello", "alice"), now); !ok {
		t.Error("the second shape misses")
	}
	if _, ok := c.lookup(req("sayHello", "bob"), now); ok {
		t.Error("the second shape hit for another user")
	}
	if c.store(req("x", "alice"), sdk.Verdict{CacheFor: time.Minute, CacheKey: []string{"colour"}}, now) {
		t.Error("an unknown key field was stored")
	}
	// Full: expired entries go first, then everything.
	c.store(req("a", "alice"), byOp, now)
	c.store(req("b", "alice"), byOp, now)
	if n := c.len(); n > 3 {
		t.Errorf("%d entries; the cache holds 3", n)
	}
	c.reset()
	if _, ok := c.lookup(req("b", "alice"), now); ok || c.len() != 0 {
		t.Error("reset kept entries")
	}
}
