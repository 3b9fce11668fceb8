package transport

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/floe-router/floe/core/ice"
)

// HeartbeatPolicy is Ice's ACM heartbeat setting.
type HeartbeatPolicy int

const (
	HeartbeatOff HeartbeatPolicy = iota
	HeartbeatOnDispatch
	HeartbeatOnIdle
	HeartbeatAlways
)

// ClosePolicy is Ice's ACM close setting.
type ClosePolicy int

const (
	CloseOff ClosePolicy = iota
	CloseOnIdle
	CloseOnInvocation
	CloseOnInvocationAndIdle
	CloseOnIdleForceful
)

// ACM is Ice's active connection management for a set of connections.
type ACM struct {
	// Timeout is the idle period; zero disables ACM.
	Timeout   time.Duration
	Heartbeat HeartbeatPolicy
	Close     ClosePolicy
}

// Ice 3.7's defaults for the two sides of a connection.
var (
	ServerACM = ACM{Timeout: 60 * time.Second, Heartbeat: HeartbeatOnDispatch, Close: CloseOnInvocation}
	ClientACM = ACM{Timeout: 60 * time.Second, Heartbeat: HeartbeatOnDispatch, Close: CloseOnInvocationAndIdle}
)

// Monitor applies one ACM configuration to its connections, checking them
// every half timeout as Ice does.
type Monitor struct {
	acm   ACM
	mu    sync.Mutex
	conns map[*Conn]struct{}
	stop  chan struct{}
	once  sync.Once
}

// NewMonitor starts a monitor; it does nothing when acm.Timeout is zero.
func NewMonitor(acm ACM) *Monitor {
	m := &Monitor{acm: acm, conns: make(map[*Conn]struct{}), stop: make(chan struct{})}
	if acm.Timeout > 0 {
		go m.run()
	}
	return m
}

// ACM returns the configuration applied.
func (m *Monitor) ACM() ACM { return m.acm }

// Stop ends the monitor.
func (m *Monitor) Stop() { m.once.Do(func() { close(m.stop) }) }

func (m *Monitor) add(c *Conn) {
	if m == nil || m.acm.Timeout <= 0 {
		return
	}
	m.mu.Lock()
	m.conns[c] = struct{}{}
	m.mu.Unlock()
	c.mu.Lock()
	c.monitor = m
	c.mu.Unlock()
}

func (m *Monitor) remove(c *Conn) {
	m.mu.Lock()
	delete(m.conns, c)
	m.mu.Unlock()
}

func (m *Monitor) run() {
	period := m.acm.Timeout / 2
	if period < 100*time.Millisecond {
		period = 100 * time.Millisecond
	}
	t := time.NewTicker(period)
	defer t.Stop()
	var conns []*Conn
	for {
		select {
		case <-m.stop:
			return
		case now := <-t.C:
			conns = conns[:0]
			m.mu.Lock()
			for c := range m.conns {
				conns = append(conns, c)
			}
			m.mu.Unlock()
			for i, c := range conns {
				c.checkACM(now, m.acm)
				conns[i] = nil
			}
		}
	}
}

// checkACM is Ice's ConnectionI::monitor: a heartbeat when nothing was
// sent or received for a quarter timeout (as the policy allows), and a
// close after a whole timeout of silence.
func (c *Conn) checkACM(now time.Time, acm ACM) {
	c.mu.Lock()
	if c.state != stateActive {
		c.mu.Unlock()
		return
	}
	idleWrite := !c.writing && len(c.queue) == 0
	pending := len(c.pending)
	c.mu.Unlock()
	last := time.Unix(0, c.lastActivity.Load())
	dispatching := c.dispatches.Load() > 0

	if acm.Heartbeat == HeartbeatAlways ||
		(acm.Heartbeat != HeartbeatOff && idleWrite && !now.Before(last.Add(acm.Timeout/4))) {
		if acm.Heartbeat != HeartbeatOnDispatch || dispatching {
			_ = c.Post(MessageFrom(ice.ValidateConnectionMessage))
		}
	}
	if !idleWrite {
		return
	}
	if acm.Close != CloseOff && !now.Before(last.Add(acm.Timeout)) {
		switch {
		case acm.Close == CloseOnIdleForceful || (acm.Close != CloseOnIdle && pending > 0):
			c.fail(fmt.Errorf("%w: no activity for %s", ErrTimeout, acm.Timeout))
		case acm.Close != CloseOnInvocation && !dispatching && pending == 0:
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), acm.Timeout)
				defer cancel()
				c.Close(ctx)
			}()
		}
	}
}
