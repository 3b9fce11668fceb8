package transport

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/floe-router/floe/core/ice"
)

// echoHandler answers every twoway request with an OK reply carrying the
// request's params, like a trivial Ice server.
type echoHandler struct {
	mu         sync.Mutex
	closed     []error
	heartbeats int
	hold       chan struct{} // when set, requests wait on it
}

func (h *echoHandler) Request(c *Conn, m *Message) {
	defer m.Release()
	if h.hold != nil {
		<-h.hold
	}
	req, err := ice.ParseRequest(m.Body())
	if err != nil {
		c.Abort(err)
		return
	}
	if req.ID != 0 {
		_ = c.Post(MessageFrom(ice.AppendReplyOK(nil, req.ID, req.Params())))
	}
}
func (h *echoHandler) Heartbeat(*Conn) { h.mu.Lock(); h.heartbeats++; h.mu.Unlock() }
func (h *echoHandler) Closed(_ *Conn, err error) {
	h.mu.Lock()
	h.closed = append(h.closed, err)
	h.mu.Unlock()
}

type result struct {
	tag int32
	m   *Message
	err error
}

type chanTarget chan result

func (t chanTarget) Reply(_ *Batch, tag int32, m *Message, err error) { t <- result{tag, m, err} }

func listen(t testing.TB, opts *Options, h Handler, mon *Monitor) *Listener {
	t.Helper()
	l, err := Listen(ice.Endpoint{Type: ice.TCPEndpoint, Host: "127.0.0.1", Timeout: 5000}, opts, mon)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = l.Serve(h, nil) }()
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// dialPlain connects a bare socket to l, with a deadline of d for all it
// does, and reads the listener's ValidateConnection.
func dialPlain(t testing.TB, l *Listener, d time.Duration) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(d))
	validate := make([]byte, ice.HeaderSize)
	if _, err := io.ReadFull(nc, validate); err != nil {
		t.Fatal(err)
	}
	return nc
}

// readMessage reads one whole message from a bare socket.
func readMessage(nc net.Conn) (ice.Header, []byte, error) {
	hdr := make([]byte, ice.HeaderSize)
	if _, err := io.ReadFull(nc, hdr); err != nil {
		return ice.Header{}, nil, err
	}
	h, err := ice.ParseHeader(hdr, 1<<21)
	if err != nil {
		return h, nil, err
	}
	body := make([]byte, h.Size-ice.HeaderSize)
	_, err = io.ReadFull(nc, body)
	return h, body, err
}

func request(id int32, payload []byte) *Message {
	e := ice.NewEncoder(nil)
	m := e.StartEncapsulation(ice.Encoding11)
	e.WriteRaw(payload)
	e.EndEncapsulation(m)
	return MessageFrom(ice.AppendRequestMessage(nil, ice.RequestSpec{ID: id,
		Identity: ice.Identity{Name: "hello"}, Operation: "echo", Params: e.Bytes()}))
}

// postBatch queues n requests of payload bytes on c as one batch, as a
// reader goroutine does, flushes it, and returns the bytes of each.
func postBatch(t *testing.T, c *Conn, n, payload int) [][]byte {
	t.Helper()
	var b Batch
	var sent [][]byte
	for i := range n {
		m := request(int32(i+1), bytes.Repeat([]byte{byte(i)}, payload))
		sent = append(sent, append([]byte(nil), m.Buf...))
		if err := c.PostVia(&b, m); err != nil {
			t.Fatal(err)
		}
	}
	b.Flush()
	return sent
}

