package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/floe-router/floe/core/ice"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"
)

// Errors a connection closes with, wrapped with the underlying cause.
var (
	// ErrConnectionLost means the peer went away without CloseConnection.
	ErrConnectionLost = errors.New("connection lost")
	// ErrClosedByPeer means the peer sent CloseConnection.
	ErrClosedByPeer = errors.New("connection closed by peer")
	// ErrClosed means this side closed the connection.
	ErrClosed = errors.New("connection closed")
	// ErrProtocol means the peer sent something that is not Ice protocol.
	ErrProtocol = errors.New("protocol error")
	// ErrTimeout means ACM found the connection idle, or a write could not
	// make progress.
	ErrTimeout = errors.New("connection timed out")
)

// Handler receives what arrives on a connection. Its methods are called on
// the connection's reader goroutine, so a method that blocks stops reading
// from that connection (which is how back-pressure reaches a peer).
type Handler interface {
	// Request is called for each Request or BatchRequest message; the
	// handler owns m and must Release it or pass it on.
	Request(c *Conn, m *Message)
	// Heartbeat is called for each ValidateConnection received.
	Heartbeat(c *Conn)
	// Closed is called once the connection is closed, with the reason.
	Closed(c *Conn, err error)
}

// ReplyTarget receives the reply to a request sent with SendRequest. It is
// called on the reader goroutine of the connection the reply came on (m
// set, err nil; the target owns m; b is that reader's batch, for the writes
// the reply causes), or once with m nil and err set if the connection
// closed first (b may then be nil). It must not block.
type ReplyTarget interface {
	Reply(b *Batch, tag int32, m *Message, err error)
}

// Options shared by the connections of one side.
type Options struct {
	// MessageSizeMax is the largest message accepted, header included.
	MessageSizeMax int
	// MaxQueuedBytes bounds the write queue: Send waits while more than this
	// is queued, each message counted with what it holds beyond its bytes
	// (messageOverhead). Default 4 MiB.
	MaxQueuedBytes int
	// WriteTimeout closes a connection whose write cannot progress for this
	// long; zero means no limit.
	WriteTimeout time.Duration
	// ACM is the active connection management of these connections.
	ACM ACM
	// TLS configures the ssl and wss transports: for the options of a
	// listening side, the certificate and client verification; for the
	// options of dialled connections, the roots and client certificate.
	TLS *tls.Config
	// Network is "tcp" (both IP versions), "tcp4" or "tcp6".
	Network string
	// PreferIPv6 dials a host name's IPv6 addresses before its IPv4 ones
	// (Ice.PreferIPv6Address).
	PreferIPv6 bool
	// ParkIdleAfter lets a connection (tcp, ssl, ws or wss) idle for this
	// long give up its reader goroutine until data arrives (see park.go);
	// zero: never.
	ParkIdleAfter time.Duration
	Log           hclog.Logger
}

func (o *Options) network() string {
	if o.Network == "" {
		return "tcp"
	}
	return o.Network
}

func (o *Options) maxQueued() int {
	if o.MaxQueuedBytes > 0 {
		return o.MaxQueuedBytes
	}
	return 4 << 20
}

type connState int8

const (
	stateActive connState = iota
	stateClosing
	stateClosed
)

type pendingCall struct {
	target ReplyTarget
	tag    int32
}

var connIDs atomic.Uint64

// Conn is one Ice connection, accepted or dialled.
type Conn struct {
	nc       net.Conn
	opts     *Options
	handler  Handler
	id       uint64
	incoming bool
	// Endpoint is the endpoint a dialled connection was made to.
	Endpoint ice.Endpoint

	mu     sync.Mutex
	cond   sync.Cond
	queue  []*Message
	spare  []*Message // a drained queue's array, reused
	queued int        // bytes queued and not yet written
	// queuedMsgs is how many messages hold those bytes: the bound counts
	// what each one holds beyond its bytes too (messageOverhead).
	queuedMsgs int
	writing    bool
	state      connState
	err        error
	nextID     int32
	pending    map[int32]pendingCall
	done       chan struct{}
	monitor    *Monitor

	// raw is the socket of a plain TCP connection, for non-blocking
	// writes and chunked reads; nil for TLS and WebSocket connections.
	raw   syscall.RawConn
	rawio *rawIO
	// sock is the TCP socket itself, under TLS and WebSocket too, for
	// parking; nil for a ws or wss connection that may not park.
	sock syscall.RawConn
	// waiter is set on a ws or wss connection that may park: its reader
	// waits for each message outside the WebSocket library, where the sweep
	// can wake it (park.go, waitQuietly).
	waiter quietSocket
	// readerOwns is set (under mu) while a reader goroutine owns the raw
	// socket and closes it when it ends; closed is state == stateClosed,
	// for that reader to check without the lock.
	readerOwns bool
	closed     atomic.Bool
	// batch collects the writes made by this connection's reader.
	batch Batch
	// flushLaterFn is flushLater, bound on first use (under mu).
	flushLaterFn func()

	// Parking (park.go).
	parkRequested atomic.Bool
	// waitingQuietly is set (under mu) while a ws or wss reader waits in
	// waitQuietly, the one place the sweep may interrupt it.
	waitingQuietly bool
	// probing says the request is a probe: read once, do not park.
	probing atomic.Bool
	parkFD  int32 // the socket while parked, else -1; under parking.mu
	parked  atomic.Int64

	lastActivity atomic.Int64 // unix nanoseconds
	dispatches   atomic.Int32
	overrides    atomic.Int64

	// Owner is for the code that accepted or dialled the connection (the
	// router keeps its per-connection state here). Set it before Start.
	Owner any
}

