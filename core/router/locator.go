package router

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/ice"
)

// locator resolves indirect proxies through an Ice locator (an IceGrid
// registry), as an Ice communicator with Ice.Default.Locator does: adapter
// ids with findAdapterById, well-known objects with findObjectById (whose
// answer may itself be indirect), with a cache that a failed connection
// invalidates.
type locator struct {
	r       *Router
	proxy   *ice.Proxy
	timeout time.Duration // <0 forever, 0 never cached

	mu       sync.Mutex
	adapters map[string]cachedEndpoints
	objects  map[ice.Identity]cachedProxy
}

type cachedEndpoints struct {
	eps []ice.Endpoint
	at  time.Time
}

type cachedProxy struct {
	proxy *ice.Proxy
	at    time.Time
}

// NotRegistered is the error for an adapter or object the locator does not
// know; clients see it as Ice's NotRegisteredException.
type NotRegistered struct {
	Kind string // "object adapter" or "object"
	ID   string
}

func (e *NotRegistered) Error() string {
	return fmt.Sprintf("no %s with id `%s' is registered", e.Kind, e.ID)
}

func newLocator(r *Router, cfg *config.Locator) (*locator, error) {
	p, err := r.defaults.ParseProxy(cfg.Proxy)
	if err != nil {
		return nil, fmt.Errorf("router: locator %q: %w", cfg.Proxy, err)
	}
	if p == nil || len(p.Endpoints) == 0 {
		return nil, fmt.Errorf("router: locator %q must have endpoints", cfg.Proxy)
	}
	return &locator{r: r, proxy: p, timeout: cfg.CacheTimeout,
		adapters: make(map[string]cachedEndpoints), objects: make(map[ice.Identity]cachedProxy)}, nil
}

// fresh reports whether a cache entry made at at may still be used, for a
// cache timeout of maxAge (negative: forever; zero: never).
func fresh(at time.Time, maxAge time.Duration) bool {
	return maxAge < 0 || (maxAge > 0 && time.Since(at) < maxAge)
}

// endpoints returns the endpoints an indirect proxy currently stands for.
func (l *locator) endpoints(ctx context.Context, p *ice.Proxy) ([]ice.Endpoint, error) {
	return l.endpointsMaxAge(ctx, p, l.timeout)
}

// endpointsMaxAge is endpoints with the proxy's own locator cache timeout.
func (l *locator) endpointsMaxAge(ctx context.Context, p *ice.Proxy, maxAge time.Duration) ([]ice.Endpoint, error) {
	if p.AdapterID != "" {
		return l.adapter(ctx, p.AdapterID, maxAge)
	}
	l.mu.Lock()
	c, ok := l.objects[p.Identity]
	l.mu.Unlock()
	target := c.proxy
	if !ok || !fresh(c.at, maxAge) {
		var err error
		if target, err = l.find(ctx, "findObjectById", func(e *ice.Encoder) { e.WriteIdentity(p.Identity) }); err != nil {
			if errors.Is(err, errNotFound) {
				return nil, &NotRegistered{Kind: "object", ID: p.Identity.String()}
			}
			return nil, err
		}
		if maxAge != 0 {
			l.mu.Lock()
			l.objects[p.Identity] = cachedProxy{target, time.Now()}
			l.mu.Unlock()
		}
	}
	if len(target.Endpoints) > 0 {
		return target.Endpoints, nil
	}
	if target.AdapterID != "" {
		return l.adapter(ctx, target.AdapterID, maxAge)
	}
	return nil, &NotRegistered{Kind: "object", ID: p.Identity.String()}
}

func (l *locator) adapter(ctx context.Context, id string, maxAge time.Duration) ([]ice.Endpoint, error) {
	l.mu.Lock()
	c, ok := l.adapters[id]
	l.mu.Unlock()
	if ok && fresh(c.at, maxAge) {
		return c.eps, nil
	}
	p, err := l.find(ctx, "findAdapterById", func(e *ice.Encoder) { e.WriteString(id) })
	if err != nil {
		if errors.Is(err, errNotFound) {
			return nil, &NotRegistered{Kind: "object adapter", ID: id}
		}
		return nil, err
	}
	if len(p.Endpoints) == 0 {
		return nil, &NotRegistered{Kind: "object adapter", ID: id}
	}
	if maxAge != 0 {
		l.mu.Lock()
		l.adapters[id] = cachedEndpoints{p.Endpoints, time.Now()}
		l.mu.Unlock()
	}
	return p.Endpoints, nil
}

// invalidate forgets what p resolved to, after a connection to it failed.
func (l *locator) invalidate(p *ice.Proxy) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p.AdapterID != "" {
		delete(l.adapters, p.AdapterID)
		return
	}
	if c, ok := l.objects[p.Identity]; ok && c.proxy.AdapterID != "" {
		delete(l.adapters, c.proxy.AdapterID)
	}
	delete(l.objects, p.Identity)
}

var errNotFound = errors.New("not found")

// find calls a Locator operation that returns Object* and may raise
// ObjectNotFoundException or AdapterNotFoundException; a null proxy or
// either exception is errNotFound.
func (l *locator) find(ctx context.Context, op string, write func(*ice.Encoder)) (*ice.Proxy, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	e := ice.NewEncoder(nil)
	m := e.StartEncapsulation(l.proxy.Encoding)
	write(e)
	e.EndEncapsulation(m)
	// Both operations are ["nonmutating"] idempotent in Ice's Slice.
	res, err := l.r.invoke(ctx, l.proxy, op, ice.Nonmutating, nil, e.Bytes())
	if err != nil {
		var re *RemoteError
		if errors.As(err, &re) && (re.TypeID == "::Ice::ObjectNotFoundException" || re.TypeID == "::Ice::AdapterNotFoundException") {
			return nil, errNotFound
		}
		return nil, fmt.Errorf("locator %s: %w", op, err)
	}
	v, body, err := decodeEncaps(res)
	if err != nil {
		return nil, err
	}
	d := ice.NewDecoder(body)
	d.Encoding = v
	p, err := d.Proxy()
	if err != nil {
		return nil, fmt.Errorf("locator %s reply: %w", op, err)
	}
	if p == nil {
		return nil, errNotFound
	}
	return p, nil
}