func TestRequestsAreMultiplexedAndMatched(t *testing.T) {
	opts := &Options{MessageSizeMax: 1 << 20}
	l := listen(t, opts, &echoHandler{}, nil)
	client := &echoHandler{}
	c, err := Dial(context.Background(), l.Endpoint, opts, client, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort(nil)
	const n = 200
	target := make(chanTarget, n)
	for i := range n {
		if err := c.SendRequest(request(1, []byte{byte(i), byte(i >> 8)}), target, int32(1000+i)); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int32]bool{}
	for range n {
		select {
		case r := <-target:
			if r.err != nil {
				t.Fatal(r.err)
			}
			rep, err := ice.ParseReply(r.m.Body())
			if err != nil || rep.Status != ice.ReplyOK {
				t.Fatalf("reply %v %v", rep.Status, err)
			}
			i := int(r.tag - 1000)
			if got := rep.Payload[6:]; got[0] != byte(i) || got[1] != byte(i>>8) {
				t.Fatalf("tag %d got payload % x", r.tag, got)
			}
			if seen[r.tag] {
				t.Fatalf("tag %d twice", r.tag)
			}
			seen[r.tag] = true
			r.m.Release()
		case <-time.After(5 * time.Second):
			t.Fatal("timed out waiting for replies")
		}
	}
}

func TestBadInputClosesOnlyThatConnection(t *testing.T) {
	cases := []struct {
		name string
		data []byte
	}{
		{"garbage", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
		{"wrong magic", append([]byte("IceX"), make([]byte, 10)...)},
		{"oversized", ice.AppendHeader(nil, ice.RequestMsg, 0, 64<<20)},
		{"truncated request", func() []byte {
			b := request(1, []byte("abc")).Buf
			b = b[:len(b)-2]
			ice.SetMessageSize(b)
			return b
		}()},
		{"negative size", func() []byte {
			b := ice.AppendHeader(nil, ice.RequestMsg, 0, 14)
			binary.LittleEndian.PutUint32(b[10:], 0xFFFFFFF0)
			return b
		}()},
	}
	opts := &Options{MessageSizeMax: 1 << 20}
	h := &echoHandler{}
	l := listen(t, opts, h, nil)
	good, err := Dial(context.Background(), l.Endpoint, opts, &echoHandler{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer good.Abort(nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			var hdr [14]byte
			if _, err := nc.Read(hdr[:]); err != nil || hdr[8] != byte(ice.ValidateConnectionMsg) {
				t.Fatalf("no validate connection: %v", err)
			}
			_, _ = nc.Write(tc.data)
			_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			var b [64]byte
			if n, err := nc.Read(b[:]); err == nil {
				t.Fatalf("connection still open, read %d bytes", n)
			} else if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
				t.Fatal("connection was not closed")
			}
			// The other connection is unaffected.
			target := make(chanTarget, 1)
			if err := good.SendRequest(request(1, []byte("ok")), target, 7); err != nil {
				t.Fatal(err)
			}
			if r := <-target; r.err != nil {
				t.Fatal(r.err)
			} else {
				r.m.Release()
			}
		})
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestPendingRequestsFailWhenConnectionIsLost(t *testing.T) {
	opts := &Options{MessageSizeMax: 1 << 20}
	hold := make(chan struct{})
	server := &echoHandler{hold: hold}
	l := listen(t, opts, server, nil)
	c, err := Dial(context.Background(), l.Endpoint, opts, &echoHandler{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	target := make(chanTarget, 1)
	if err := c.SendRequest(request(1, nil), target, 42); err != nil {
		t.Fatal(err)
	}
	c.Abort(ErrConnectionLost)
	close(hold)
	select {
	case r := <-target:
		if r.err == nil || r.tag != 42 {
			t.Fatalf("got %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pending request not failed")
	}
	if err := c.SendRequest(request(1, nil), target, 43); err == nil {
		t.Fatal("send on a closed connection succeeded")
	}
}

// dialSilentPeer dials a peer that sends ValidateConnection and then never
// reads, with small socket buffers, so that what c sends stays queued.
func dialSilentPeer(t *testing.T, opts *Options) *Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, _ := ln.Accept()
		_ = nc.(*net.TCPConn).SetReadBuffer(16 << 10)
		_, _ = nc.Write(ice.ValidateConnectionMessage)
		accepted <- nc
	}()
	addr := ln.Addr().(*net.TCPAddr)
	c, err := Dial(context.Background(), ice.Endpoint{Type: ice.TCPEndpoint, Host: "127.0.0.1", Port: int32(addr.Port)}, opts, &echoHandler{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.NetConn().(*net.TCPConn).SetWriteBuffer(16 << 10)
	peer := <-accepted
	t.Cleanup(func() { peer.Close() })
	return c
}

func TestBackPressureBoundsTheWriteQueue(t *testing.T) {
	// A peer that never reads: Send must block once the queue is full,
	// rather than buffer without limit, and unblock when the connection dies.
	// Small messages count with what each holds beyond its bytes, or a
	// flood of tiny oneways would queue ten times the bound in memory.
	for _, tc := range []struct {
		name    string
		payload int
		most    int // messages to try
	}{
		{"32 KiB messages", 32 << 10, 10000},
		{"small messages", 16, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const bound = 64 << 10
			c := dialSilentPeer(t, &Options{MessageSizeMax: 1 << 20, MaxQueuedBytes: bound})
			size := len(request(0, make([]byte, tc.payload)).Buf)
			blocked := make(chan int, 1)
			go func() {
				sent := 0
				for i := 0; i < tc.most; i++ {
					if err := c.Send(request(0, make([]byte, tc.payload))); err != nil {
						break
					}
					sent++
				}
				blocked <- sent
			}()
			select {
			case n := <-blocked:
				t.Fatalf("sent %d messages of %d bytes to a peer that does not read", n, size)
			case <-time.After(500 * time.Millisecond):
			}
			c.mu.Lock()
			q, msgs := c.queued, c.queuedMsgs
			c.mu.Unlock()
			if held := q + msgs*messageOverhead; held > bound+size+messageOverhead {
				t.Fatalf("queue holds %d messages of %d bytes (%d counted with what each holds); bound is %d",
					msgs, size, held, bound)
			}
			c.Abort(nil)
			select {
			case <-blocked:
			case <-time.After(5 * time.Second):
				t.Fatal("sender still blocked after the connection closed")
			}
		})
	}
}

func TestGracefulCloseSendsCloseConnection(t *testing.T) {
	opts := &Options{MessageSizeMax: 1 << 20}
	l := listen(t, opts, &echoHandler{}, nil)
	client := &echoHandler{}
	c, err := Dial(context.Background(), l.Endpoint, opts, client, nil)
	if err != nil {
		t.Fatal(err)
	}
	target := make(chanTarget, 1)
	if err := c.SendRequest(request(1, []byte("x")), target, 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.Close(ctx) // waits for the pending reply first
	if r := <-target; r.err != nil {
		t.Fatalf("pending request failed: %v", r.err)
	}
	if !errors.Is(c.Err(), ErrClosed) {
		t.Fatalf("closed with %v", c.Err())
	}
}

func TestACMClosesIdleConnectionsAndHeartbeatsOnDispatch(t *testing.T) {
	acm := ACM{Timeout: 400 * time.Millisecond, Heartbeat: HeartbeatOnDispatch, Close: CloseOnIdleForceful}
	mon := NewMonitor(acm)
	defer mon.Stop()
	opts := &Options{MessageSizeMax: 1 << 20, ACM: acm}
	server := &echoHandler{}
	l := listen(t, opts, server, mon)
	client := &echoHandler{}
	c, err := Dial(context.Background(), l.Endpoint, &Options{MessageSizeMax: 1 << 20}, client, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("idle connection not closed by ACM")
	}
	client.mu.Lock()
	hb := client.heartbeats
	client.mu.Unlock()
	if hb != 0 {
		t.Fatalf("got %d heartbeats without a dispatch", hb)
	}
}

func TestOverrideReplacesQueuedMessage(t *testing.T) {
	// Messages still in the write queue are replaced by newer ones with the
	// same Override; the writer is held off by a peer that does not read.
	c := dialSilentPeer(t, &Options{MessageSizeMax: 1 << 20, MaxQueuedBytes: 64 << 20})
	defer c.Abort(nil)
	// Fill the socket buffers so later messages stay queued.
	for i := 0; i < 64; i++ {
		_ = c.Send(request(0, make([]byte, 256<<10)))
	}
	for i := 0; i < 10; i++ {
		m := request(0, []byte{byte(i)})
		m.Override = "position"
		if err := c.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.Overrides(); got != 9 {
		t.Fatalf("%d overrides, want 9", got)
	}
	c.mu.Lock()
	n := 0
	for _, m := range c.queue {
		if m.Override == "position" {
			n++
			if last := m.Buf[len(m.Buf)-1]; last != 9 {
				t.Errorf("queued override carries %d, want the newest (9)", last)
			}
		}
	}
	c.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d overriding messages queued, want 1", n)
	}
}

// compressedSeen records whether requests arrived compressed.
type compressedSeen struct {
	echoHandler
	seen chan bool
}

func (h *compressedSeen) Request(c *Conn, m *Message) {
	h.seen <- m.Compressed
	h.echoHandler.Request(c, m)
}

func TestCompressLevelCompressesAfterTheRequestID(t *testing.T) {
	opts := &Options{MessageSizeMax: 1 << 20}
	server := &compressedSeen{seen: make(chan bool, 2)}
	l := listen(t, opts, server, nil)
	c, err := Dial(context.Background(), l.Endpoint, opts, &echoHandler{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort(nil)
	for _, size := range []int{10, 5000} {
		m := request(1, make([]byte, size))
		m.CompressLevel = 1
		target := make(chanTarget, 1)
		if err := c.SendRequest(m, target, 9); err != nil {
			t.Fatal(err)
		}
		r := <-target
		if r.err != nil || r.tag != 9 {
			t.Fatalf("size %d: %+v", size, r)
		}
		r.m.Release()
		if got, want := <-server.seen, size >= 100; got != want {
			t.Errorf("size %d: arrived compressed %v, want %v", size, got, want)
		}
	}
}

func TestPoolOrderedSelectionTriesEndpointsInOrder(t *testing.T) {
	opts := &Options{MessageSizeMax: 1 << 20}
	b := listen(t, opts, &echoHandler{}, nil)
	c := listen(t, opts, &echoHandler{}, nil)
	dead := ice.Endpoint{Type: ice.TCPEndpoint, Host: "127.0.0.1", Port: 1, Timeout: 1000}
	for i := 0; i < 5; i++ {
		pool := NewPool(opts, &echoHandler{}, nil)
		conn, err := pool.GetWith(context.Background(), []ice.Endpoint{dead, b.Endpoint, c.Endpoint}, false, Selection{Ordered: true})
		if err != nil {
			t.Fatal(err)
		}
		if conn.Endpoint.Port != b.Endpoint.Port {
			t.Fatalf("ordered selection connected to port %d, want the first live endpoint %d", conn.Endpoint.Port, b.Endpoint.Port)
		}
		pool.Close(context.Background())
	}
}

func TestIdleConnectionParksAndWakes(t *testing.T) {
	opts := &Options{MessageSizeMax: 1 << 20, ParkIdleAfter: 100 * time.Millisecond}
	server := &echoHandler{}
	var serverConn *Conn
	ready := make(chan struct{})
	l, err := Listen(ice.Endpoint{Type: ice.TCPEndpoint, Host: "127.0.0.1", Timeout: 5000}, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = l.Serve(server, func(c *Conn) { serverConn = c; close(ready) })
	}()
	defer l.Close()
	c, err := Dial(context.Background(), l.Endpoint, &Options{MessageSizeMax: 1 << 20}, &echoHandler{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort(nil)
	<-ready
	deadline := time.Now().Add(5 * time.Second)
	for serverConn.Parks() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if serverConn.Parks() == 0 {
		t.Fatal("idle connection did not park")
	}
	// A parked connection still answers, and parks again once idle.
	for i := 0; i < 3; i++ {
		target := make(chanTarget, 1)
		if err := c.SendRequest(request(1, []byte("wake")), target, 5); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-target:
			if r.err != nil {
				t.Fatal(r.err)
			}
			r.m.Release()
		case <-time.After(5 * time.Second):
			t.Fatal("no reply from a parked connection")
		}
		parks := serverConn.Parks()
		for serverConn.Parks() == parks && time.Now().Before(deadline.Add(5*time.Second)) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if serverConn.Parks() < 3 {
		t.Fatalf("parked %d times, want it to park again after each wake", serverConn.Parks())
	}
}

// A message larger than a read chunk that arrives slowly is read to its
// end: the stall is no idle connection to park.
func TestSlowLargeMessageIsNotParked(t *testing.T) {
	opts := &Options{MessageSizeMax: 1 << 20, ParkIdleAfter: 100 * time.Millisecond}
	l := listen(t, opts, &echoHandler{}, nil)
	nc := dialPlain(t, l, 20*time.Second)
	payload := make([]byte, 3*chunkSize)
	for i := range payload {
		payload[i] = byte(i)
	}
	m := request(7, payload)
	half := chunkSize + chunkSize/2
	if _, err := nc.Write(m.Buf[:half]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // the park sweep runs every second
	if _, err := nc.Write(m.Buf[half:]); err != nil {
		t.Fatal(err)
	}
	h, body, err := readMessage(nc)
	if err != nil {
		t.Fatalf("no reply after a slow message: %v", err)
	}
	if h.Type != ice.ReplyMsg || len(body) < len(payload) {
		t.Fatalf("got a %s of %d bytes, want the echo of %d", h.Type, len(body), len(payload))
	}
}

// gateHandler runs each request's handling by way of its test case: it
// says when a request arrived, then calls onRequest.
type gateHandler struct {
	echoHandler
	arrived   chan struct{}
	onRequest func(c *Conn)
}

func (h *gateHandler) Request(c *Conn, m *Message) {
	m.Release()
	h.arrived <- struct{}{}
	h.onRequest(c)
}

// gate is a lock a handler may have to wait for.
type gate struct {
	sync.Mutex
	passed int
}

// However a connection is closed — by its own handler while its reader is
// at work, by another goroutine while the reader waits, or by one that holds
// a lock the running handler needs — the close does not wait for the
// reader, and the peer sees its socket closed.
func TestCloseNeverWaitsForTheReader(t *testing.T) {
	cases := []struct {
		name string
		// handle runs in the handler; close runs on another goroutine
		// once the request arrived, holding g.
		handle func(c *Conn, g *gate)
		close  func(c *Conn)
	}{
		{"by its handler",
			func(c *Conn, _ *gate) { c.Abort(errors.New("refused")) },
			func(*Conn) {}},
		{"while the reader waits",
			func(*Conn, *gate) {},
			func(c *Conn) { time.Sleep(50 * time.Millisecond); c.Abort(nil) }},
		{"holding what the handler waits for",
			func(_ *Conn, g *gate) { g.Lock(); g.passed++; g.Unlock() },
			func(c *Conn) { c.Abort(nil) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var g gate
			conns := make(chan *Conn, 1)
			h := &gateHandler{arrived: make(chan struct{}, 1)}
			h.onRequest = func(c *Conn) { tc.handle(c, &g) }
			l, err := Listen(ice.Endpoint{Type: ice.TCPEndpoint, Host: "127.0.0.1"}, &Options{MessageSizeMax: 1 << 20}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go func() { _ = l.Serve(h, func(c *Conn) { conns <- c }) }()
			nc := dialPlain(t, l, 10*time.Second)
			c := <-conns
			g.Lock()
			if _, err := nc.Write(request(1, []byte("x")).Buf); err != nil {
				t.Fatal(err)
			}
			<-h.arrived
			closed := make(chan struct{})
			go func() { tc.close(c); g.Unlock(); close(closed) }()
			select {
			case <-closed:
			case <-time.After(5 * time.Second):
				t.Fatal("closing the connection waited for its reader")
			}
			if n, err := nc.Read(make([]byte, 64)); err == nil {
				t.Fatalf("peer read %d bytes, want its socket closed", n)
			} else if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal("peer's socket still open")
			}
		})
	}
}

// A peer that sends and closes at once can have its end of stream arrive
// with the data, in the one readiness edge the reader waited for: the read
// that takes the data is short, and no edge is left to say the stream
// ended. The connection must still learn it did, whether it may park, may
// not (a connection we dialled), or is busy (a request being dispatched).
func TestEndOfStreamAfterDataIsNoticed(t *testing.T) {
	for _, tc := range []struct {
		name string
		park time.Duration
		busy bool
	}{
		{"parking connection", 100 * time.Millisecond, false},
		{"connection that does not park", 0, false},
		{"parking connection with a dispatch in progress", 100 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := &Options{MessageSizeMax: 1 << 20, ParkIdleAfter: tc.park}
			server := &echoHandler{}
			conns := make(chan *Conn, 1)
			l, err := Listen(ice.Endpoint{Type: ice.TCPEndpoint, Host: "127.0.0.1", Timeout: 5000}, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			go func() { _ = l.Serve(server, func(c *Conn) { conns <- c }) }()
			defer l.Close()
			for i := range 2 {
				nc := dialPlain(t, l, 10*time.Second)
				c := <-conns
				if tc.busy {
					c.DispatchStarted()
				}
				if _, err := nc.Write(request(0, []byte("bye")).Buf); err != nil {
					t.Fatal(err)
				}
				nc.Close()
				select {
				case <-c.Done():
				case <-time.After(10 * time.Second):
					t.Fatalf("connection %d: its peer's close went unnoticed", i)
				}
			}
		})
	}
}

func TestPoolLanesAreConnectionsOfTheirOwn(t *testing.T) {
	opts := &Options{MessageSizeMax: 1 << 20}
	b := listen(t, opts, &echoHandler{}, nil)
	pool := NewPool(opts, &echoHandler{}, nil)
	defer pool.Close(context.Background())
	eps := []ice.Endpoint{b.Endpoint}
	get := func(lane int) *Conn {
		t.Helper()
		c, err := pool.GetWith(context.Background(), eps, false, Selection{Lane: lane})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c0, c1 := get(0), get(1)
	if c0 == c1 {
		t.Fatal("lanes 0 and 1 share a connection")
	}
	if again, err := pool.Get(context.Background(), eps, false); err != nil || again != c0 {
		t.Fatalf("Get without a lane: %v, %v; want lane 0's connection", again, err)
	}
	if get(1) != c1 {
		t.Fatal("lane 1 dialled again instead of reusing its connection")
	}
	if n := len(pool.Conns()); n != 2 {
		t.Fatalf("pool holds %d connections, want 2", n)
	}
	// A closed lane's connection leaves the pool; the other stays.
	pool.Forget(c1)
	c1.Abort(nil)
	if n := len(pool.Conns()); n != 1 {
		t.Fatalf("after forgetting lane 1: %d connections, want 1", n)
	}
	if get(1) == c1 || get(0) != c0 {
		t.Fatal("after forgetting lane 1, lane 1 should dial anew and lane 0 keep its connection")
	}
}
