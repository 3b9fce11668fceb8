package scripts

import (
	"context"
	"time"
)

// budgetContext is the context a Lua state runs a call under. gopher-lua
// calls Done before every instruction; this Done also checks the clock
// every few instructions, so a runaway script stops at its deadline even
// when the Go runtime has not yet run the deadline's timer (a timer on a
// busy processor can wait for that processor's goroutine to be preempted,
// up to 10ms later). It is used by one goroutine at a time.
//
// It asks the parent for Err, never for Done: a hook's context arms a timer
// on its first Done, and an armed timer per call cost a trivial on_request
// 18% of the calls at one request in flight (make bench-hooks, 0.82 → 0.98
// of no hook).
type budgetContext struct {
	context.Context
	deadline time.Time // zero: none
	done     chan struct{}
	err      error
	calls    uint32
}

// budgetCheckEvery is how many Done calls (VM instructions) pass between
// clock readings.
const budgetCheckEvery = 128

// reset makes c the budget of a call under ctx, reusing its channel when
// the previous call did not close it.
func (c *budgetContext) reset(ctx context.Context) {
	c.Context = ctx
	c.deadline, _ = ctx.Deadline()
	if c.done == nil || c.err != nil {
		c.done = make(chan struct{})
	}
	c.err = nil
	c.calls = 0
}

func (c *budgetContext) Done() <-chan struct{} {
	if c.err == nil {
		c.calls++
		if c.calls%budgetCheckEvery == 0 {
			c.check()
		}
	}
	return c.done
}

// check closes Done when the parent is done or the deadline has passed,
// and returns the reason.
func (c *budgetContext) check() error {
	if c.err != nil {
		return c.err
	}
	if err := c.Context.Err(); err != nil {
		c.expire(err)
	} else if !c.deadline.IsZero() && !time.Now().Before(c.deadline) {
		c.expire(context.DeadlineExceeded)
	}
	return c.err
}

func (c *budgetContext) expire(err error) {
	c.err = err
	close(c.done)
}

func (c *budgetContext) Err() error {
	if c.err != nil {
		return c.err
	}
	return c.Context.Err()
}
