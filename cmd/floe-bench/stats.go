package main

import (
	"math/bits"
	"slices"
	"time"
)

// histogram counts latencies in log-linear buckets: exact below 32 ns, then
// 32 buckets per power of two (about 3% wide). Recording allocates nothing,
// so each load worker keeps its own and they are merged at the end.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
}

const (
	subBits     = 5
	subBuckets  = 1 << subBits
	histBuckets = (64 - subBits + 1) * subBuckets
)

func bucketOf(ns int64) int {
	if ns < subBuckets {
		return int(max(ns, 0))
	}
	p := bits.Len64(uint64(ns)) - 1  // >= subBits
	mant := int(ns >> (p - subBits)) // in [subBuckets, 2*subBuckets)
	return (p-subBits+1)*subBuckets + mant - subBuckets
}

// bucketValue is the middle of bucket i.
func bucketValue(i int) int64 {
	if i < 2*subBuckets {
		return int64(i)
	}
	shift := i/subBuckets - 1
	mant := int64(i%subBuckets + subBuckets)
	return mant<<shift + (int64(1)<<shift)/2
}

func (h *histogram) record(d time.Duration) {
	h.counts[bucketOf(int64(d))]++
	h.n++
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile is the latency at quantile q (0..1), 0 when nothing was recorded.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n-1)) + 1
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(bucketValue(i))
		}
	}
	return 0
}

// weightedQuantile is the quantile q of samples where each group of samples
// stands for weight observations (the callbacks' latency samples from the
// backend, one group per session).
func weightedQuantile(groups [][]int64, weights []float64, q float64) time.Duration {
	type sample struct {
		v int64
		w float64
	}
	var all []sample
	var total float64
	for i, g := range groups {
		if len(g) == 0 {
			continue
		}
		w := weights[i] / float64(len(g))
		for _, v := range g {
			all = append(all, sample{v, w})
		}
		total += weights[i]
	}
	if len(all) == 0 {
		return 0
	}
	slices.SortFunc(all, func(a, b sample) int { return int(a.v - b.v) })
	target := q * total
	var acc float64
	for _, s := range all {
		acc += s.w
		if acc >= target {
			return time.Duration(s.v)
		}
	}
	return time.Duration(all[len(all)-1].v)
}

// median of xs (0 for none); xs is reordered.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
