package host

import (
	"slices"
	"sync"
	"time"

	"github.com/floe-router/floe/sdk"
)

// verdictCache keeps the verdicts a plugin marked cacheable (CacheFor,
// CacheKey), so that requests agreeing on the key fields are answered
// without a round trip. Different verdicts may name different key fields:
// each distinct list (a shape) is tried in turn.
type verdictCache struct {
	max int

	mu      sync.RWMutex
	shapes  [][]string
	entries map[string]cacheEntry
}

type cacheEntry struct {
	verdict sdk.Verdict
	expires time.Time
}

// maxShapes bounds the key shapes tried per lookup: a plugin that names
// ever new field lists does not make every request slower.
const maxShapes = 8

func newVerdictCache(max int) *verdictCache {
	return &verdictCache{max: max, entries: map[string]cacheEntry{}}
}

var keyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 128); return &b }}

// key is the map key of v under shape i.
func key(buf []byte, v sdk.RequestView, i int, shape []string) ([]byte, bool) {
	buf = append(buf[:0], byte(v.Point()), byte(i))
	return sdk.AppendCacheKey(buf, v, shape)
}

func (c *verdictCache) lookup(v sdk.RequestView, now time.Time) (sdk.Verdict, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.shapes) == 0 {
		return sdk.Verdict{}, false
	}
	bp := keyBufs.Get().(*[]byte)
	defer keyBufs.Put(bp)
	for i, shape := range c.shapes {
		k, ok := key(*bp, v, i, shape)
		*bp = k
		if !ok {
			continue
		}
		if e, ok := c.entries[string(k)]; ok && now.Before(e.expires) {
			return e.verdict, true
		}
	}
	return sdk.Verdict{}, false
}

// store keeps verdict for the requests that agree with v on its key
// fields; it reports false when the key names an unknown field.
func (c *verdictCache) store(v sdk.RequestView, verdict sdk.Verdict, now time.Time) bool {
	for _, f := range verdict.CacheKey {
		if !sdk.ValidCacheKey(f) {
			return false
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.IndexFunc(c.shapes, func(s []string) bool { return slices.Equal(s, verdict.CacheKey) })
	if i < 0 {
		if len(c.shapes) >= maxShapes {
			return false
		}
		c.shapes = append(c.shapes, slices.Clone(verdict.CacheKey))
		i = len(c.shapes) - 1
	}
	k, _ := key(nil, v, i, c.shapes[i])
	if len(c.entries) >= c.max {
		for ek, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, ek)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	stored := verdict
	stored.CacheFor, stored.CacheKey = 0, nil
	c.entries[string(k)] = cacheEntry{verdict: stored, expires: now.Add(verdict.CacheFor)}
	return true
}

// reset forgets everything (the plugin restarted: its state may differ).
func (c *verdictCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shapes = nil
	clear(c.entries)
}

func (c *verdictCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
