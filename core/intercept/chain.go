// Package intercept is the chain the kernel runs at each interception point
// (sdk.Point): hooks in configuration order, each with its own timeout and
// failure policy, patches applied between hooks so later hooks see earlier
// edits, and every error, timeout and fail-open counted and logged with the
// hook's name. Lua scripts, Go hooks and plugins all reach the kernel
// through it.
//
// It must not import gopher-lua or go-plugin: engines adapt themselves to
// sdk.Hook.
package intercept

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/floe-router/floe/sdk"
	"github.com/hashicorp/go-hclog"
)

// OnError is what a hook's failure (an error or a timeout) means.
type OnError uint8

const (
	// FailClosed denies what the hook was asked about; the default.
	FailClosed OnError = iota
	// FailOpen lets it through as if the hook had said nothing.
	FailOpen
)

// DenyAs is how a denied request is answered.
type DenyAs uint8

const (
	// DenyAsNotExist answers ObjectNotExistException, as a Glacier2 filter.
	DenyAsNotExist DenyAs = iota
	// DenyAsUnknown answers UnknownException carrying the reason.
	DenyAsUnknown
)

// DefaultTimeout bounds a hook without a timeout of its own.
const DefaultTimeout = time.Second

// Entry is one configured hook.
type Entry struct {
	Name    string
	Hook    sdk.Hook
	Timeout time.Duration
	OnError OnError
	DenyAs  DenyAs
}

// Stats counts what happened to one hook's calls.
type Stats struct {
	Calls, Denies, Errors, Timeouts, FailOpens uint64
}

type hook struct {
	Entry

	calls, denies, errors, timeouts, failOpens atomic.Uint64
}

// Chain runs hooks. A nil *Chain has no hooks.
type Chain struct {
	hooks []*hook
	// byPoint lists, for each point, the hooks that run there; Refresh
	// replaces it when a hook's points change (a reloaded script).
	byPoint atomic.Pointer[pointTable]
	log     hclog.Logger
}

type pointTable [sdk.Reply + 1][]*hook

// New builds a chain; hooks declaring no point are kept (for Stats) but
// never called.
func New(entries []Entry, log hclog.Logger) *Chain {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	c := &Chain{log: log}
	for _, e := range entries {
		if e.Timeout <= 0 {
			e.Timeout = DefaultTimeout
		}
		c.hooks = append(c.hooks, &hook{Entry: e})
	}
	c.Refresh()
	return c
}

// Refresh asks every hook again which points it uses, for hooks whose
// points can change while running (a reloaded script that now defines
// another function). Calls in progress finish on the previous table.
func (c *Chain) Refresh() {
	if c == nil {
		return
	}
	t := new(pointTable)
	for _, h := range c.hooks {
		points := h.Hook.Points()
		for p := sdk.Connect; p <= sdk.Reply; p++ {
			if points.Has(p) && implements(h.Hook, p) {
				t[p] = append(t[p], h)
			}
		}
	}
	c.byPoint.Store(t)
}

// implements reports whether h has the handler for p; a hook declaring a
// point it cannot handle is not called there.
func implements(h sdk.Hook, p sdk.Point) bool {
	switch p {
	case sdk.Connect:
		_, ok := h.(sdk.ConnectHandler)
		return ok
	case sdk.Authenticate:
		_, ok := h.(sdk.AuthenticateHandler)
		return ok
	case sdk.SessionCreated, sdk.SessionDestroyed:
		_, ok := h.(sdk.SessionHandler)
		return ok
	case sdk.Route:
		_, ok := h.(sdk.RouteHandler)
		return ok
	case sdk.Request, sdk.Callback:
		_, ok := h.(sdk.RequestHandler)
		return ok
	case sdk.Reply:
		_, ok := h.(sdk.ReplyHandler)
		return ok
	}
	return false
}

// Has reports whether any hook runs at p; the kernel skips building views
// for points no hook uses.
func (c *Chain) Has(p sdk.Point) bool { return c != nil && len(c.byPoint.Load()[p]) > 0 }

// Stats returns each hook's counters, by name.
func (c *Chain) Stats() map[string]Stats {
	out := make(map[string]Stats)
	if c == nil {
		return out
	}
	for _, h := range c.hooks {
		out[h.Name] = Stats{Calls: h.calls.Load(), Denies: h.denies.Load(), Errors: h.errors.Load(),
			Timeouts: h.timeouts.Load(), FailOpens: h.failOpens.Load()}
	}
	return out
}

// Outcome is the chain's decision at a point.
type Outcome struct {
	Deny   bool
	Reason string
	// Hook names the hook that denied.
	Hook   string
	DenyAs DenyAs
	// Attributes collected for the session (session-created point).
	Attributes map[string]string
}

// ErrHookTimeout marks a hook that did not answer within its timeout.
var ErrHookTimeout = errors.New("hook timed out")

// call runs fn with the hook's timeout, counts it, and turns a failure into
// the hook's policy: fail reports whether the failure denies.
func (c *Chain) call(ctx context.Context, h *hook, p sdk.Point, fn func(context.Context) error) (failed, deny bool, reason string) {
	b := c.begin(ctx, h)
	return c.finish(b, h, p, fn(b))
}

