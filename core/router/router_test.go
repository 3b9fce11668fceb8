package router

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/ice"
)

// These tests drive an in-process router with hand-built messages where
// real Ice clients cannot go: malformed and hostile input. Behaviour towards
// well-formed clients is proven against the real Ice runtime in
// test/interop.

func startRouter(t *testing.T) *Router {
	t.Helper()
	return runRouter(t, &config.Config{InstanceName: "Glacier2", Client: config.Client{Endpoints: "tcp -h 127.0.0.1 -p 0"},
		Server: &config.Server{Endpoints: "tcp -h 127.0.0.1 -p 0"}, Auth: config.Auth{AllowAll: true},
		MessageSizeMax: 1 << 20})
}

// runRouter starts a router with cfg, shut down when the test (or
// benchmark) ends.
func runRouter(t testing.TB, cfg *config.Config) *Router {
	t.Helper()
	r, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.Shutdown(ctx)
	})
	return r
}

// rawClient speaks just enough Ice to create a session and send bytes.
type rawClient struct {
	t  *testing.T
	nc net.Conn
}

func dialRaw(t *testing.T, r *Router) *rawClient {
	t.Helper()
	ep := r.ClientEndpoints()[0]
	nc, err := net.Dial("tcp", net.JoinHostPort(ep.Host, itoa(ep.Port)))
	if err != nil {
		t.Fatal(err)
	}
	return newRawClient(t, nc)
}

// newRawClient takes nc, just connected, and waits for ValidateConnection.
func newRawClient(t *testing.T, nc net.Conn) *rawClient {
	t.Helper()
	t.Cleanup(func() { nc.Close() })
	c := &rawClient{t: t, nc: nc}
	if h := c.read(); h.Type != ice.ValidateConnectionMsg {
		t.Fatalf("first message is %s", h.Type)
	}
	return c
}

func itoa(p int32) string { return strconv.Itoa(int(p)) }

func (c *rawClient) read() ice.Header {
	c.t.Helper()
	h, _ := c.readMessage()
	return h
}

func (c *rawClient) readMessage() (ice.Header, []byte) {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var hdr [ice.HeaderSize]byte
	if _, err := io.ReadFull(c.nc, hdr[:]); err != nil {
		c.t.Fatalf("read: %v", err)
	}
	h, err := ice.ParseHeader(hdr[:], 1<<20)
	if err != nil {
		c.t.Fatal(err)
	}
	body := make([]byte, h.Size-ice.HeaderSize)
	if _, err := io.ReadFull(c.nc, body); err != nil {
		c.t.Fatalf("read body: %v", err)
	}
	return h, body
}

func (c *rawClient) call(id int32, op string, params func(*ice.Encoder)) ice.Reply {
	c.t.Helper()
	e := ice.NewEncoder(nil)
	m := e.StartEncapsulation(ice.Encoding11)
	if params != nil {
		params(e)
	}
	e.EndEncapsulation(m)
	mode := ice.Normal
	if idempotentOps[op] {
		mode = ice.Idempotent
	}
	return c.send(ice.RequestSpec{ID: id, Identity: ice.Identity{Category: "Glacier2", Name: "router"},
		Operation: op, Mode: mode, Params: e.Bytes()})
}

// send sends a twoway request and returns its reply.
func (c *rawClient) send(spec ice.RequestSpec) ice.Reply {
	c.t.Helper()
	if _, err := c.nc.Write(ice.AppendRequestMessage(nil, spec)); err != nil {
		c.t.Fatal(err)
	}
	for {
		h, body := c.readMessage()
		if h.Type != ice.ReplyMsg {
			continue
		}
		rep, err := ice.ParseReply(body)
		if err != nil {
			c.t.Fatal(err)
		}
		return rep
	}
}

func (c *rawClient) createSession() {
	c.t.Helper()
	rep := c.call(1, "createSession", func(e *ice.Encoder) { e.WriteString("u"); e.WriteString("p") })
	if rep.Status != ice.ReplyOK {
		c.t.Fatalf("createSession: %s", rep.Status)
	}
}

// closed reports whether the router closed the connection (EOF or reset
// within a few seconds, with nothing else arriving).
func (c *rawClient) closed() bool {
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [256]byte
	for {
		_, err := c.nc.Read(b[:])
		if err == nil {
			continue // a heartbeat or stray bytes before the close
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return false
		}
		return true
	}
}

