package transport

import (
	"errors"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Parking idle connections. A connection idle for Options.ParkIdleAfter,
// with nothing in flight either way, gives up its reader goroutine (and
// that goroutine's stack, the largest part of an idle connection's
// memory); one process-wide goroutine waits in epoll for any parked socket
// to become readable and starts its reader again. Busy connections never
// park, so the request path pays nothing for it. Plain TCP, TLS, ws and
// wss connections park. A ws or wss reader waits for each message outside
// the WebSocket library (waitQuietly: on the socket, or on wss by reading
// the next TLS record itself), and only there does the sweep wake it,
// since the library closes a connection whose read runs into a deadline.
//
// The same sweep probes plain TCP connections that are idle but cannot park
// (busy, or not allowed to): their reader reads once more. A reader waits
// for the next readiness edge after a short read (read.go), but a peer that
// sends and closes at once can have its end of stream arrive in the edge
// that announced the data, and then no edge is left to tell of it. The
// probe finds it within a second or two of quiet, as parking does (its
// registration reports what is pending).

type parker struct {
	once   sync.Once
	epfd   int
	err    error
	mu     sync.Mutex
	byFD   map[int32]*Conn
	active map[*Conn]struct{} // connections that may park, swept every second

	parkedSinceRelease atomic.Int64
	lastRelease        time.Time // only sweep uses it
}

// Freed reader stacks go back to the Go heap, which keeps them as
// resident memory it may reuse; a router that just saw thousands of
// connections fall quiet hands that memory back to the operating system,
// at most once per releaseEvery.
const (
	releaseAfterParks = 512
	releaseEvery      = 10 * time.Second
)

var parking parker

func (p *parker) start() error {
	p.once.Do(func() {
		p.epfd, p.err = unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if p.err != nil {
			return
		}
		p.mu.Lock()
		p.byFD = make(map[int32]*Conn)
		p.active = make(map[*Conn]struct{})
		p.mu.Unlock()
		go p.wait()
		go p.sweep()
	})
	return p.err
}

// probeIdleAfter is the quiet after which a connection that does not park
// is probed.
const probeIdleAfter = time.Second

// watch makes c a candidate for parking, or for probing when it does not
// park.
func (p *parker) watch(c *Conn) {
	// A TLS reader needs no probe (it reads until EAGAIN), so it is
	// watched only when it may park.
	if c.sock == nil || (c.raw == nil && c.opts.ParkIdleAfter <= 0) || p.start() != nil {
		return
	}
	p.mu.Lock()
	p.active[c] = struct{}{}
	p.mu.Unlock()
}

// forget drops c, whether parked or not; its reader is gone for good.
func (p *parker) forget(c *Conn) {
	p.mu.Lock()
	if p.byFD == nil {
		p.mu.Unlock()
		return
	}
	delete(p.active, c)
	if c.parkFD >= 0 && p.byFD[c.parkFD] == c {
		delete(p.byFD, c.parkFD)
		_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(c.parkFD), nil)
	}
	p.mu.Unlock()
}

// sweep asks idle connections' readers to park.
func (p *parker) sweep() {
	var idle []*Conn
	for range time.Tick(time.Second) {
		now := time.Now().UnixNano()
		idle = idle[:0]
		p.mu.Lock()
		for c := range p.active {
			// A parked connection has no reader to ask, and asking would
			// only send the one it gets next back to park at once.
			if c.parkFD < 0 && now-c.lastActivity.Load() >= int64(c.idleAfter()) {
				idle = append(idle, c)
			}
		}
		p.mu.Unlock()
		for i, c := range idle {
			c.requestPark()
			idle[i] = nil
		}
		if p.parkedSinceRelease.Load() >= releaseAfterParks && time.Since(p.lastRelease) >= releaseEvery {
			p.parkedSinceRelease.Store(0)
			p.lastRelease = time.Now()
			debug.FreeOSMemory()
		}
	}
}

// idleAfter is the quiet after which the sweep asks c's reader to park or
// to probe.
func (c *Conn) idleAfter() time.Duration {
	if c.opts.ParkIdleAfter > 0 {
		return c.opts.ParkIdleAfter
	}
	return probeIdleAfter
}

