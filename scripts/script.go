// Package scripts is floe's Lua engine: each configured script is compiled
// once (gopher-lua), run on pooled, sandboxed states, and exposed to the
// interception chain as an sdk.Hook that handles exactly the points whose
// function the script defines (on_connect, on_authenticate, on_session,
// on_route, on_request, on_callback, on_reply).
//
// Sandbox: a script gets Lua's base library without the functions that load
// code or files, change environments or touch the process (no dofile,
// loadfile, load, loadstring, require, collectgarbage, setfenv, getfenv,
// print to stdout), and the string, table and math libraries; no os, io,
// debug, package or coroutine. floe adds deny, allow, log and store.
//
// Budgets: each call runs under the hook's deadline, which gopher-lua checks
// between instructions and floe's string functions check while matching
// patterns; every string a script builds (with .., string.rep,
// string.format, string.gsub, table.concat...) is checked against a size
// limit before it is allocated. A state whose call failed or ran out of
// time is discarded, never reused.
//
// This package imports gopher-lua, sdk and core packages; nothing in core/
// may import it.
package scripts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/floe-router/floe/sdk"
	"github.com/hashicorp/go-hclog"
	lua "github.com/yuin/gopher-lua"
)

// The global functions a script may define, by the point they handle.
var pointFunctions = []struct {
	fn     string
	points sdk.Points
}{
	{"on_connect", sdk.PointsOf(sdk.Connect)},
	{"on_authenticate", sdk.PointsOf(sdk.Authenticate)},
	{"on_session", sdk.PointsOf(sdk.SessionCreated, sdk.SessionDestroyed)},
	{"on_route", sdk.PointsOf(sdk.Route)},
	{"on_request", sdk.PointsOf(sdk.Request)},
	{"on_callback", sdk.PointsOf(sdk.Callback)},
	{"on_reply", sdk.PointsOf(sdk.Reply)},
}

// FunctionFor is the name of the script function that handles p.
func FunctionFor(p sdk.Point) string {
	for _, f := range pointFunctions {
		if f.points.Has(p) {
			return f.fn
		}
	}
	return ""
}

// LoadTimeout bounds the run of a script's main chunk when a version is
// loaded (its top level: definitions, tables of constants).
const LoadTimeout = time.Second

// Options configure a Script.
type Options struct {
	// Store is shared by all scripts; nil makes one for this script alone.
	Store *Store
	// Log receives the script's log lines; the script's name is added.
	Log    hclog.Logger
	Limits Limits
}

// Script is a loaded script: the hook the interception chain calls. Its
// program can be replaced while it runs (Reload); the points it declares
// are those of the program it was created with.
type Script struct {
	name   string
	store  *Store
	log    hclog.Logger
	limits Limits
	points sdk.Points

	cur atomic.Pointer[version]
}

// New loads a compiled program: it runs the main chunk in a first state
// (under LoadTimeout) to learn which functions it defines.
func New(ctx context.Context, p *Program, o Options) (*Script, error) {
	s := &Script{name: p.Name, store: o.Store, limits: o.Limits.withDefaults()}
	if s.store == nil {
		s.store = NewStore(0, 0)
	}
	lg := o.Log
	if lg == nil {
		lg = hclog.NewNullLogger()
	}
	s.log = lg.With("script", p.Name)
	v, err := s.load(ctx, p)
	if err != nil {
		return nil, err
	}
	s.points = sdk.Points(v.points)
	s.cur.Store(v)
	return s, nil
}

// load makes a version of p with one state ready, and a few more.
func (s *Script) load(ctx context.Context, p *Program) (*version, error) {
	v := &version{prog: p}
	lctx, cancel := context.WithTimeout(ctx, LoadTimeout)
	defer cancel()
	st, err := s.newState(lctx, v)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, &Error{File: p.File, Message: fmt.Sprintf("the main chunk did not finish within %s", LoadTimeout)}
		}
		return nil, err
	}
	for _, f := range pointFunctions {
		if st.L.GetGlobal(f.fn).Type() == lua.LTFunction {
			v.points |= uint16(f.points)
		} else if g := st.L.GetGlobal(f.fn); g != lua.LNil {
			st.L.Close()
			return nil, &Error{File: p.File, Message: fmt.Sprintf("%s is a %s, not a function", f.fn, g.Type().String())}
		}
	}
	v.idle = append(v.idle, st)
	for range min(maxIdle, 4) - 1 {
		if st, err := s.newState(lctx, v); err == nil {
			v.idle = append(v.idle, st)
		}
	}
	return v, nil
}

// Name is the script's configured name.
func (s *Script) Name() string { return s.name }

// Points implements sdk.Hook: the points whose function the script defined
// when it was created.
func (s *Script) Points() sdk.Points { return sdk.Points(s.cur.Load().points) }

// StartPoints are the points the version the script started with defines.
func (s *Script) StartPoints() sdk.Points { return s.points }

