package router

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/floe-router/floe/core/ice"
)

// sortedSet is Glacier2's StringSet and IdentitySet: a sorted, duplicate-free
// list that a session manager edits live and every request consults. An
// empty set filters nothing.
type sortedSet[T any] struct {
	mu    sync.RWMutex
	items []T
	n     atomic.Int32 // len(items), read without the lock on the hot path
	cmp   func(a, b T) int
}

func newSortedSet[T any](cmp func(a, b T) int, items []T) *sortedSet[T] {
	s := &sortedSet[T]{cmp: cmp}
	s.add(items)
	return s
}

func (s *sortedSet[T]) empty() bool { return s.n.Load() == 0 }

func (s *sortedSet[T]) add(items []T) {
	if len(items) == 0 {
		return
	}
	s.mu.Lock()
	merged := append(slices.Clone(s.items), items...)
	slices.SortFunc(merged, s.cmp)
	s.items = slices.CompactFunc(merged, func(a, b T) bool { return s.cmp(a, b) == 0 })
	s.n.Store(int32(len(s.items)))
	s.mu.Unlock()
}

func (s *sortedSet[T]) remove(items []T) {
	s.mu.Lock()
	kept := s.items[:0:0]
	for _, it := range s.items {
		if !slices.ContainsFunc(items, func(r T) bool { return s.cmp(r, it) == 0 }) {
			kept = append(kept, it)
		}
	}
	s.items = kept
	s.n.Store(int32(len(s.items)))
	s.mu.Unlock()
}

func (s *sortedSet[T]) get() []T {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.items)
}

func (s *sortedSet[T]) contains(v T) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, found := slices.BinarySearchFunc(s.items, v, s.cmp)
	return found
}

// containsBytes looks up a string set by a byte slice without allocating.
func containsBytes(s *sortedSet[string], b []byte) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, found := slices.BinarySearchFunc(s.items, b, func(item string, t []byte) int {
		return cmp.Compare(item, string(t))
	})
	return found
}

// compareIdentity orders identities by name, then category, as Ice's
// generated operator< does.
func compareIdentity(a, b ice.Identity) int {
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return cmp.Compare(a.Category, b.Category)
}

// filters is one session's set of Glacier2 request filters.
type filters struct {
	categories *sortedSet[string]
	adapterIDs *sortedSet[string]
	identities *sortedSet[ice.Identity]
}

// newFilters builds a session's filters from the configured ones; user is
// added to the categories as Glacier2.Filter.Category.AcceptUser says.
func (r *Router) newFilters(user string, addUser bool) *filters {
	f := r.cfg.Filter
	cats := slices.Clone(f.Categories)
	if addUser && user != "" {
		switch f.AcceptUser {
		case 1:
			cats = append(cats, user)
		case 2:
			cats = append(cats, "_"+user)
		}
	}
	return &filters{
		categories: newSortedSet(cmp.Compare[string], cats),
		adapterIDs: newSortedSet(cmp.Compare[string], f.AdapterIDs),
		identities: newSortedSet(compareIdentity, r.filterIdentities),
	}
}

// admits applies Glacier2's client-side filter rule to a request whose
// routing table entry is proxy: with any filter configured, at least one
// configured filter must match (category, identity, or the proxy's adapter
// id). It returns the names of the filters that rejected, for the log.
func (f *filters) admits(req *ice.Request, proxy *ice.Proxy) (ok bool, rejectedBy []string) {
	has, matched := false, false
	if !f.categories.empty() {
		has = true
		if containsBytes(f.categories, req.CategoryBytes()) {
			matched = true
		} else {
			rejectedBy = append(rejectedBy, "category filter")
		}
	}
	if !f.identities.empty() {
		has = true
		if f.identities.contains(req.Identity()) {
			matched = true
		} else {
			rejectedBy = append(rejectedBy, "identity filter")
		}
	}
	if proxy.AdapterID != "" && !f.adapterIDs.empty() {
		has = true
		if f.adapterIDs.contains(proxy.AdapterID) {
			matched = true
		} else {
			rejectedBy = append(rejectedBy, "adapter id filter")
		}
	}
	return !has || matched, rejectedBy
}
