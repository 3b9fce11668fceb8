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
	c, err := r.pool.Get(r.ctx, eps, p.Secure)
	if err != nil {
		return nil, nil, err
	}
	return p, c, nil
}