// requestPark interrupts a reader waiting for data on an idle connection;
// the reader then parks, or only reads once more if the connection cannot
// park (see readLoopRaw). Only the sweep calls it.
func (c *Conn) requestPark() {
	if c.waiter != nil {
		c.requestQuietPark()
		return
	}
	state, quiet := c.quiet()
	if state == stateClosed || c.parkRequested.Load() {
		return
	}
	probe := state != stateActive || !quiet || c.opts.ParkIdleAfter <= 0
	if probe && c.raw == nil {
		return
	}
	c.probing.Store(probe)
	if c.parkRequested.CompareAndSwap(false, true) {
		_ = c.nc.SetReadDeadline(time.Unix(1, 0))
	}
}

// quiet reports c's state and whether nothing is in flight either way.
func (c *Conn) quiet() (connState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state, c.quietLocked()
}

func (c *Conn) quietLocked() bool {
	return len(c.pending) == 0 && !c.writing && len(c.queue) == 0 && c.dispatches.Load() == 0
}

// waitQuietly is how the reader of a ws or wss connection waits for the
// next message: outside the WebSocket library (quietSocket.awaitInput),
// where the sweep's deadline can wake it, and not inside it, where a read
// deadline closes the connection. Woken by the sweep on a quiet
// connection, it parks and reports parked.
func (c *Conn) waitQuietly() (parked bool, err error) {
	for {
		switch n, open := c.waiter.buffered(); {
		case !open:
			return false, net.ErrClosed
		case n > 0:
			return false, nil
		}
		c.mu.Lock()
		c.waitingQuietly = true
		c.mu.Unlock()
		err := c.waiter.awaitInput(c.sock)
		// Before the library reads again, the sweep's deadline is gone,
		// and no new one can come.
		c.mu.Lock()
		c.waitingQuietly = false
		if c.parkRequested.Swap(false) {
			_ = c.waiter.socket().SetReadDeadline(time.Time{})
		}
		c.mu.Unlock()
		switch {
		case err == nil:
			return false, nil
		case !errors.Is(err, os.ErrDeadlineExceeded):
			return false, err
		}
		if state, quiet := c.quiet(); state == stateActive && quiet && c.park() {
			return true, nil
		}
	}
}

// requestQuietPark wakes the reader of a quiet ws or wss connection that
// waits in waitQuietly, and only then: a reader inside the WebSocket
// library is left alone.
func (c *Conn) requestQuietPark() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waitingQuietly && c.state == stateActive && c.quietLocked() && c.parkRequested.CompareAndSwap(false, true) {
		_ = c.waiter.socket().SetReadDeadline(time.Unix(1, 0))
	}
}

// park hands the socket to the epoll waiter; the caller (the reader
// goroutine) returns and ends. It reports false when the connection cannot
// park now, and the reader must go on reading.
func (c *Conn) park() bool {
	c.cancelPark()
	var fd int32 = -1
	_ = c.sock.Control(func(s uintptr) { fd = int32(s) })
	if fd < 0 {
		return false
	}
	p := &parking
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.active[c]; !ok {
		return false // closed meanwhile
	}
	c.parkFD = fd
	p.byFD[fd] = c
	// Level-triggered and one-shot: data that arrived before the
	// registration wakes it at once, and it wakes once.
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT, Fd: fd}
	err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev)
	if errors.Is(err, unix.EEXIST) {
		err = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, int(fd), &ev)
	}
	if err != nil {
		delete(p.byFD, fd)
		c.parkFD = -1
		return false
	}
	c.parked.Add(1)
	p.parkedSinceRelease.Add(1)
	return true
}

// wait restarts the reader of each parked socket that becomes readable.
func (p *parker) wait() {
	events := make([]unix.EpollEvent, 128)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return
		}
		for i := 0; i < n; i++ {
			fd := events[i].Fd
			p.mu.Lock()
			c := p.byFD[fd]
			if c != nil {
				delete(p.byFD, fd)
				c.parkFD = -1
			}
			p.mu.Unlock()
			if c != nil {
				goRead(c.readLoop)
			}
		}
	}
}

// cancelPark clears a park request and the deadline that made it.
func (c *Conn) cancelPark() {
	c.parkRequested.Store(false)
	_ = c.nc.SetReadDeadline(time.Time{})
}

// isParkTimeout reports whether a read ended by the deadline that asks the
// reader to park.
func (c *Conn) isParkTimeout(err error) bool {
	return c.parkRequested.Load() && errors.Is(err, os.ErrDeadlineExceeded)
}

// Parked is how many connections are parked now, in the whole process.
func Parked() int {
	p := &parking
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byFD)
}

// Parks is how many times the connection parked (for tests and metrics).
func (c *Conn) Parks() int64 { return c.parked.Load() }
