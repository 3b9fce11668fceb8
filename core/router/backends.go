package router

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/transport"
	"github.com/floe-router/floe/sdk"
)

// Backends that a hook or plugin chooses (a patched target, a route) must
// fall inside allowed_backends: floe enforces the list, it does not trust
// the code that chose.

// parseAllowedBackends parses the allowed_backends list.
func parseAllowedBackends(list []string) ([]config.BackendRule, error) {
	var rules []config.BackendRule
	for _, s := range list {
		r, err := config.ParseAllowedBackend(s)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// ErrBackendNotAllowed is returned for an endpoint outside allowed_backends.
var ErrBackendNotAllowed = errors.New("backend not in allowed_backends")

// checkBackends verifies that every endpoint is inside allowed_backends; a
// host name must resolve only to allowed addresses.
func (r *Router) checkBackends(ctx context.Context, eps []ice.Endpoint) error {
	if len(eps) == 0 {
		return fmt.Errorf("%w: no endpoints", ErrBackendNotAllowed)
	}
	for i := range eps {
		ep := &eps[i]
		addrs, err := resolve(ctx, ep.Host)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrBackendNotAllowed, ep.String(), err)
		}
		for _, a := range addrs {
			if !r.allowedAddr(a, int(ep.Port)) {
				return fmt.Errorf("%w: %s (%s)", ErrBackendNotAllowed, ep.String(), a)
			}
		}
	}
	return nil
}

func (r *Router) allowedAddr(a netip.Addr, port int) bool {
	for _, rule := range r.allowedBackends {
		if rule.Allows(a, port) {
			return true
		}
	}
	return false
}

func resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	if host == "" {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	return ips, nil
}

// retarget resolves a hook's new target for a request: a stringified proxy
// whose endpoints (or, for an indirect one, whatever the locator says) must
// be allowed backends.
func (r *Router) retarget(s *Session, target string) (*ice.Proxy, *transport.Conn, error) {
	p, err := r.defaults.ParseProxy(target)
	if err != nil {
		return nil, nil, fmt.Errorf("new target %q: %w", target, err)
	}
	if p == nil {
		return nil, nil, fmt.Errorf("new target %q is a null proxy", target)
	}
	eps := p.Endpoints
	if len(eps) == 0 {
		if r.locator == nil {
			return nil, nil, fmt.Errorf("%w: new target %s has no endpoints and no locator is configured", transport.ErrNoEndpoint, target)
		}
		if eps, err = r.locator.endpoints(r.ctx, p); err != nil {
			return nil, nil, err
		}
	}
	if err := r.checkBackends(r.ctx, eps); err != nil {
		return nil, nil, err
	}
	c, err := r.pool.GetWith(r.ctx, eps, p.Secure, transport.Selection{Lane: s.lane})
	if err != nil {
		return nil, nil, err
	}
	return p, c, nil
}

// routeRequest describes a target to the route hooks.
func routeRequest(s *Session, p *ice.Proxy) *sdk.RouteRequest {
	rr := &sdk.RouteRequest{Identity: sdk.Identity{Name: p.Identity.Name, Category: p.Identity.Category},
		Facet: p.Facet, AdapterID: p.AdapterID}
	for i := range p.Endpoints {
		rr.Endpoints = append(rr.Endpoints, p.Endpoints[i].String())
	}
	if s != nil {
		rr.Session = s.view
	}
	return rr
}

// route asks the route hooks where p's requests should go: a copy of p with
// the chosen endpoints (all inside allowed_backends), or nil for no
// opinion. A hook that fails closed is an error.
func (r *Router) route(ctx context.Context, s *Session, p *ice.Proxy) (*ice.Proxy, error) {
	res, o := r.hooks.Route(ctx, routeRequest(s, p))
	if o.Deny {
		return nil, fmt.Errorf("%w: %s", transport.ErrNoEndpoint, o.Reason)
	}
	if len(res.Endpoints) == 0 {
		return nil, nil
	}
	var eps []ice.Endpoint
	for _, str := range res.Endpoints {
		e, err := r.defaults.ParsePublishedEndpoints(str)
		if err != nil {
			return nil, fmt.Errorf("route hook %s chose endpoint %q: %w", o.Hook, str, err)
		}
		eps = append(eps, e...)
	}
	if err := r.checkBackends(ctx, eps); err != nil {
		return nil, fmt.Errorf("route hook %s: %w", o.Hook, err)
	}
	np := *p
	np.Endpoints, np.AdapterID = eps, ""
	return &np, nil
}

// routeProxies asks the route hooks about each proxy a client adds; the
// routing table keeps the client's proxy and, where a hook answered, the
// target. A hook that fails leaves the proxy as the client gave it (its
// requests then fail or resolve as they would without hooks).
func (r *Router) routeProxies(s *Session, proxies []*ice.Proxy) []*ice.Proxy {
	if !r.hooks.Has(sdk.Route) {
		return nil
	}
	targets := make([]*ice.Proxy, len(proxies))
	for i, p := range proxies {
		if p == nil {
			continue
		}
		t, err := r.route(r.hookContext(), s, p)
		if err != nil {
			s.log.Warn("route hook failed; keeping the client's proxy", "proxy", p.String(), "error", err)
			continue
		}
		targets[i] = t
	}
	return targets
}

// sessionBackendConn is backendConn for a session's request: a target
// still without endpoints is offered to the route hooks before the locator.
func (r *Router) sessionBackendConn(s *Session, p *ice.Proxy, secure bool) (*transport.Conn, error) {
	if len(p.Endpoints) == 0 && r.hooks.Has(sdk.Route) {
		t, err := r.route(r.hookContext(), s, p)
		if err != nil {
			return nil, err
		}
		if t != nil {
			return r.pool.GetWith(r.ctx, t.Endpoints, secure || t.Secure, transport.Selection{Lane: s.lane})
		}
	}
	return r.backendConn(p, secure, s.lane)
}
