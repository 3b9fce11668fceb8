package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"github.com/floe-router/floe/core/ice"
)

// The load generator's side of the Ice protocol, built on floe's codec:
// enough of an Ice 3.7 client to create Glacier2 sessions, pipeline
// requests, flood oneways and answer callbacks. Through a router it
// behaves as an Ice client with Ice.Default.Router does (session first,
// addProxies for the target, then requests on the same connection);
// direct and through the relay it talks to the backend plainly.

// benchIdentity is the backend's object.
var benchIdentity = ice.Identity{Name: "bench"}

// iceConn is one client connection.
type iceConn struct {
	nc  net.Conn
	r   *bufio.Reader
	buf []byte // the last message read
	max int
}

const messageSizeMax = 64 << 20 // what the bench accepts; the peers enforce their own

// Read buffer sizes: loads read many replies per system call; a
// connection that only opens a session (session setup, idle sessions)
// needs little, and 10,000 idle ones would otherwise hold 640 MB.
const (
	loadReadBuffer  = 64 << 10
	setupReadBuffer = 4 << 10
)

// dialIce connects to addr (over TLS with tlsConf, over WebSocket with ws)
// and waits for ValidateConnection. Like an Ice client, it sets no TCP
// keepalive (Go's default would cost four setsockopt calls per connection).
func dialIce(ctx context.Context, addr string, tlsConf *tls.Config, ws bool, readBuffer int) (*iceConn, error) {
	d := net.Dialer{KeepAlive: -1}
	if ws {
		return dialIceWS(ctx, addr, &d, tlsConf, readBuffer)
	}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return startIce(ctx, nc, tlsConf, readBuffer)
}

// dialIceWS is dialIce over WebSocket (wss with tlsConf): subprotocol
// ice.zeroc.com, each Ice message a binary message, as Ice for JavaScript
// sends them.
func dialIceWS(ctx context.Context, addr string, d *net.Dialer, tlsConf *tls.Config, readBuffer int) (*iceConn, error) {
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext, TLSClientConfig: tlsConf}}
	scheme := "ws://"
	if tlsConf != nil {
		scheme = "wss://"
	}
	wc, _, err := websocket.Dial(ctx, scheme+addr+"/", &websocket.DialOptions{HTTPClient: hc,
		Subprotocols: []string{"ice.zeroc.com"}})
	if err != nil {
		return nil, fmt.Errorf("ws upgrade: %w", err)
	}
	wc.SetReadLimit(messageSizeMax)
	return startIce(ctx, websocket.NetConn(context.Background(), wc, websocket.MessageBinary), nil, readBuffer)
}

// startIce runs TLS on nc when tlsConf is set, and waits for
// ValidateConnection.
func startIce(ctx context.Context, nc net.Conn, tlsConf *tls.Config, readBuffer int) (*iceConn, error) {
	if tlsConf != nil {
		tc := tls.Client(nc, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		nc = tc
	}
	c := &iceConn{nc: nc, r: bufio.NewReaderSize(nc, readBuffer), max: messageSizeMax}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetReadDeadline(dl)
	}
	h, _, err := c.read()
	_ = nc.SetReadDeadline(time.Time{})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("waiting for ValidateConnection: %w", err)
	}
	if h.Type != ice.ValidateConnectionMsg {
		nc.Close()
		return nil, fmt.Errorf("first message is %s, not validate connection", h.Type)
	}
	return c, nil
}

// read reads one message; the body stays valid until the next read.
func (c *iceConn) read() (ice.Header, []byte, error) {
	var hdr [ice.HeaderSize]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		return ice.Header{}, nil, err
	}
	h, err := ice.ParseHeader(hdr[:], c.max)
	if err != nil {
		return h, nil, err
	}
	if h.Compression == ice.Compressed {
		return h, nil, errors.New("compressed message (the bench never asks for compression)")
	}
	n := h.Size - ice.HeaderSize
	if cap(c.buf) < n {
		c.buf = make([]byte, n)
	}
	body := c.buf[:n]
	if _, err := io.ReadFull(c.r, body); err != nil {
		return h, nil, err
	}
	return h, body, nil
}

func (c *iceConn) close() { c.nc.Close() }

// closeGracefully sends CloseConnection and waits briefly for the peer to
// close its side, as an Ice client does, so the peer holds the TIME_WAIT.
func (c *iceConn) closeGracefully() {
	_, _ = c.nc.Write(ice.CloseConnectionMessage)
	_ = c.nc.SetReadDeadline(time.Now().Add(time.Second))
	_, _ = io.Copy(io.Discard, c.r)
	c.nc.Close()
}

