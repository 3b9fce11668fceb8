package scripts

import (
	"container/list"
	"sync"
	"time"
)

// Store is the key-value store scripts share (store.get, store.set,
// store.incr): one per router, used by every script and every request, and
// kept across script reloads. It is bounded in entries and in bytes (keys
// plus values); when a new value does not fit, expired entries go first,
// then the least recently used ones, as nginx's shared dictionaries do.
// Values are strings, numbers or booleans.
type Store struct {
	maxEntries int
	maxBytes   int
	now        func() time.Time

	mu      sync.Mutex
	entries map[string]*list.Element
	lru     list.List // front: most recently used
	bytes   int
	evicted uint64
}

type storeEntry struct {
	key     string
	value   any // string, float64 or bool
	size    int
	expires time.Time // zero: never
}

// Store defaults.
const (
	DefaultStoreEntries = 100_000
	DefaultStoreBytes   = 64 << 20
)

// NewStore makes a store; zero bounds mean the defaults.
func NewStore(maxEntries, maxBytes int) *Store {
	if maxEntries <= 0 {
		maxEntries = DefaultStoreEntries
	}
	if maxBytes <= 0 {
		maxBytes = DefaultStoreBytes
	}
	return &Store{maxEntries: maxEntries, maxBytes: maxBytes, now: time.Now, entries: map[string]*list.Element{}}
}

// entryOverhead is what an entry costs beyond its key and value, counted
// so that many tiny entries cannot exceed the byte bound by much.
const entryOverhead = 64

func valueSize(v any) int {
	if s, ok := v.(string); ok {
		return len(s)
	}
	return 8
}

// Get returns a live value, or nil.
func (s *Store) Get(key string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.lookup(key)
	if e == nil {
		return nil
	}
	return e.Value.(*storeEntry).value
}

// lookup finds a live entry, dropping it when expired.
func (s *Store) lookup(key string) *list.Element {
	e, ok := s.entries[key]
	if !ok {
		return nil
	}
	ent := e.Value.(*storeEntry)
	if !ent.expires.IsZero() && !s.now().Before(ent.expires) {
		s.remove(e)
		return nil
	}
	s.lru.MoveToFront(e)
	return e
}

func (s *Store) remove(e *list.Element) {
	ent := e.Value.(*storeEntry)
	s.lru.Remove(e)
	delete(s.entries, ent.key)
	s.bytes -= ent.size
}

// Set stores value under key for ttl (zero or less: until evicted); a nil
// value deletes. It reports false when the entry is larger than the whole
// store.
func (s *Store) Set(key string, value any, ttl time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[key]; ok {
		s.remove(e)
	}
	if value == nil {
		return true
	}
	return s.insert(key, value, ttl)
}

func (s *Store) insert(key string, value any, ttl time.Duration) bool {
	ent := &storeEntry{key: key, value: value, size: len(key) + valueSize(value) + entryOverhead}
	if ent.size > s.maxBytes {
		return false
	}
	if ttl > 0 {
		ent.expires = s.now().Add(ttl)
	}
	s.makeRoom(ent.size)
	s.entries[key] = s.lru.PushFront(ent)
	s.bytes += ent.size
	return true
}

// makeRoom evicts until an entry of size bytes fits: expired entries
// first, then from the least recently used end.
func (s *Store) makeRoom(size int) {
	if len(s.entries)+1 <= s.maxEntries && s.bytes+size <= s.maxBytes {
		return
	}
	now := s.now()
	for e := s.lru.Back(); e != nil; {
		prev := e.Prev()
		if ent := e.Value.(*storeEntry); !ent.expires.IsZero() && !now.Before(ent.expires) {
			s.remove(e)
		}
		e = prev
	}
	for len(s.entries)+1 > s.maxEntries || s.bytes+size > s.maxBytes {
		s.remove(s.lru.Back())
		s.evicted++
	}
}

// Incr adds n to the number under key and returns the sum. A missing or
// expired key starts from zero and gets ttl (zero or less: none); an
// existing one keeps its expiry, so a counter counts over a fixed window.
// ok is false when the value there is not a number.
func (s *Store) Incr(key string, n float64, ttl time.Duration) (sum float64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.lookup(key); e != nil {
		ent := e.Value.(*storeEntry)
		f, isNum := ent.value.(float64)
		if !isNum {
			return 0, false
		}
		ent.value = f + n
		return f + n, true
	}
	s.insert(key, n, ttl)
	return n, true
}

// Len is the number of entries (live or not yet swept).
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// Evicted counts the live entries dropped to make room.
func (s *Store) Evicted() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evicted
}
