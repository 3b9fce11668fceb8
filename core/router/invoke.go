package router

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/floe-router/floe/core/config"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/transport"
)

// RemoteError is a reply other than OK from an object the router called
// itself (a permissions verifier, a session manager).
type RemoteError struct {
	Op    string
	Reply ice.Reply
	// TypeID is the raised user exception's most-derived type, when the
	// status is a user exception.
	TypeID string
	// Members are that slice's encoded data members.
	Members  []byte
	Encoding ice.Version
}

func (e *RemoteError) Error() string {
	switch e.Reply.Status {
	case ice.ReplyUserException:
		return fmt.Sprintf("%s raised %s", e.Op, e.TypeID)
	case ice.ReplyObjectNotExist, ice.ReplyFacetNotExist, ice.ReplyOperationNotExist:
		return fmt.Sprintf("%s: %s (%s)", e.Op, e.Reply.Status, e.Reply.Identity.String())
	}
	return fmt.Sprintf("%s: %s: %s", e.Op, e.Reply.Status, e.Reply.Unknown)
}

type waitResult struct {
	body []byte
	err  error
}

type waiter chan waitResult

func (w waiter) Reply(_ *transport.Batch, _ int32, m *transport.Message, err error) {
	var res waitResult
	if err != nil {
		res.err = err
	} else {
		res.body = append([]byte(nil), m.Body()...)
		m.Release()
	}
	w <- res
}

// callOptions are the proxy options of an object the router calls itself
// (a verifier, a session manager: their <property>.* settings).
type callOptions struct {
	config.ProxyOptions
	// cacheDefault is the locator cache timeout when the options set none.
	cacheDefault time.Duration
}

// invoke calls op on target as an ordinary Ice client would and returns the
// OK result encapsulation (header included); any other outcome is an error,
// a *RemoteError when the object answered.
func (r *Router) invoke(ctx context.Context, target *ice.Proxy, op string, mode ice.OperationMode,
	reqCtx ice.Context, params []byte) ([]byte, error) {
	return r.invokeWith(ctx, target, nil, op, mode, reqCtx, params)
}

// invokeWith is invoke through a proxy with options (nil: Ice's defaults).
func (r *Router) invokeWith(ctx context.Context, target *ice.Proxy, o *callOptions, op string, mode ice.OperationMode,
	reqCtx ice.Context, params []byte) ([]byte, error) {
	if o != nil && o.InvocationTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.InvocationTimeout)
		defer cancel()
	}
	conn, err := r.remoteConn(ctx, target, o)
	if err != nil {
		return nil, err
	}
	if params == nil {
		enc := target.Encoding
		if enc == (ice.Version{}) {
			enc = ice.Encoding11
		}
		params = []byte{6, 0, 0, 0, enc.Major, enc.Minor}
	}
	msg := ice.AppendRequestMessage(nil, ice.RequestSpec{
		ID: 1, Identity: target.Identity, Facet: target.Facet, Operation: op, Mode: mode,
		Context: reqCtx, Params: params,
	})
	w := make(waiter, 1)
	if err := conn.SendRequest(transport.MessageFrom(msg), w, 0); err != nil {
		return nil, err
	}
	var res waitResult
	select {
	case res = <-w:
	case <-ctx.Done():
		conn.Cancel(w)
		return nil, fmt.Errorf("%s on %s: %w", op, target.Identity.String(), ctx.Err())
	}
	if res.err != nil {
		return nil, res.err
	}
	rep, err := ice.ParseReply(res.body)
	if err != nil {
		return nil, err
	}
	if rep.Status == ice.ReplyOK {
		return rep.Payload, nil
	}
	re := &RemoteError{Op: op, Reply: rep}
	if rep.Status == ice.ReplyUserException {
		if sl, err := ice.ParseUserException(rep.Payload); err == nil {
			re.TypeID, re.Members = sl.TypeID, sl.Members
			re.Encoding = ice.Version{Major: rep.Payload[4], Minor: rep.Payload[5]}
		}
	}
	return nil, re
}

// remoteConn is backendConn for an object the router calls, following its
// proxy options: endpoint order, preferring secure endpoints, its own
// locator and locator cache timeout.
func (r *Router) remoteConn(ctx context.Context, p *ice.Proxy, o *callOptions) (*transport.Conn, error) {
	if o == nil {
		return r.backendConn(p, false, 0)
	}
	sel := transport.Selection{Ordered: o.OrderedEndpoints, PreferSecure: o.PreferSecure}
	eps := p.Endpoints
	if len(eps) == 0 {
		loc, err := r.locatorFor(o.Locator)
		if err != nil {
			return nil, err
		}
		if loc == nil {
			return r.backendConn(p, false, 0) // the error without a locator
		}
		if eps, err = loc.endpointsMaxAge(ctx, p, o.EffectiveLocatorCacheTimeout(o.cacheDefault)); err != nil {
			return nil, err
		}
	}
	return r.pool.GetWith(ctx, eps, p.Secure, sel)
}

// locatorFor returns the locator named by a proxy's .Locator option, or the
// default one for "".
func (r *Router) locatorFor(proxy string) (*locator, error) {
	if proxy == "" {
		return r.locator, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if l := r.locators[proxy]; l != nil {
		return l, nil
	}
	cfg := &config.Locator{Proxy: proxy, CacheTimeout: config.LocatorCacheForever}
	if r.cfg.Locator != nil {
		cfg.CacheTimeout = r.cfg.Locator.CacheTimeout
	}
	l, err := newLocator(r, cfg)
	if err != nil {
		return nil, err
	}
	if r.locators == nil {
		r.locators = map[string]*locator{}
	}
	r.locators[proxy] = l
	return l, nil
}

// userException reports whether err is the remote user exception typeID,
// and decodes its reason member when it has one.
func userException(err error, typeID string) (reason string, ok bool) {
	var re *RemoteError
	if !errors.As(err, &re) || re.TypeID != typeID {
		return "", false
	}
	d := ice.NewDecoder(re.Members)
	reason, _ = d.String()
	return reason, true
}