// invoke sends a twoway request and waits for its reply, answering nothing
// else meanwhile (for setup calls, before any load runs on c).
func (c *iceConn) invoke(ctx context.Context, id int32, target ice.Identity, op string, mode ice.OperationMode,
	params func(*ice.Encoder)) (ice.Reply, error) {
	e := ice.NewEncoder(nil)
	m := e.StartEncapsulation(ice.Encoding11)
	if params != nil {
		params(e)
	}
	e.EndEncapsulation(m)
	msg := ice.AppendRequestMessage(nil, ice.RequestSpec{ID: id, Identity: target, Operation: op, Mode: mode,
		Params: e.Bytes()})
	if dl, ok := ctx.Deadline(); ok {
		_ = c.nc.SetDeadline(dl)
		defer c.nc.SetDeadline(time.Time{})
	}
	if _, err := c.nc.Write(msg); err != nil {
		return ice.Reply{}, err
	}
	for {
		h, body, err := c.read()
		if err != nil {
			return ice.Reply{}, fmt.Errorf("%s: %w", op, err)
		}
		if h.Type == ice.CloseConnectionMsg {
			return ice.Reply{}, fmt.Errorf("%s: the peer closed the connection", op)
		}
		if h.Type != ice.ReplyMsg {
			continue
		}
		rep, err := ice.ParseReply(body)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", op, err)
		}
		if rep.ID != id {
			continue
		}
		return rep, replyError(op, rep)
	}
}

// replyError is nil for an OK reply and describes anything else.
func replyError(op string, rep ice.Reply) error {
	switch rep.Status {
	case ice.ReplyOK:
		return nil
	case ice.ReplyUserException:
		if sl, err := ice.ParseUserException(rep.Payload); err == nil {
			reason, _ := ice.NewDecoder(sl.Members).String()
			return fmt.Errorf("%s raised %s %q", op, sl.TypeID, reason)
		}
		return fmt.Errorf("%s raised a user exception", op)
	case ice.ReplyObjectNotExist, ice.ReplyFacetNotExist, ice.ReplyOperationNotExist:
		return fmt.Errorf("%s: %s (identity %q, operation %q)", op, rep.Status, rep.Identity.String(), rep.Operation)
	default:
		return fmt.Errorf("%s: %s: %s", op, rep.Status, rep.Unknown)
	}
}

// resultDecoder returns a decoder of an OK reply's result encapsulation.
func resultDecoder(rep ice.Reply) (*ice.Decoder, error) {
	_, body, err := ice.NewDecoder(rep.Payload).Encapsulation()
	if err != nil {
		return nil, err
	}
	return ice.NewDecoder(body), nil
}

// routerSession is what the bench learns when it opens a Glacier2 session.
type routerSession struct {
	category string     // for callback identities
	server   *ice.Proxy // the router's server-side proxy (callbacks)
}

// openSession makes c a Glacier2 session: createSession on
// <instance>/router (any user passes the null verifier), then addProxies
// for the backend object. With callbacks it also asks for the category and
// server proxy a callback object needs. Each call has the mode an Ice 3.7
// client sends (glacier2router refuses any other): idempotent for
// addProxies, nonmutating for the operations with ["nonmutating"] metadata.
func (c *iceConn) openSession(ctx context.Context, instance string, backend *ice.Proxy, callbacks bool) (routerSession, error) {
	var rs routerSession
	routerID := ice.Identity{Category: instance, Name: "router"}
	if _, err := c.invoke(ctx, 1, routerID, "createSession", ice.Normal, func(e *ice.Encoder) {
		e.WriteString("bench")
		e.WriteString("bench")
	}); err != nil {
		return rs, err
	}
	if backend == nil {
		return rs, nil
	}
	if _, err := c.invoke(ctx, 2, routerID, "addProxies", ice.Idempotent, func(e *ice.Encoder) {
		e.WriteProxySeq([]*ice.Proxy{backend})
	}); err != nil {
		return rs, err
	}
	if !callbacks {
		return rs, nil
	}
	rep, err := c.invoke(ctx, 3, routerID, "getCategoryForClient", ice.Nonmutating, nil)
	if err != nil {
		return rs, err
	}
	d, err := resultDecoder(rep)
	if err != nil {
		return rs, err
	}
	if rs.category, err = d.String(); err != nil {
		return rs, err
	}
	if rep, err = c.invoke(ctx, 4, routerID, "getServerProxy", ice.Nonmutating, nil); err != nil {
		return rs, err
	}
	if d, err = resultDecoder(rep); err != nil {
		return rs, err
	}
	if rs.server, err = d.Proxy(); err != nil {
		return rs, err
	}
	if rs.server == nil {
		return rs, errors.New("the router has no server endpoints (getServerProxy returned null)")
	}
	return rs, nil
}

// requestMessage encodes a request to the backend; its id slot is
// patched with setRequestID before each send.
func requestMessage(op string, mode ice.OperationMode, params func(*ice.Encoder)) []byte {
	e := ice.NewEncoder(nil)
	m := e.StartEncapsulation(ice.Encoding11)
	if params != nil {
		params(e)
	}
	e.EndEncapsulation(m)
	return ice.AppendRequestMessage(nil, ice.RequestSpec{ID: 1, Identity: benchIdentity, Operation: op, Mode: mode,
		Params: e.Bytes()})
}

func setRequestID(msg []byte, id int32) {
	binary.LittleEndian.PutUint32(msg[ice.HeaderSize:], uint32(id))
}

// emptyReply is an OK reply with an empty 1.1 result, for callbacks.
func emptyReply(id int32) []byte { return ice.AppendReplyOK(nil, id, nil) }
