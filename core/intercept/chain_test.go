package intercept

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/floe-router/floe/sdk"
)

// fakeView is a request view with a patchable context.
type fakeView struct {
	sdk.RequestView
	ctx map[string]string
}

func (v *fakeView) ContextValue(k string) (string, bool) { s, ok := v.ctx[k]; return s, ok }
func (v *fakeView) Context() map[string]string           { return maps.Clone(v.ctx) }
func (v *fakeView) Apply(p *sdk.Verdict) {
	for k, val := range p.SetContext {
		v.ctx[k] = val
	}
	for _, k := range p.RemoveContext {
		delete(v.ctx, k)
	}
}

// funcHook adapts functions to hooks.
type funcHook struct {
	points  sdk.Points
	request func(context.Context, sdk.RequestView) (sdk.Verdict, error)
	auth    func(context.Context, *sdk.AuthRequest) (sdk.AuthResult, error)
}

func (h *funcHook) Points() sdk.Points { return h.points }
func (h *funcHook) OnRequest(ctx context.Context, r sdk.RequestView) (sdk.Verdict, error) {
	return h.request(ctx, r)
}
func (h *funcHook) OnAuthenticate(ctx context.Context, a *sdk.AuthRequest) (sdk.AuthResult, error) {
	return h.auth(ctx, a)
}

func requestHook(f func(context.Context, sdk.RequestView) (sdk.Verdict, error)) *funcHook {
	return &funcHook{points: sdk.PointsOf(sdk.Request), request: f}
}

func slow(ctx context.Context, _ sdk.RequestView) (sdk.Verdict, error) {
	<-ctx.Done()
	return sdk.Verdict{}, ctx.Err()
}

func TestRequestChain(t *testing.T) {
	setUser := requestHook(func(context.Context, sdk.RequestView) (sdk.Verdict, error) {
		return sdk.Verdict{SetContext: map[string]string{"user": "alice"}}, nil
	})
	needUser := requestHook(func(_ context.Context, r sdk.RequestView) (sdk.Verdict, error) {
		if _, ok := r.ContextValue("user"); !ok {
			return sdk.Deny("no user"), nil
		}
		return sdk.Continue, nil
	})
	broken := requestHook(func(context.Context, sdk.RequestView) (sdk.Verdict, error) {
		return sdk.Verdict{}, errors.New("boom")
	})
	for _, tc := range []struct {
		name     string
		entries  []Entry
		deny     bool
		hook     string
		wantCtx  map[string]string
		failOpen uint64
		timeouts uint64
	}{
		{"no hooks", nil, false, "", map[string]string{}, 0, 0},
		{"a later hook sees an earlier patch", []Entry{{Name: "set", Hook: setUser}, {Name: "need", Hook: needUser}},
			false, "", map[string]string{"user": "alice"}, 0, 0},
		{"order matters", []Entry{{Name: "need", Hook: needUser}, {Name: "set", Hook: setUser}},
			true, "need", map[string]string{}, 0, 0},
		{"an error fails closed by default", []Entry{{Name: "broken", Hook: broken}, {Name: "set", Hook: setUser}},
			true, "broken", map[string]string{}, 0, 0},
		{"an error fails open when told to", []Entry{{Name: "broken", Hook: broken, OnError: FailOpen}, {Name: "set", Hook: setUser}},
			false, "", map[string]string{"user": "alice"}, 1, 0},
		{"a timeout is a failure", []Entry{{Name: "slow", Hook: requestHook(slow), Timeout: 5 * time.Millisecond}},
			true, "slow", map[string]string{}, 0, 1},
		{"a timeout fails open when told to", []Entry{{Name: "slow", Hook: requestHook(slow), Timeout: 5 * time.Millisecond, OnError: FailOpen}},
			false, "", map[string]string{}, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(tc.entries, nil)
			v := &fakeView{ctx: map[string]string{}}
			o := c.Request(context.Background(), sdk.Request, v)
			if o.Deny != tc.deny || o.Hook != tc.hook {
				t.Errorf("outcome %+v, want deny=%v by %q", o, tc.deny, tc.hook)
			}
			if !maps.Equal(v.ctx, tc.wantCtx) {
				t.Errorf("context %v, want %v", v.ctx, tc.wantCtx)
			}
			var failOpen, timeouts uint64
			for _, s := range c.Stats() {
				failOpen += s.FailOpens
				timeouts += s.Timeouts
			}
			if failOpen != tc.failOpen || timeouts != tc.timeouts {
				t.Errorf("fail-opens %d timeouts %d, want %d %d", failOpen, timeouts, tc.failOpen, tc.timeouts)
			}
			if c.Has(sdk.Callback) {
				t.Error("request hooks are called at the callback point")
			}
		})
	}
}