// Reload replaces the program; calls in progress finish on the old one. It
// fails, keeping the running version, when the new one's main chunk fails.
func (s *Script) Reload(ctx context.Context, p *Program) error {
	v, err := s.load(ctx, p)
	if err != nil {
		return err
	}
	s.cur.Swap(v).retire()
	return nil
}

// Close retires the running version.
func (s *Script) Close() {
	if v := s.cur.Load(); v != nil {
		v.retire()
	}
}

// run calls the script's function for point p: args pushes its arguments,
// result reads its return value (with the state still in the call). A
// function the running version lacks has nothing to say: ran is false.
func (s *Script) run(ctx context.Context, c *call, args func(st *state) int,
	result func(st *state, ret lua.LValue) error) (ran bool, err error) {
	v := s.cur.Load()
	fname := FunctionFor(c.point)
	if !sdk.Points(v.points).Has(c.point) {
		return false, nil
	}
	st, err := v.get(ctx, s)
	if err != nil {
		return false, s.failure(ctx, err)
	}
	L := st.L
	st.begin(ctx, c)
	fn := L.GetGlobal(fname)
	if fn.Type() != lua.LTFunction {
		st.end()
		v.put(st)
		return false, nil
	}
	L.Push(fn)
	nargs := args(st)
	err = L.PCall(nargs, 1, st.handler)
	if err == nil {
		ret := L.Get(-1)
		L.Pop(1)
		err = callResult(L, func() error { return result(st, ret) })
	}
	if err != nil && st.bctx.err != nil {
		err = st.bctx.err // the budget ran out (and the script saw it as an error)
	}
	st.end()
	if err != nil {
		L.Close() // whatever it was doing, this state is not reused
		return true, s.failure(ctx, err)
	}
	v.put(st)
	return true, nil
}

// callResult runs fn, turning a Lua error raised while reading the result
// (a context value that is not a string...) into an error.
func callResult(L *lua.LState, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if ae, ok := r.(*lua.ApiError); ok {
				err = ae
				return
			}
			panic(r)
		}
	}()
	return fn()
}

// failure describes a failed call: a timeout wraps the context's error,
// so the chain counts it as one; anything else has the script's position.
func (s *Script) failure(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("script %s: %w", s.name, ctx.Err())
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("script %s: %w", s.name, err)
	}
	file := s.cur.Load().prog.File
	var e *Error
	if !errors.As(err, &e) {
		err = runtimeError(file, err)
	}
	return fmt.Errorf("script %s: %w", s.name, err)
}

func badReturn(fn string, v lua.LValue, want string) error {
	return fmt.Errorf("%s returned a %s; it returns %s", fn, v.Type().String(), want)
}

// OnConnect implements sdk.ConnectHandler: on_connect(conn).
func (s *Script) OnConnect(ctx context.Context, conn *sdk.Connection) (sdk.Verdict, error) {
	var out sdk.Verdict
	c := &call{point: sdk.Connect, conn: conn}
	_, err := s.run(ctx, c, func(st *state) int {
		st.L.Push(st.connectionValue(conn))
		return 1
	}, func(st *state, ret lua.LValue) error {
		return verdictResult("on_connect", ret, &out)
	})
	return out, err
}

// verdictResult reads deny(...), allow() or nothing.
func verdictResult(fn string, ret lua.LValue, out *sdk.Verdict) error {
	lv, ok := asVerdict(ret)
	if !ok {
		return badReturn(fn, ret, "deny(reason), allow() or nothing")
	}
	if lv != nil && lv.deny {
		*out = sdk.Deny(lv.reason)
	}
	return nil
}

// OnAuthenticate implements sdk.AuthenticateHandler: on_authenticate(auth)
// returns allow([attributes]), deny(reason) or nothing (abstain).
func (s *Script) OnAuthenticate(ctx context.Context, a *sdk.AuthRequest) (sdk.AuthResult, error) {
	var out sdk.AuthResult
	c := &call{point: sdk.Authenticate, conn: a.Connection, user: a.User}
	_, err := s.run(ctx, c, func(st *state) int {
		t := st.L.NewTable()
		t.RawSetString("user", lua.LString(a.User))
		t.RawSetString("password", lua.LString(a.Password))
		t.RawSetString("secure", lua.LBool(a.Secure))
		t.RawSetString("connection", st.connectionValue(a.Connection))
		t.RawSetString("context", st.stringTable(a.Context))
		st.L.Push(t)
		return 1
	}, func(st *state, ret lua.LValue) error {
		lv, ok := asVerdict(ret)
		switch {
		case !ok:
			return badReturn("on_authenticate", ret, "allow([attributes]), deny(reason) or nothing")
		case lv == nil:
			out.Decision = sdk.Abstain
		case lv.deny:
			out = sdk.AuthResult{Decision: sdk.Refuse, Reason: lv.reason}
		default:
			out = sdk.AuthResult{Decision: sdk.Allow, Attributes: lv.attributes}
		}
		return nil
	})
	return out, err
}

