package router

import "testing"

func TestHookedRequestsAreBounded(t *testing.T) {
	for _, tc := range []struct {
		name   string
		queued []int // sizes of the messages waiting
		next   int
		full   bool
	}{
		{"one request of any size may wait", nil, 64 << 20, false},
		{"small requests fit", []int{100, 100}, 100, false},
		{"bytes run out", []int{3 << 20}, 2 << 20, true},
		{"up to the byte bound", []int{2 << 20}, 2 << 20, false},
		{"the count runs out", make([]int, maxHookedRequests), 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &hookedRequests{}
			for _, n := range tc.queued {
				h.q = append(h.q, &hookedRequest{})
				h.bytes += n
			}
			if got := h.full(tc.next); got != tc.full {
				t.Fatalf("full = %v, want %v", got, tc.full)
			}
		})
	}
}
