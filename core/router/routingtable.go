package router

import (
	"sync"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/transport"
)

// RoutingTable is a session's map from identity to the proxy the client
// added for it, bounded by LRU eviction as Glacier2's is. Keys are the
// identity's wire encoding, so a lookup from a request needs no decoding.
type RoutingTable struct {
	mu      sync.Mutex
	max     int
	entries map[string]*route
	// head.next is the least recently used entry, head.prev the most.
	head route
}

type route struct {
	key   string
	proxy *ice.Proxy // as the client added it (what an eviction returns)
	// target is where requests go: the proxy, or what a route hook
	// rewrote it to.
	target     *ice.Proxy
	conn       *transport.Conn // last connection used for this proxy
	prev, next *route
}

// NewRoutingTable returns a table holding at most max proxies.
func NewRoutingTable(max int) *RoutingTable {
	if max <= 0 {
		max = 1000
	}
	t := &RoutingTable{max: max}
	t.head.prev, t.head.next = &t.head, &t.head
	return t
}

func identityKey(id ice.Identity) string {
	var e ice.Encoder
	e.WriteIdentity(id)
	return string(e.Bytes())
}

func (t *RoutingTable) unlink(r *route) {
	r.prev.next = r.next
	r.next.prev = r.prev
}

func (t *RoutingTable) pushBack(r *route) {
	r.prev = t.head.prev
	r.next = &t.head
	t.head.prev.next = r
	t.head.prev = r
}

// Add adds proxies in Glacier2's default form (twoway, not secure, no
// facet); a proxy already present is refreshed, not replaced, as in
// Glacier2. targets, when not nil, holds for each proxy where its requests
// go instead (nil entries: the proxy itself). It returns the proxies
// evicted to stay within the bound. Null proxies are ignored.
func (t *RoutingTable) Add(proxies []*ice.Proxy, targets []*ice.Proxy) (evicted []*ice.Proxy) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.entries == nil {
		t.entries = make(map[string]*route)
	}
	for i, p := range proxies {
		if p == nil {
			continue
		}
		k := identityKey(p.Identity)
		if r, ok := t.entries[k]; ok {
			t.unlink(r)
			t.pushBack(r)
			continue
		}
		np := *p
		np.Mode = ice.ModeTwoway
		np.Secure = false
		np.Facet = ""
		r := &route{key: k, proxy: &np, target: &np}
		if i < len(targets) && targets[i] != nil {
			r.target = targets[i]
		}
		t.entries[k] = r
		t.pushBack(r)
		for len(t.entries) > t.max {
			old := t.head.next
			t.unlink(old)
			delete(t.entries, old.key)
			evicted = append(evicted, old.proxy)
		}
	}
	return evicted
}

// Get returns where requests for the identity whose wire encoding is key
// go (the proxy added, or its rewritten target), and the connection last
// used for it, marking it most recently used. An empty name is never
// routed.
func (t *RoutingTable) Get(key []byte) (*ice.Proxy, *transport.Conn) {
	if len(key) == 0 || key[0] == 0 {
		return nil, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.entries[string(key)]
	if r == nil {
		return nil, nil
	}
	if t.head.prev != r {
		t.unlink(r)
		t.pushBack(r)
	}
	return r.target, r.conn
}

// SetConn remembers the connection chosen for the identity, so the next
// request skips endpoint selection.
func (t *RoutingTable) SetConn(key []byte, c *transport.Conn) {
	t.mu.Lock()
	if r := t.entries[string(key)]; r != nil {
		r.conn = c
	}
	t.mu.Unlock()
}

// Len is the number of proxies held.
func (t *RoutingTable) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}
