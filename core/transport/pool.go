package transport

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/floe-router/floe/core/ice"
)

// Pool keeps one outgoing connection per backend endpoint, shared by every
// session: requests from all clients to one server travel on one
// connection, told apart by request id. A Selection's Lane asks for
// another connection to the same endpoint, as an Ice proxy's connection id
// does. Concurrent first uses of an endpoint share a single dial.
type Pool struct {
	opts    *Options
	handler Handler
	monitor *Monitor

	mu     sync.Mutex
	conns  map[endpointKey]*poolEntry
	closed bool
}

// endpointKey identifies a backend connection: Ice would reuse one for
// endpoints that differ only in timeout or compression, and so do we; lane
// tells apart a Selection's connections to one endpoint.
type endpointKey struct {
	typ      int16
	host     string
	port     int32
	resource string
	lane     int
}

func keyOf(ep *ice.Endpoint, lane int) endpointKey {
	return endpointKey{typ: ep.Type, host: ep.Host, port: ep.Port, resource: ep.Resource, lane: lane}
}

type poolEntry struct {
	conn  *Conn
	ready chan struct{} // closed when the dial finished
	err   error
}

// NewPool returns a pool whose connections use opts and monitor and deliver
// requests and closes (not replies) to h.
func NewPool(opts *Options, h Handler, monitor *Monitor) *Pool {
	return &Pool{opts: opts, handler: h, monitor: monitor, conns: make(map[endpointKey]*poolEntry)}
}

// ErrNoEndpoint is returned when a proxy has no endpoint floe can use.
var ErrNoEndpoint = errors.New("no suitable endpoint available")

// Selection is how endpoints are tried, as a proxy's
// EndpointSelection and PreferSecure say.
type Selection struct {
	// Ordered tries them in the order given instead of a random order.
	Ordered bool
	// PreferSecure tries TLS endpoints first.
	PreferSecure bool
	// Lane picks which of an endpoint's connections to use: 0 is the one
	// shared by default; each other lane is a connection of its own.
	Lane int
}

// Get returns an open connection to one of eps: an existing one if any
// endpoint has one, else the first that can be dialled, trying them in
// random order (Ice's default endpoint selection). secure restricts the
// choice to TLS endpoints.
func (p *Pool) Get(ctx context.Context, eps []ice.Endpoint, secure bool) (*Conn, error) {
	return p.GetWith(ctx, eps, secure, Selection{})
}

// GetWith is Get with an endpoint selection.
func (p *Pool) GetWith(ctx context.Context, eps []ice.Endpoint, secure bool, sel Selection) (*Conn, error) {
	usable := 0
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	for i := range eps {
		ep := &eps[i]
		if !Supported(ep) || (secure && !ep.Secure()) {
			continue
		}
		usable++
		if e := p.conns[keyOf(ep, sel.Lane)]; e != nil && e.conn != nil && e.conn.Active() {
			p.mu.Unlock()
			return e.conn, nil
		}
	}
	p.mu.Unlock()
	if usable == 0 {
		return nil, ErrNoEndpoint
	}
	order := make([]int, 0, usable)
	for i := range eps {
		if Supported(&eps[i]) && (!secure || eps[i].Secure()) {
			order = append(order, i)
		}
	}
	if !sel.Ordered {
		rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	if sel.PreferSecure {
		slices.SortStableFunc(order, func(a, b int) int {
			sa, sb := eps[a].Secure(), eps[b].Secure()
			switch {
			case sa && !sb:
				return -1
			case sb && !sa:
				return 1
			}
			return 0
		})
	}
	var errs []error
	for _, i := range order {
		c, err := p.get(ctx, eps[i], sel.Lane)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

func (p *Pool) get(ctx context.Context, ep ice.Endpoint, lane int) (*Conn, error) {
	k := keyOf(&ep, lane)
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrClosed
		}
		e := p.conns[k]
		if e == nil {
			e = &poolEntry{ready: make(chan struct{})}
			p.conns[k] = e
			p.mu.Unlock()
			p.dial(ctx, k, e, ep)
			if e.err != nil {
				return nil, e.err
			}
			return e.conn, nil
		}
		p.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err != nil {
			return nil, e.err
		}
		if e.conn.Active() {
			return e.conn, nil
		}
		// The connection closed since; its Closed callback removes the
		// entry, and the next round dials again.
		p.mu.Lock()
		if p.conns[k] == e {
			delete(p.conns, k)
		}
		p.mu.Unlock()
	}
}

func (p *Pool) dial(ctx context.Context, k endpointKey, e *poolEntry, ep ice.Endpoint) {
	c, err := Dial(ctx, ep, p.opts, p.handler, p.monitor)
	p.mu.Lock()
	if err != nil {
		e.err = fmt.Errorf("connect to %s: %w", ep.String(), err)
		// Failed dials are not cached: the next request tries again, as
		// Ice retries connection establishment.
		if p.conns[k] == e {
			delete(p.conns, k)
		}
	} else {
		e.conn = c
		if p.closed {
			e.err = ErrClosed
			e.conn = nil
			defer c.Abort(ErrClosed)
		}
	}
	p.mu.Unlock()
	close(e.ready)
}

// Forget drops c from the pool; the pool's handler calls it when c closes.
func (p *Pool) Forget(c *Conn) {
	p.mu.Lock()
	// The connection does not know its lane; the pool holds few entries.
	for k, e := range p.conns {
		if e.conn == c {
			delete(p.conns, k)
		}
	}
	p.mu.Unlock()
}

// Conns returns the open pooled connections.
func (p *Pool) Conns() []*Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	var cs []*Conn
	for _, e := range p.conns {
		if e.conn != nil {
			cs = append(cs, e.conn)
		}
	}
	return cs
}

// Close closes every pooled connection gracefully (within ctx) and refuses
// new ones.
func (p *Pool) Close(ctx context.Context) {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range p.Conns() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Close(ctx)
		}()
	}
	wg.Wait()
}