func TestBadInputClosesOnlyThatConnection(t *testing.T) {
	r := startRouter(t)
	malformedProxy := func(e *ice.Encoder) {
		e.WriteSize(1)
		e.WriteIdentity(ice.Identity{Name: "hello"})
		e.WriteSize(0)     // facet
		_ = e.WriteByte(9) // invalid mode
	}
	cases := []struct {
		name string
		send func(c *rawClient)
	}{
		{"malformed proxy in addProxies", func(c *rawClient) {
			e := ice.NewEncoder(nil)
			m := e.StartEncapsulation(ice.Encoding11)
			malformedProxy(e)
			e.EndEncapsulation(m)
			msg := ice.AppendRequestMessage(nil, ice.RequestSpec{ID: 2, Identity: ice.Identity{Category: "Glacier2", Name: "router"},
				Operation: "addProxies", Mode: ice.Idempotent, Params: e.Bytes()})
			_, _ = c.nc.Write(msg)
		}},
		{"proxy count beyond the message", func(c *rawClient) {
			msg := ice.AppendRequestMessage(nil, ice.RequestSpec{ID: 2, Identity: ice.Identity{Category: "Glacier2", Name: "router"},
				Operation: "addProxies", Mode: ice.Idempotent, Params: []byte{11, 0, 0, 0, 1, 1, 255, 0xff, 0xff, 0xff, 0x7f}})
			_, _ = c.nc.Write(msg)
		}},
		{"garbage", func(c *rawClient) { _, _ = c.nc.Write([]byte("\x00\x01garbage garbage garbage")) }},
		{"wrong magic", func(c *rawClient) { _, _ = c.nc.Write([]byte("XceP\x01\x00\x01\x00\x00\x00\x0e\x00\x00\x00")) }},
		{"oversized message", func(c *rawClient) {
			_, _ = c.nc.Write(ice.AppendHeader(nil, ice.RequestMsg, 0, 512<<20))
		}},
		{"truncated request", func(c *rawClient) {
			msg := ice.AppendRequestMessage(nil, ice.RequestSpec{ID: 3, Identity: ice.Identity{Name: "x"}, Operation: "op"})
			msg = msg[:len(msg)-3]
			ice.SetMessageSize(msg)
			_, _ = c.nc.Write(msg)
		}},
		{"bad batch count", func(c *rawClient) {
			b := ice.AppendHeader(nil, ice.BatchRequestMsg, 0, 18)
			b = binary.LittleEndian.AppendUint32(b, 1000000)
			_, _ = c.nc.Write(b)
		}},
		{"bzip2 bomb claim", func(c *rawClient) {
			b := ice.AppendHeader(nil, ice.RequestMsg, ice.Compressed, 30)
			b = binary.LittleEndian.AppendUint32(b, 400<<20)
			b = append(b, "BZh91AY&SYxxxxxxxxxxxx"[:12]...)
			_, _ = c.nc.Write(b)
		}},
	}
	bystander := dialRaw(t, r)
	bystander.createSession()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, r)
			c.createSession()
			tc.send(c)
			if !c.closed() {
				t.Fatal("connection not closed")
			}
			// Every other session goes on.
			if rep := bystander.call(5, "getCategoryForClient", nil); rep.Status != ice.ReplyOK {
				t.Fatalf("bystander got %s", rep.Status)
			}
		})
	}
	// Closed connections' sessions are destroyed (just after the socket
	// closes).
	deadline := time.Now().Add(5 * time.Second)
	for len(r.Sessions()) != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(r.Sessions()); n != 1 {
		t.Fatalf("%d sessions left, want the bystander's only", n)
	}
}

func TestRoutedRequestWithoutSessionClosesConnection(t *testing.T) {
	r := startRouter(t)
	c := dialRaw(t, r)
	msg := ice.AppendRequestMessage(nil, ice.RequestSpec{ID: 1, Identity: ice.Identity{Name: "hello"}, Operation: "sayHello"})
	_, _ = c.nc.Write(msg)
	if !c.closed() {
		t.Fatal("connection not closed")
	}
}

func TestUnknownIdentityGetsIceAddProxy(t *testing.T) {
	r := startRouter(t)
	c := dialRaw(t, r)
	c.createSession()
	msg := ice.AppendRequestMessage(nil, ice.RequestSpec{ID: 7, Identity: ice.Identity{Name: "hello", Category: "c"},
		Facet: "f", Operation: "sayHello"})
	_, _ = c.nc.Write(msg)
	_, body := c.readMessage()
	rep, err := ice.ParseReply(body)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ID != 7 || rep.Status != ice.ReplyObjectNotExist || rep.Operation != "ice_add_proxy" ||
		rep.Identity != (ice.Identity{Name: "hello", Category: "c"}) || rep.Facet != "f" {
		t.Fatalf("got %+v", rep)
	}
}

func dialTCP(ep ice.Endpoint) (net.Conn, error) {
	return net.Dial("tcp", net.JoinHostPort(ep.Host, itoa(ep.Port)))
}

func TestOperationModesAreCheckedAsIceDoes(t *testing.T) {
	r := startRouter(t)
	c := dialRaw(t, r)
	c.createSession()
	for _, tc := range []struct {
		op   string
		mode ice.OperationMode
		ok   bool
	}{
		{"getCategoryForClient", ice.Idempotent, true},
		{"getCategoryForClient", ice.Nonmutating, true}, // the deprecated keyword old clients send
		{"getCategoryForClient", ice.Normal, false},
		{"getSessionTimeout", ice.Normal, false},
		{"destroySession", ice.Idempotent, false},
		{"ice_ping", ice.Normal, true}, // Ice does not check its own operations
	} {
		rep := c.send(ice.RequestSpec{ID: 9, Identity: ice.Identity{Category: "Glacier2", Name: "router"},
			Operation: tc.op, Mode: tc.mode})
		if tc.ok != (rep.Status == ice.ReplyOK) {
			t.Errorf("%s with mode %s: %s %q", tc.op, tc.mode, rep.Status, rep.Unknown)
		}
		if !tc.ok && !strings.Contains(rep.Unknown, "unexpected operation mode") {
			t.Errorf("%s with mode %s: %q", tc.op, tc.mode, rep.Unknown)
		}
	}
}
