package router

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/ice"
)

// Benchmarks of the forwarding path: an in-process router between clients
// pipelining requests and a backend, both on raw sockets and allocation-free
// in steady state, so allocs/op is the router's own per forwarded request
// (and its reply). The target (issue 6) is zero.
//
//	go test -run '^$' -bench Forward -benchmem ./core/router
//	go test -run '^$' -bench ForwardTwoway -memprofile mem.out ./core/router
//	go tool pprof -sample_index=alloc_objects -top mem.out

func BenchmarkForwardTwoway(b *testing.B) {
	for _, c := range []struct{ sessions, inflight int }{{1, 1}, {1, 16}, {16, 8}, {256, 1}} {
		b.Run(fmt.Sprintf("sessions=%d/inflight=%d", c.sessions, c.inflight), func(b *testing.B) {
			benchmarkTwoway(b, c.sessions, c.inflight)
		})
	}
}

// BenchmarkHarnessDirect is the control: the same client pipelining to the
// same backend with no router in between. It must show 0 allocs/op, so what
// the benchmarks above show is the router's.
func BenchmarkHarnessDirect(b *testing.B) {
	backend := startRawBackend(b)
	c := dialBench(b, nil, backend)
	_ = c.pipeline(2000, 16)
	b.ReportAllocs()
	b.ResetTimer()
	if err := c.pipeline(b.N, 16); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkForwardOneway(b *testing.B) {
	backend := startRawBackend(b)
	r := startBenchRouter(b)
	c := dialBench(b, r, backend)
	msg := c.message(0)
	// Oneways have no replies: the backend's count says when they are through.
	send := func(n int) {
		want := backend.oneways.Load() + int64(n)
		w := bufio.NewWriterSize(c.nc, 16<<10)
		for range n {
			if _, err := w.Write(msg); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		for backend.oneways.Load() < want {
			time.Sleep(50 * time.Microsecond)
		}
	}
	send(10000) // warm up: buffers pooled, connections open
	b.ReportAllocs()
	b.ResetTimer()
	send(b.N)
}

func benchmarkTwoway(b *testing.B, sessions, inflight int) {
	backend := startRawBackend(b)
	r := startBenchRouter(b)
	clients := make([]*benchClient, sessions)
	for i := range clients {
		clients[i] = dialBench(b, r, backend)
	}
	round := func(n int) {
		var wg sync.WaitGroup
		for i, c := range clients {
			share := n / sessions
			if i < n%sessions {
				share++
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := c.pipeline(share, inflight); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	round(2000 * sessions) // warm up
	b.ReportAllocs()
	b.ResetTimer()
	round(b.N)
}

func startBenchRouter(b testing.TB) *Router {
	b.Helper()
	return runRouter(b, &config.Config{InstanceName: "Glacier2", Client: config.Client{Endpoints: "tcp -h 127.0.0.1 -p 0"},
		Auth: config.Auth{AllowAll: true}, MessageSizeMax: 1 << 20})
}

// rawBackend answers every twoway request with an empty OK reply and counts
// oneways, allocating nothing per message.
type rawBackend struct {
	l       net.Listener
	oneways atomic.Int64
}

func startRawBackend(b testing.TB) *rawBackend {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	rb := &rawBackend{l: l}
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				rb.serve(nc)
			}()
		}
	}()
	b.Cleanup(func() { l.Close() })
	return rb
}

func (rb *rawBackend) serve(nc net.Conn) {
	if _, err := nc.Write(ice.ValidateConnectionMessage); err != nil {
		return
	}
	r := bufio.NewReaderSize(nc, 64<<10)
	w := bufio.NewWriterSize(nc, 64<<10)
	reply := ice.AppendReplyOK(nil, 0, nil)
	var hdr [ice.HeaderSize]byte
	body := make([]byte, 1<<20)
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		h, err := ice.ParseHeader(hdr[:], len(body))
		if err != nil {
			return
		}
		if _, err := io.ReadFull(r, body[:h.Size-ice.HeaderSize]); err != nil {
			return
		}
		switch h.Type {
		case ice.RequestMsg:
			if id := binary.LittleEndian.Uint32(body); id != 0 {
				binary.LittleEndian.PutUint32(reply[ice.HeaderSize:], id)
				_, _ = w.Write(reply)
			} else {
				rb.oneways.Add(1)
			}
		case ice.CloseConnectionMsg:
			return
		}
		// Replies to requests that arrived together leave together.
		if r.Buffered() == 0 && w.Flush() != nil {
			return
		}
	}
}

func (rb *rawBackend) proxy() *ice.Proxy {
	a := rb.l.Addr().(*net.TCPAddr)
	return &ice.Proxy{Identity: ice.Identity{Name: "bench"}, Protocol: ice.Protocol10, Encoding: ice.Encoding11,
		Endpoints: []ice.Endpoint{{Type: ice.TCPEndpoint, Encoding: ice.Encoding11, Host: "127.0.0.1",
			Port: int32(a.Port), Timeout: -1}}}
}

// benchClient is a client connection with a session whose routing table
// holds the backend.
type benchClient struct {
	nc   net.Conn
	r    *bufio.Reader
	hdr  [ice.HeaderSize]byte // a field: on the stack it would escape through io.ReadFull
	body []byte
}

// dialBench connects to r, or straight to the backend when r is nil.
func dialBench(b testing.TB, r *Router, backend *rawBackend) *benchClient {
	b.Helper()
	return dialBenchSized(b, r, backend, 1<<20)
}

// dialBenchSized is dialBench with a client able to read messages of up to
// maxMessage bytes.
func dialBenchSized(b testing.TB, r *Router, backend *rawBackend, maxMessage int) *benchClient {
	b.Helper()
	var nc net.Conn
	var err error
	if r != nil {
		nc, err = dialTCP(r.ClientEndpoints()[0])
	} else {
		nc, err = net.Dial("tcp", backend.l.Addr().String())
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { nc.Close() })
	c := &benchClient{nc: nc, r: bufio.NewReaderSize(nc, min(64<<10, maxMessage)), body: make([]byte, maxMessage)}
	if h, err := c.read(); err != nil || h.Type != ice.ValidateConnectionMsg {
		b.Fatalf("no ValidateConnection: %v %v", h.Type, err)
	}
	if r == nil {
		return c
	}
	routerID := ice.Identity{Category: "Glacier2", Name: "router"}
	for i, call := range []struct {
		op     string
		mode   ice.OperationMode
		params func(*ice.Encoder)
	}{
		{"createSession", ice.Normal, func(e *ice.Encoder) { e.WriteString("u"); e.WriteString("p") }},
		{"addProxies", ice.Idempotent, func(e *ice.Encoder) { e.WriteProxySeq([]*ice.Proxy{backend.proxy()}) }},
	} {
		e := ice.NewEncoder(nil)
		m := e.StartEncapsulation(ice.Encoding11)
		call.params(e)
		e.EndEncapsulation(m)
		msg := ice.AppendRequestMessage(nil, ice.RequestSpec{ID: int32(i + 1), Identity: routerID, Operation: call.op,
			Mode: call.mode, Params: e.Bytes()})
		if _, err := nc.Write(msg); err != nil {
			b.Fatal(err)
		}
		if err := c.expectReply(); err != nil {
			b.Fatalf("%s: %v", call.op, err)
		}
	}
	return c
}

// message is a ping request to the backend with request id id.
func (c *benchClient) message(id int32) []byte {
	return ice.AppendRequestMessage(nil, ice.RequestSpec{ID: id, Identity: ice.Identity{Name: "bench"}, Operation: "ping"})
}

func (c *benchClient) read() (ice.Header, error) {
	if _, err := io.ReadFull(c.r, c.hdr[:]); err != nil {
		return ice.Header{}, err
	}
	h, err := ice.ParseHeader(c.hdr[:], len(c.body))
	if err != nil {
		return h, err
	}
	_, err = io.ReadFull(c.r, c.body[:h.Size-ice.HeaderSize])
	return h, err
}

// expectReply reads the next reply and checks it is OK.
func (c *benchClient) expectReply() error {
	for {
		h, err := c.read()
		if err != nil {
			return err
		}
		if h.Type != ice.ReplyMsg {
			continue
		}
		if st := ice.ReplyStatus(c.body[4]); st != ice.ReplyOK {
			return fmt.Errorf("reply status %s", st)
		}
		return nil
	}
}

// pipeline sends n pings, each in its own write as an Ice client does,
// keeping up to inflight of them awaiting their reply.
func (c *benchClient) pipeline(n, inflight int) error {
	msg := c.message(1)
	slots := make(chan struct{}, inflight)
	errc := make(chan error, 1)
	go func() {
		for range n {
			if err := c.expectReply(); err != nil {
				errc <- err
				return
			}
			<-slots
		}
		errc <- nil
	}()
	for i := range n {
		select {
		case slots <- struct{}{}:
		case err := <-errc:
			return err // the reader failed
		}
		binary.LittleEndian.PutUint32(msg[ice.HeaderSize:], uint32(i%inflight+1))
		if _, err := c.nc.Write(msg); err != nil {
			return err
		}
	}
	return <-errc
}