// begin starts a call of h: its budget. The per-request points call the
// hook between begin and finish themselves, which spares them the closure
// call takes.
func (c *Chain) begin(ctx context.Context, h *hook) *budget {
	h.calls.Add(1)
	return newBudget(ctx, h.Timeout)
}

// finish ends the call begun with b that returned err, as call does.
func (c *Chain) finish(b *budget, h *hook, p sdk.Point, err error) (failed, deny bool, reason string) {
	if err == nil && errors.Is(b.Err(), context.DeadlineExceeded) {
		// A hook that returned an answer after its budget is late all the
		// same: its answer is not trusted.
		err = ErrHookTimeout
	}
	b.release()
	return c.failed(h, p, err)
}

// failed applies h's failure policy to err, the outcome of a call of h.
func (c *Chain) failed(h *hook, p sdk.Point, err error) (failed, deny bool, reason string) {
	if err == nil {
		return false, false, ""
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrHookTimeout) {
		h.timeouts.Add(1)
		err = fmt.Errorf("%w after %s", ErrHookTimeout, h.Timeout)
	} else {
		h.errors.Add(1)
	}
	if h.OnError == FailOpen {
		h.failOpens.Add(1)
		c.log.Warn("hook failed; letting it through (on_error = allow)", "hook", h.Name, "point", p.String(), "error", err)
		return true, false, ""
	}
	c.log.Warn("hook failed; denying (on_error = deny)", "hook", h.Name, "point", p.String(), "error", err)
	return true, true, fmt.Sprintf("hook %s failed", h.Name)
}

// Connect runs the connect hooks.
func (c *Chain) Connect(ctx context.Context, conn *sdk.Connection) Outcome {
	for _, h := range c.hooksAt(sdk.Connect) {
		var v sdk.Verdict
		_, deny, reason := c.call(ctx, h, sdk.Connect, func(ctx context.Context) (err error) {
			v, err = h.Hook.(sdk.ConnectHandler).OnConnect(ctx, conn)
			return err
		})
		if o, stop := c.verdict(h, v, deny, reason); stop {
			return o
		}
	}
	return Outcome{}
}

func (c *Chain) hooksAt(p sdk.Point) []*hook {
	if c == nil {
		return nil
	}
	return c.byPoint.Load()[p]
}

// verdict turns a hook's verdict (or failure) into a stop or a go-on.
func (c *Chain) verdict(h *hook, v sdk.Verdict, failDeny bool, failReason string) (Outcome, bool) {
	if failDeny {
		h.denies.Add(1)
		return Outcome{Deny: true, Reason: failReason, Hook: h.Name, DenyAs: h.DenyAs}, true
	}
	if v.Deny {
		h.denies.Add(1)
		reason := v.Reason
		if reason == "" {
			reason = "denied by " + h.Name
		}
		return Outcome{Deny: true, Reason: reason, Hook: h.Name, DenyAs: h.DenyAs}, true
	}
	return Outcome{}, false
}

// Patchable is a request view that takes patches, so the hooks after one
// that patched see the change.
type Patchable interface {
	sdk.RequestView
	Apply(v *sdk.Verdict)
}

// Request runs the request hooks (p is sdk.Request or sdk.Callback),
// applying each patch to v before the next hook.
func (c *Chain) Request(ctx context.Context, p sdk.Point, v Patchable) Outcome {
	return c.RequestRest(ctx, Rest{p: p, hooks: c.hooksAt(p)}, v)
}

// QuickRequester is a request hook whose answer may take a call that waits
// (a plugin's, a round trip to its process) but sometimes does not (a
// verdict it cached). RequestQuick asks it first, so that only the requests
// it cannot answer at once leave the goroutine that read them.
type QuickRequester interface {
	// QuickRequest answers v as OnRequest would, without waiting; answered
	// is false when that takes a call.
	QuickRequest(v sdk.RequestView) (verdict sdk.Verdict, answered bool, err error)
}

// Rest is the part of a request chain RequestQuick left: the hooks from the
// first that could not answer at once.
type Rest struct {
	p     sdk.Point
	hooks []*hook
}

// Empty reports whether nothing is left to run.
func (r Rest) Empty() bool { return len(r.hooks) == 0 }

// RequestQuick runs the request hooks as Request does up to the first
// QuickRequester that cannot answer v at once, and returns the rest from
// there; when the rest is not empty the outcome is RequestRest's, which
// may wait.
func (c *Chain) RequestQuick(ctx context.Context, p sdk.Point, v Patchable) (Outcome, Rest) {
	hooks := c.hooksAt(p)
	for i, h := range hooks {
		var verdict sdk.Verdict
		var err error
		var deny bool
		var reason string
		if q, ok := h.Hook.(QuickRequester); ok {
			var answered bool
			if verdict, answered, err = q.QuickRequest(v); !answered {
				return Outcome{}, Rest{p: p, hooks: hooks[i:]}
			}
			h.calls.Add(1)
			_, deny, reason = c.failed(h, p, err)
		} else {
			b := c.begin(ctx, h)
			verdict, err = h.Hook.(sdk.RequestHandler).OnRequest(b, v)
			_, deny, reason = c.finish(b, h, p, err)
		}
		if o, stop := c.apply(h, verdict, deny, reason, v); stop {
			return o, Rest{}
		}
	}
	return Outcome{}, Rest{}
}