func newConn(nc net.Conn, opts *Options, h Handler, incoming bool) *Conn {
	c := &Conn{nc: nc, opts: opts, handler: h, incoming: incoming, id: connIDs.Add(1), done: make(chan struct{}),
		parkFD: -1}
	c.cond.L = &c.mu
	switch nc := nc.(type) {
	case *net.TCPConn:
		if raw, err := nc.SyscallConn(); err == nil {
			c.raw, c.sock, c.rawio = raw, raw, newRawIO()
			c.rawio.pumpFn, c.rawio.fillFn = c.pump, c.fill
		}
	case *tls.Conn:
		if tc, ok := nc.NetConn().(*net.TCPConn); ok {
			if sock, err := tc.SyscallConn(); err == nil {
				c.sock = sock
			}
		}
	case quietSocket:
		if tc := nc.socket(); tc != nil && opts.ParkIdleAfter > 0 {
			if sock, err := tc.SyscallConn(); err == nil {
				c.sock, c.waiter = sock, nc
			}
		}
	}
	c.touch()
	return c
}

// ID is a process-unique number for logs.
func (c *Conn) ID() uint64 { return c.id }

// Incoming reports whether the connection was accepted rather than dialled.
func (c *Conn) Incoming() bool { return c.incoming }

// RemoteAddr and LocalAddr are the socket addresses.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }
func (c *Conn) LocalAddr() net.Addr  { return c.nc.LocalAddr() }

// NetConn is the underlying connection (for TLS state and the like).
func (c *Conn) NetConn() net.Conn { return c.nc }

// Done is closed once the connection is closed.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is why the connection closed, or nil while it is open.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateClosed {
		return nil
	}
	return c.err
}

// Active reports whether the connection accepts new requests.
func (c *Conn) Active() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateActive
}

func (c *Conn) String() string {
	dir := "outgoing"
	if c.incoming {
		dir = "incoming"
	}
	return fmt.Sprintf("%s connection #%d %s -> %s", dir, c.id, c.nc.LocalAddr(), c.nc.RemoteAddr())
}

func (c *Conn) touch() { c.lastActivity.Store(time.Now().UnixNano()) }

// DispatchStarted and DispatchDone count requests received on this
// connection whose replies are not sent yet; ACM sends heartbeats while
// there are some, and a graceful close waits for them.
func (c *Conn) DispatchStarted() { c.dispatches.Add(1) }
func (c *Conn) DispatchDone() {
	if c.dispatches.Add(-1) == 0 {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	}
}

// start runs the reader goroutine.
func (c *Conn) start() {
	parking.watch(c)
	goRead(c.readLoop)
}

// failRead closes the connection after a read error; after we sent
// CloseConnection the peer closing its side is the expected end.
func (c *Conn) failRead(err error) {
	c.mu.Lock()
	closing := c.state == stateClosing
	c.mu.Unlock()
	if closing {
		c.fail(ErrClosed)
		return
	}
	c.fail(readError(err))
}

func readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: peer closed the socket", ErrConnectionLost)
	}
	if errors.Is(err, net.ErrClosed) {
		return ErrClosed
	}
	return fmt.Errorf("%w: %w", ErrConnectionLost, err)
}

func (c *Conn) reply(m *Message) {
	id, ok := ice.ReplyID(m.Body())
	if !ok {
		m.Release()
		c.fail(fmt.Errorf("%w: reply without a request id", ErrProtocol))
		return
	}
	c.mu.Lock()
	p, found := c.pending[id]
	if found {
		delete(c.pending, id)
		if len(c.pending) == 0 {
			c.cond.Broadcast()
		}
	}
	c.mu.Unlock()
	if !found {
		c.log().Debug("reply for an unknown request", "conn", c.id, "request_id", id)
		m.Release()
		return
	}
	if _, err := ice.ParseReply(m.Body()); err != nil {
		m.Release()
		p.target.Reply(&c.batch, p.tag, nil, fmt.Errorf("%w: malformed reply: %w", ErrProtocol, err))
		return
	}
	p.target.Reply(&c.batch, p.tag, m, nil)
}

func (c *Conn) log() hclog.Logger {
	if c.opts.Log != nil {
		return c.opts.Log
	}
	return hclog.NewNullLogger()
}

