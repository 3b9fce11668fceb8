package intercept

import (
	"context"
	"sync"
	"time"
)

// budget is the context a hook call runs under: its parent with the hook's
// deadline. context.WithTimeout would arm a timer on every call, four
// allocations per request and hook; a budget arms one only when the hook
// waits on Done. Err reads the clock, so a hook that never waits still
// sees its deadline, and the chain still finds a late answer late.
type budget struct {
	parent   context.Context
	deadline time.Time

	mu       sync.Mutex
	child    context.Context // made by the first Done
	cancel   context.CancelFunc
	released bool
}

func newBudget(parent context.Context, timeout time.Duration) *budget {
	d := time.Now().Add(timeout)
	if pd, ok := parent.Deadline(); ok && pd.Before(d) {
		d = pd
	}
	return &budget{parent: parent, deadline: d}
}

func (b *budget) Deadline() (time.Time, bool) { return b.deadline, true }

func (b *budget) Done() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.child == nil {
		if b.released {
			return closedChan // a goroutine the hook left behind: the call is over
		}
		b.child, b.cancel = context.WithDeadline(b.parent, b.deadline)
	}
	return b.child.Done()
}

func (b *budget) Err() error {
	if err := b.parent.Err(); err != nil {
		return err
	}
	if !time.Now().Before(b.deadline) {
		return context.DeadlineExceeded
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.released {
		return context.Canceled
	}
	return nil
}

func (b *budget) Value(key any) any { return b.parent.Value(key) }

// release ends the call: Done is closed from now on.
func (b *budget) release() {
	b.mu.Lock()
	b.released = true
	cancel := b.cancel
	b.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()