// quickHook is a request hook that answers some requests at once (its
// cache) and the others by a call (OnRequest), counting the calls.
type quickHook struct {
	funcHook
	quick func(sdk.RequestView) (sdk.Verdict, bool, error)
	calls int
}

func (h *quickHook) QuickRequest(v sdk.RequestView) (sdk.Verdict, bool, error) { return h.quick(v) }
func (h *quickHook) OnRequest(ctx context.Context, v sdk.RequestView) (sdk.Verdict, error) {
	h.calls++
	return h.request(ctx, v)
}

func TestRequestQuickStopsWhereAHookWouldWait(t *testing.T) {
	set := func(k string) *funcHook {
		return requestHook(func(context.Context, sdk.RequestView) (sdk.Verdict, error) {
			return sdk.Verdict{SetContext: map[string]string{k: "1"}}, nil
		})
	}
	// The plugin-like hook needs "a" set by the hook before it, and says
	// what the hooks after it see.
	plugin := func(quick func(sdk.RequestView) (sdk.Verdict, bool, error)) *quickHook {
		return &quickHook{funcHook: *requestHook(func(_ context.Context, v sdk.RequestView) (sdk.Verdict, error) {
			if _, ok := v.ContextValue("a"); !ok {
				return sdk.Deny("a is missing"), nil
			}
			return sdk.Verdict{SetContext: map[string]string{"called": "1"}}, nil
		}), quick: quick}
	}
	cached := func(sdk.RequestView) (sdk.Verdict, bool, error) {
		return sdk.Verdict{SetContext: map[string]string{"cached": "1"}}, true, nil
	}
	uncached := func(sdk.RequestView) (sdk.Verdict, bool, error) { return sdk.Verdict{}, false, nil }
	down := func(sdk.RequestView) (sdk.Verdict, bool, error) {
		return sdk.Verdict{}, true, errors.New("plugin down")
	}
	for _, tc := range []struct {
		name      string
		quick     func(sdk.RequestView) (sdk.Verdict, bool, error)
		onError   OnError
		rest      bool
		deny      bool
		quickCtx  map[string]string // after RequestQuick
		finalCtx  map[string]string // after RequestRest
		callsMade int
	}{
		{"a cached verdict is applied at once and the chain goes on", cached, FailClosed, false, false,
			map[string]string{"a": "1", "cached": "1", "b": "1"}, map[string]string{"a": "1", "cached": "1", "b": "1"}, 0},
		{"a hook that must call stops the quick run; the rest runs it and the hooks after it", uncached, FailClosed,
			true, false, map[string]string{"a": "1"}, map[string]string{"a": "1", "called": "1", "b": "1"}, 1},
		{"a failure known at once takes the failure policy", down, FailClosed, false, true,
			map[string]string{"a": "1"}, map[string]string{"a": "1"}, 0},
		{"and fails open when told to", down, FailOpen, false, false,
			map[string]string{"a": "1", "b": "1"}, map[string]string{"a": "1", "b": "1"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := plugin(tc.quick)
			c := New([]Entry{{Name: "a", Hook: set("a")}, {Name: "p", Hook: p, OnError: tc.onError}, {Name: "b", Hook: set("b")}}, nil)
			v := &fakeView{ctx: map[string]string{}}
			o, rest := c.RequestQuick(context.Background(), sdk.Request, v)
			if rest.Empty() == tc.rest {
				t.Fatalf("rest empty = %v, want %v", rest.Empty(), !tc.rest)
			}
			if !maps.Equal(v.ctx, tc.quickCtx) {
				t.Errorf("context after the quick run %v, want %v", v.ctx, tc.quickCtx)
			}
			if !rest.Empty() {
				o = c.RequestRest(context.Background(), rest, v)
			}
			if o.Deny != tc.deny {
				t.Errorf("outcome %+v, want deny=%v", o, tc.deny)
			}
			if !maps.Equal(v.ctx, tc.finalCtx) {
				t.Errorf("final context %v, want %v", v.ctx, tc.finalCtx)
			}
			if p.calls != tc.callsMade {
				t.Errorf("%d calls, want %d", p.calls, tc.callsMade)
			}
			if n := c.Stats()["p"].Calls; n != 1 {
				t.Errorf("the chain counted %d calls of p, want 1", n)
			}
		})
	}
}