// compressMessage returns m compressed as Ice does from 100 bytes, or only
// flagged as accepting a compressed reply below that; on failure, m as it
// is.
func compressMessage(m *Message) *Message {
	if len(m.Buf) < ice.CompressThreshold {
		m.Buf[9] = ice.AcceptsCompressedReply
		m.CompressLevel = 0
		return m
	}
	b, err := ice.Compress(m.Buf, int(m.CompressLevel))
	if err != nil {
		m.CompressLevel = 0
		return m
	}
	out := &Message{Buf: b, Header: m.Header, Override: m.Override, class: -1}
	m.Release()
	return out
}

// override replaces the newest queued message with m's Override by m and
// reports whether it did; called locked. Messages the writer has taken are
// no longer in the queue, so an override never reorders or drops what is
// being sent.
func (c *Conn) override(m *Message) bool {
	for i := len(c.queue) - 1; i >= 0; i-- {
		if old := c.queue[i]; old.Override == m.Override {
			c.queued += len(m.Buf) - len(old.Buf)
			c.queue[i] = m
			old.Release()
			c.overrides.Add(1)
			return true
		}
	}
	return false
}

// Overrides is the number of queued messages replaced by newer ones.
func (c *Conn) Overrides() int64 { return c.overrides.Load() }

// nextRequestID returns an id in 1..MaxInt32 not in use; called locked.
func (c *Conn) nextRequestID() int32 {
	for {
		c.nextID++
		if c.nextID <= 0 {
			c.nextID = 1
		}
		if _, busy := c.pending[c.nextID]; !busy {
			return c.nextID
		}
	}
}

// Pending is the number of requests sent on this connection that await
// their reply.
func (c *Conn) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// Abort closes the connection at once, without CloseConnection: the peer
// sees the connection lost. This is Ice's forceful close.
func (c *Conn) Abort(reason error) {
	if reason == nil {
		reason = ErrClosed
	}
	c.fail(reason)
}

// fail closes the connection with err: it fails the pending requests and
// tells the handler. Only the first call has an effect.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	if c.state == stateClosed {
		c.mu.Unlock()
		return
	}
	c.state = stateClosed
	c.closed.Store(true)
	c.err = err
	owned := c.readerOwns
	pending := c.pending
	c.pending = nil
	queue := c.queue
	c.queue = nil
	c.queued, c.queuedMsgs = 0, 0
	mon := c.monitor
	c.cond.Broadcast()
	c.mu.Unlock()

	// Before the socket closes, so its descriptor cannot have been reused.
	parking.forget(c)
	if owned {
		// Its reader closes it (read.go). Shutting it down now tells the
		// peer at once, not after the handler's Closed below; the
		// deadline wakes a reader that waits.
		_ = c.raw.Control(func(fd uintptr) { _, _, _ = unix.RawSyscall(unix.SYS_SHUTDOWN, fd, unix.SHUT_RDWR, 0) })
		_ = c.nc.SetReadDeadline(time.Unix(1, 0))
	} else {
		_ = c.nc.Close()
	}
	for _, m := range queue {
		m.Release()
	}
	if mon != nil {
		mon.remove(c)
	}
	close(c.done)
	for _, p := range pending {
		p.target.Reply(nil, p.tag, nil, err)
	}
	c.handler.Closed(c, err)
}

// Close closes the connection gracefully, as Ice does: no new requests are
// sent, the requests in progress both ways are waited for, CloseConnection
// is sent, and the socket is closed once the peer closes its side or ctx
// ends. It returns when the connection is closed.
func (c *Conn) Close(ctx context.Context) {
	c.mu.Lock()
	if c.state != stateActive {
		c.mu.Unlock()
		c.waitClosed(ctx)
		return
	}
	c.state = stateClosing
	c.mu.Unlock()

	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer stop()

	c.mu.Lock()
	for (len(c.pending) > 0 || c.dispatches.Load() > 0) && c.state != stateClosed && ctx.Err() == nil {
		c.cond.Wait()
	}
	closed := c.state == stateClosed
	c.mu.Unlock()
	if closed {
		return
	}
	if ctx.Err() != nil {
		c.fail(ErrClosed)
		return
	}
	_ = c.enqueue(nil, MessageFrom(ice.CloseConnectionMessage), false, nil, 0)
	// Ice's peer answers CloseConnection by closing the socket; our reader
	// then sees EOF. Half-close our side once everything is written so a
	// peer that does not close still gets EOF.
	c.mu.Lock()
	for (c.writing || len(c.queue) > 0) && c.state != stateClosed && ctx.Err() == nil {
		c.cond.Wait()
	}
	c.mu.Unlock()
	if tc, ok := c.nc.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
	}
	c.waitClosed(ctx)
}

func (c *Conn) waitClosed(ctx context.Context) {
	select {
	case <-c.done:
	case <-ctx.Done():
		c.fail(ErrClosed)
	}
}

// Cancel forgets the requests sent for target that still await a reply
// (a caller that stopped waiting); a reply that comes later is dropped.
func (c *Conn) Cancel(target ReplyTarget) {
	c.mu.Lock()
	for id, p := range c.pending {
		if p.target == target {
			delete(c.pending, id)
		}
	}
	if len(c.pending) == 0 {
		c.cond.Broadcast()
	}
	c.mu.Unlock()
}
