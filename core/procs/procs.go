// Package procs sizes how many threads run floe's Go code at once (the Go
// runtime's GOMAXPROCS) to the router's load, as an Ice thread pool grows
// from Size towards SizeMax while all its threads are busy and gives threads
// back once they idle.
//
// Why not simply every CPU: most of what a router does is system calls, and
// with more threads than its load needs, each burst of readable connections
// is spread over several threads. A request's flush to the shared server
// connection then runs on another thread before the other readers' requests
// have joined it, and idle threads are woken to look for work. On a machine
// whose CPUs the router shares with its clients or servers, that costs them
// the CPU they need: with one thread instead of two on two CPUs, floe used
// 0.74× the CPU per request and carried 1.23× the requests from 256 Ice C++
// clients (docs/performance.md, threads). Once the load keeps every thread busy, more
// threads are what it needs, and the pool grows.
//
// The package knows nothing of Ice or routing; it imports nothing of floe.
package procs

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Sizing policy. A pool grows when its threads were nearly all busy for two
// intervals in a row (one can be a burst, such as a crowd of clients
// connecting), by doubling, because a load that outgrows it queues requests
// meanwhile. It shrinks one thread at a time, and only after a whole window
// in which the load would have fitted in one thread fewer; the band between
// the two marks is wide enough that a load at the boundary does not flap,
// since with one thread fewer the same load takes less CPU.
const (
	// Interval is how often the pool looks at the process's CPU time.
	Interval = 250 * time.Millisecond
	// growAt is the share of the pool's threads busy at which it grows,
	// after growAfter intervals in a row.
	growAt    = 0.9
	growAfter = 2
	// shrinkBelow is the share of one thread fewer under which it shrinks,
	// after shrinkAfter intervals in a row.
	shrinkBelow = 0.8
	shrinkAfter = 8
)

// Pool decides the size; Run applies its decisions to the runtime.
type Pool struct {
	min, max int
	size     int
	busy     int // intervals in a row busy enough to grow
	quiet    int // intervals in a row quiet enough to shrink
}

// NewPool returns a pool of least threads that may grow to most (least ≥ 1,
// most ≥ least).
func NewPool(least, most int) (*Pool, error) {
	if least < 1 || most < least {
		return nil, fmt.Errorf("procs: a pool of %d to %d threads", least, most)
	}
	return &Pool{min: least, max: most, size: least}, nil
}

// Size is how many threads the pool has now.
func (p *Pool) Size() int { return p.size }

// Observe takes how many CPUs the process kept busy over the last interval
// (CPU time over wall time, across all its threads) and returns the pool's
// size for the next one.
func (p *Pool) Observe(busy float64) int {
	p.busy, p.quiet = p.busy+1, p.quiet+1
	if busy < growAt*float64(p.size) || p.size == p.max {
		p.busy = 0
	}
	if busy >= shrinkBelow*float64(p.size-1) || p.size == p.min {
		p.quiet = 0
	}
	switch {
	case p.busy >= growAfter:
		p.size = min(2*p.size, p.max)
		p.busy, p.quiet = 0, 0
	case p.quiet >= shrinkAfter:
		p.size--
		p.busy, p.quiet = 0, 0
	}
	return p.size
}

// Run sizes GOMAXPROCS with p every Interval until ctx ends; resize, when
// not nil, hears of each change (for the log).
func Run(ctx context.Context, p *Pool, resize func(from, to int)) {
	t := time.NewTicker(Interval)
	defer t.Stop()
	run(ctx, p, t.C, cpuTime, runtime.GOMAXPROCS, resize)
}

// run is Run with its clock, the process's CPU time and the runtime's
// setting passed in.
func run(ctx context.Context, p *Pool, tick <-chan time.Time, cpu func() time.Duration,
	set func(int) int, resize func(from, to int)) {
	last, at := cpu(), time.Now()
	set(p.Size())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick:
			used := cpu()
			from := p.Size()
			to := p.Observe((used - last).Seconds() / now.Sub(at).Seconds())
			last, at = used, now
			if to != from {
				set(to)
				if resize != nil {
					resize(from, to)
				}
			}
		}
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