func TestAuthenticateChain(t *testing.T) {
	abstain := &funcHook{points: sdk.PointsOf(sdk.Authenticate), auth: func(context.Context, *sdk.AuthRequest) (sdk.AuthResult, error) {
		return sdk.AuthResult{Attributes: map[string]string{"tier": "gold"}}, nil
	}}
	allow := &funcHook{points: sdk.PointsOf(sdk.Authenticate), auth: func(_ context.Context, a *sdk.AuthRequest) (sdk.AuthResult, error) {
		if a.Password != "secret" {
			return sdk.AuthResult{Decision: sdk.Refuse, Reason: "wrong password"}, nil
		}
		return sdk.AuthResult{Decision: sdk.Allow, Attributes: map[string]string{"role": "admin"}}, nil
	}}
	broken := &funcHook{points: sdk.PointsOf(sdk.Authenticate), auth: func(context.Context, *sdk.AuthRequest) (sdk.AuthResult, error) {
		return sdk.AuthResult{Decision: sdk.Allow}, errors.New("directory down")
	}}
	for _, tc := range []struct {
		name     string
		entries  []Entry
		password string
		want     sdk.AuthDecision
		reason   string
		attrs    map[string]string
	}{
		{"attributes carry over to the deciding hook", []Entry{{Name: "a", Hook: abstain}, {Name: "b", Hook: allow}}, "secret",
			sdk.Allow, "", map[string]string{"tier": "gold", "role": "admin"}},
		{"a refusal carries its reason", []Entry{{Name: "b", Hook: allow}}, "guess", sdk.Refuse, "wrong password", nil},
		{"nobody decides", []Entry{{Name: "a", Hook: abstain}}, "x", sdk.Abstain, "", map[string]string{"tier": "gold"}},
		{"a failing authenticator refuses by default", []Entry{{Name: "x", Hook: broken}, {Name: "b", Hook: allow}}, "secret",
			sdk.Refuse, "internal server error", nil},
		{"failing open never grants by itself", []Entry{{Name: "x", Hook: broken, OnError: FailOpen}}, "secret",
			sdk.Abstain, "", map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := New(tc.entries, nil).Authenticate(context.Background(), &sdk.AuthRequest{User: "u", Password: tc.password})
			if res.Decision != tc.want || res.Reason != tc.reason {
				t.Errorf("got %+v", res)
			}
			if tc.attrs != nil && !maps.Equal(res.Attributes, tc.attrs) {
				t.Errorf("attributes %v, want %v", res.Attributes, tc.attrs)
			}
		})
	}
}

func TestNilChainHasNothing(t *testing.T) {
	var c *Chain
	if c.Has(sdk.Request) {
		t.Fatal("nil chain has hooks")
	}
	if o := c.Request(context.Background(), sdk.Request, &fakeView{ctx: map[string]string{}}); o.Deny {
		t.Fatal("nil chain denied")
	}
}

// shiftingHook changes the points it declares, as a reloaded script does.
type shiftingHook struct {
	funcHook
	points sdk.Points
}

func (h *shiftingHook) Points() sdk.Points { return h.points }

func TestRefreshPicksUpNewPoints(t *testing.T) {
	h := &shiftingHook{funcHook: *requestHook(func(context.Context, sdk.RequestView) (sdk.Verdict, error) {
		return sdk.Deny("no"), nil
	}), points: sdk.PointsOf(sdk.Request)}
	c := New([]Entry{{Name: "s", Hook: h}}, nil)
	if c.Has(sdk.Callback) {
		t.Fatal("callback point before the reload")
	}
	h.points = sdk.PointsOf(sdk.Request, sdk.Callback)
	c.Refresh()
	if !c.Has(sdk.Callback) {
		t.Fatal("callback point not picked up by Refresh")
	}
	if o := c.Request(context.Background(), sdk.Callback, &fakeView{ctx: map[string]string{}}); !o.Deny {
		t.Fatal("the new point's handler was not called")
	}
}