// OnSession implements sdk.SessionHandler: on_session(session), with
// session.event "created" or "destroyed". At creation it may deny, and
// what it assigns in session.attributes is added to the session.
func (s *Script) OnSession(ctx context.Context, p sdk.Point, sess *sdk.Session) (sdk.Verdict, error) {
	var out sdk.Verdict
	c := &call{point: p, sess: sess}
	_, err := s.run(ctx, c, func(st *state) int {
		t := st.sessionValue(sess, p == sdk.SessionCreated).(*lua.LTable)
		event := "created"
		if p == sdk.SessionDestroyed {
			event = "destroyed"
		}
		t.RawSetString("event", lua.LString(event))
		st.L.Push(t)
		return 1
	}, func(st *state, ret lua.LValue) error {
		if err := verdictResult("on_session", ret, &out); err != nil {
			return err
		}
		if !out.Deny {
			out.Attributes = c.attributes(st.L)
		}
		return nil
	})
	return out, err
}

// OnRoute implements sdk.RouteHandler: on_route(target) returns an
// endpoint ("tcp -h 10.0.0.5 -p 10000"), a list of them, or nothing.
func (s *Script) OnRoute(ctx context.Context, r *sdk.RouteRequest) (sdk.RouteResult, error) {
	var out sdk.RouteResult
	c := &call{point: sdk.Route, sess: r.Session}
	_, err := s.run(ctx, c, func(st *state) int {
		L := st.L
		t := L.NewTable()
		t.RawSetString("identity", st.identityValue(r.Identity, ""))
		t.RawSetString("facet", lua.LString(r.Facet))
		t.RawSetString("adapter_id", lua.LString(r.AdapterID))
		eps := L.NewTable()
		for _, e := range r.Endpoints {
			eps.Append(lua.LString(e))
		}
		t.RawSetString("endpoints", eps)
		t.RawSetString("session", st.sessionValue(r.Session, false))
		L.Push(t)
		return 1
	}, func(st *state, ret lua.LValue) error {
		switch v := ret.(type) {
		case *lua.LNilType:
		case lua.LString:
			out.Endpoints = []string{strings.TrimSpace(string(v))}
		case *lua.LTable:
			for i := 1; i <= v.Len(); i++ {
				e, ok := v.RawGetInt(i).(lua.LString)
				if !ok {
					return fmt.Errorf("on_route returned a list whose item %d is not a string", i)
				}
				out.Endpoints = append(out.Endpoints, strings.TrimSpace(string(e)))
			}
		default:
			return badReturn("on_route", ret, "an endpoint string, a list of them, or nothing")
		}
		return nil
	})
	return out, err
}

// OnRequest implements sdk.RequestHandler: on_request(req) at the request
// point, on_callback(req) at the callback point.
func (s *Script) OnRequest(ctx context.Context, r sdk.RequestView) (sdk.Verdict, error) {
	var out sdk.Verdict
	c := &call{point: r.Point(), view: r}
	if c.point != sdk.Callback {
		c.point = sdk.Request
	}
	fn := FunctionFor(c.point)
	_, err := s.run(ctx, c, func(st *state) int {
		st.L.Push(st.requestValue(c))
		return 1
	}, func(st *state, ret lua.LValue) error {
		if err := verdictResult(fn, ret, &out); err != nil {
			return err
		}
		if !out.Deny {
			p := c.patch(st.L)
			out.SetContext, out.RemoveContext, out.Target = p.SetContext, p.RemoveContext, p.Target
		}
		return nil
	})
	return out, err
}

// OnReply implements sdk.ReplyHandler: on_reply(req, reply), with
// reply.status, reply.latency (seconds) and reply.size; what it returns
// is ignored.
func (s *Script) OnReply(ctx context.Context, r sdk.RequestView, reply *sdk.ReplyView) error {
	c := &call{point: sdk.Reply, view: r}
	_, err := s.run(ctx, c, func(st *state) int {
		st.L.Push(st.requestValue(c))
		t := st.L.NewTable()
		t.RawSetString("status", lua.LString(reply.Status))
		t.RawSetString("latency", lua.LNumber(reply.Latency.Seconds()))
		t.RawSetString("size", lua.LNumber(reply.Size))
		st.L.Push(t)
		return 2
	}, func(*state, lua.LValue) error { return nil })
	return err
}

var (
	_ sdk.ConnectHandler      = (*Script)(nil)
	_ sdk.AuthenticateHandler = (*Script)(nil)
	_ sdk.SessionHandler      = (*Script)(nil)
	_ sdk.RouteHandler        = (*Script)(nil)
	_ sdk.RequestHandler      = (*Script)(nil)
	_ sdk.ReplyHandler        = (*Script)(nil)
)