// RequestRest runs the hooks of r as Request does.
func (c *Chain) RequestRest(ctx context.Context, r Rest, v Patchable) Outcome {
	for _, h := range r.hooks {
		b := c.begin(ctx, h)
		verdict, err := h.Hook.(sdk.RequestHandler).OnRequest(b, v)
		_, deny, reason := c.finish(b, h, r.p, err)
		if o, stop := c.apply(h, verdict, deny, reason, v); stop {
			return o
		}
	}
	return Outcome{}
}

// apply turns a request hook's verdict into a stop, as verdict does, or
// applies its patch to v when the chain goes on.
func (c *Chain) apply(h *hook, verdict sdk.Verdict, failDeny bool, failReason string, v Patchable) (Outcome, bool) {
	if o, stop := c.verdict(h, verdict, failDeny, failReason); stop {
		return o, true
	}
	if verdict.Patched() {
		// A copy, so that only a patch escapes to the heap.
		patch := verdict
		v.Apply(&patch)
	}
	return Outcome{}, false
}

// Reply runs the reply observers; they cannot change anything.
func (c *Chain) Reply(ctx context.Context, v sdk.RequestView, r *sdk.ReplyView) {
	for _, h := range c.hooksAt(sdk.Reply) {
		b := c.begin(ctx, h)
		c.finish(b, h, sdk.Reply, h.Hook.(sdk.ReplyHandler).OnReply(b, v, r))
	}
}

// Session runs the session hooks. At SessionCreated a deny refuses the
// session and attributes from verdicts are added to s.Attributes; at
// SessionDestroyed verdicts are ignored.
func (c *Chain) Session(ctx context.Context, p sdk.Point, s *sdk.Session) Outcome {
	for _, h := range c.hooksAt(p) {
		var v sdk.Verdict
		_, deny, reason := c.call(ctx, h, p, func(ctx context.Context) (err error) {
			v, err = h.Hook.(sdk.SessionHandler).OnSession(ctx, p, s)
			return err
		})
		if p != sdk.SessionCreated {
			continue
		}
		if o, stop := c.verdict(h, v, deny, reason); stop {
			return o
		}
		if len(v.Attributes) > 0 {
			if s.Attributes == nil {
				s.Attributes = make(map[string]string)
			}
			for k, val := range v.Attributes {
				s.Attributes[k] = val
			}
		}
	}
	return Outcome{}
}

// Authenticate runs the authenticators in order until one allows or
// refuses. A failing authenticator refuses (fail closed) or abstains (fail
// open): failing open never grants a session by itself. Attributes from
// abstaining authenticators carry over to the final result.
func (c *Chain) Authenticate(ctx context.Context, a *sdk.AuthRequest) (sdk.AuthResult, string) {
	attrs := map[string]string{}
	for _, h := range c.hooksAt(sdk.Authenticate) {
		var res sdk.AuthResult
		failed, deny, _ := c.call(ctx, h, sdk.Authenticate, func(ctx context.Context) (err error) {
			res, err = h.Hook.(sdk.AuthenticateHandler).OnAuthenticate(ctx, a)
			return err
		})
		if failed {
			if deny {
				h.denies.Add(1)
				return sdk.AuthResult{Decision: sdk.Refuse, Reason: "internal server error"}, h.Name
			}
			continue
		}
		for k, v := range res.Attributes {
			attrs[k] = v
		}
		switch res.Decision {
		case sdk.Allow:
			res.Attributes = attrs
			return res, h.Name
		case sdk.Refuse:
			h.denies.Add(1)
			if res.Reason == "" {
				res.Reason = "permission denied"
			}
			return res, h.Name
		}
	}
	return sdk.AuthResult{Decision: sdk.Abstain, Attributes: attrs}, ""
}

// Route asks the route hooks, in order, for endpoints; the first answer
// wins. A failing hook that fails closed fails the routing (deny); one that
// fails open is skipped.
func (c *Chain) Route(ctx context.Context, r *sdk.RouteRequest) (sdk.RouteResult, Outcome) {
	for _, h := range c.hooksAt(sdk.Route) {
		var res sdk.RouteResult
		failed, deny, reason := c.call(ctx, h, sdk.Route, func(ctx context.Context) (err error) {
			res, err = h.Hook.(sdk.RouteHandler).OnRoute(ctx, r)
			return err
		})
		if failed {
			if deny {
				h.denies.Add(1)
				return sdk.RouteResult{}, Outcome{Deny: true, Reason: reason, Hook: h.Name, DenyAs: h.DenyAs}
			}
			continue
		}
		if len(res.Endpoints) > 0 {
			return res, Outcome{Hook: h.Name}
		}
	}
	return sdk.RouteResult{}, Outcome{}
}
