package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/internal/testcert"
)

// The ws tests talk to floe's ws server through a hand-driven client that
// writes the upgrade request and the frames byte by byte, so that each test
// chooses exactly what the server sees (fragmentation, pings, masking, close
// frames) and checks exactly what it answers. Interop with real Ice peers
// is proven in test/interop.

func wsListen(t *testing.T, typ int16, opts *Options, h Handler) *Listener {
	t.Helper()
	l, err := Listen(ice.Endpoint{Type: typ, Host: "127.0.0.1", Timeout: 5000, Resource: "/ice"}, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = l.Serve(h, nil) }()
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// wsListenAccepted is wsListen with an echoHandler, also handing over each
// accepted connection.
func wsListenAccepted(t *testing.T, typ int16, opts *Options) (*Listener, chan *Conn) {
	t.Helper()
	l, err := Listen(ice.Endpoint{Type: typ, Host: "127.0.0.1", Timeout: 5000, Resource: "/ice"}, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan *Conn, 1)
	go func() { _ = l.Serve(&echoHandler{}, func(c *Conn) { accepted <- c }) }()
	t.Cleanup(func() { _ = l.Close() })
	return l, accepted
}

// wsClient is the hand-driven client side of a ws connection.
type wsClient struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

const wsTestKey = "dGhlIHNhbXBsZSBub25jZQ==" // RFC 6455's example key

func upgradeRequest(resource string, headers ...string) string {
	h := map[string]string{
		"Host":                   "127.0.0.1",
		"Upgrade":                "websocket",
		"Connection":             "Upgrade",
		"Sec-WebSocket-Version":  "13",
		"Sec-WebSocket-Key":      wsTestKey,
		"Sec-WebSocket-Protocol": iceProtocol,
	}
	for i := 0; i+1 < len(headers); i += 2 {
		h[headers[i]] = headers[i+1]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\n", resource)
	for k, v := range h {
		if v != "-" { // "-" leaves the header out
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

// wsDial connects to l and sends request; it returns the client and the
// server's HTTP response.
func wsDial(t *testing.T, l *Listener, request string) (*wsClient, *http.Response) {
	t.Helper()
	return wsDialTLS(t, l, request, nil)
}

// wsDialTLS is wsDial over TLS with tlsConf (wss) when it is not nil.
func wsDialTLS(t *testing.T, l *Listener, request string, tlsConf *tls.Config) (*wsClient, *http.Response) {
	t.Helper()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if tlsConf != nil {
		nc = tls.Client(nc, tlsConf)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(nc, request); err != nil {
		t.Fatal(err)
	}
	c := &wsClient{t: t, nc: nc, br: bufio.NewReader(nc)}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("reading the upgrade response: %v", err)
	}
	return c, resp
}

// open upgrades a connection to l as Ice does and reads the server's
// ValidateConnection.
func open(t *testing.T, l *Listener) *wsClient {
	t.Helper()
	return openTLS(t, l, nil)
}

// openTLS is open over TLS with tlsConf (wss) when it is not nil.
func openTLS(t *testing.T, l *Listener, tlsConf *tls.Config) *wsClient {
	t.Helper()
	c, resp := wsDialTLS(t, l, upgradeRequest("/ice"), tlsConf)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade answered %s", resp.Status)
	}
	if op, p := c.readFrame(); op != opBinary || !bytes.Equal(p, ice.ValidateConnectionMessage) {
		t.Fatalf("first frame: opcode %d payload % x; want ValidateConnection in a binary frame", op, p)
	}
	return c
}

const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// writeFrame writes one frame, masked as a client must unless unmasked.
func (c *wsClient) writeFrame(fin bool, op byte, payload []byte, unmasked ...bool) {
	c.t.Helper()
	if _, err := c.nc.Write(frame(fin, op, payload, unmasked...)); err != nil {
		c.t.Fatal(err)
	}
}

// frame is the bytes of one frame, masked as a client's must be unless
// unmasked.
func frame(fin bool, op byte, payload []byte, unmasked ...bool) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	hdr := []byte{b0}
	mask := byte(0x80)
	if len(unmasked) > 0 && unmasked[0] {
		mask = 0
	}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, mask|byte(n))
	case n <= 0xFFFF:
		hdr = append(hdr, mask|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, mask|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	data := append([]byte(nil), payload...)
	if mask != 0 {
		key := []byte{0x12, 0x34, 0x56, 0x78}
		hdr = append(hdr, key...)
		for i := range data {
			data[i] ^= key[i%4]
		}
	}
	return append(hdr, data...)
}

// readFrame reads one frame; the server's frames must be final and unmasked
// (Ice never fragments nor masks what a server sends).
func (c *wsClient) readFrame() (byte, []byte) {
	c.t.Helper()
	op, p, err := c.tryReadFrame()
	if err != nil {
		c.t.Fatalf("reading a frame: %v", err)
	}
	return op, p
}

func (c *wsClient) tryReadFrame() (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return 0, nil, err
	}
	if h[0]&0x80 == 0 {
		return 0, nil, errors.New("server frame without FIN")
	}
	if h[1]&0x80 != 0 {
		return 0, nil, errors.New("server frame masked")
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(c.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(c.br, p); err != nil {
		return 0, nil, err
	}
	return h[0] & 0x0F, p, nil
}

// readMessage reads one Ice message, which floe sends in one binary frame.
func (c *wsClient) readMessage() []byte {
	c.t.Helper()
	op, p := c.readFrame()
	if op != opBinary {
		c.t.Fatalf("got opcode %d; want a binary frame", op)
	}
	if len(p) < ice.HeaderSize || int(binary.LittleEndian.Uint32(p[10:])) != len(p) {
		c.t.Fatalf("binary frame of %d bytes is not one whole Ice message", len(p))
	}
	return p
}

// expectClosed checks that the server closes the connection, after a close
// frame with code when code is not zero.
func (c *wsClient) expectClosed(code uint16) {
	c.t.Helper()
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	sawClose := false
	for {
		op, p, err := c.tryReadFrame()
		if err != nil {
			if isTimeout(err) {
				c.t.Fatal("connection still open")
			}
			break
		}
		if op == opClose {
			if !sawClose {
				c.writeFrame(true, opClose, p) // as a peer answers
			}
			sawClose = true
			if len(p) >= 2 && code != 0 && binary.BigEndian.Uint16(p) != code {
				c.t.Errorf("close frame with code %d; want %d", binary.BigEndian.Uint16(p), code)
			}
		}
	}
	if code != 0 && !sawClose {
		c.t.Errorf("connection closed without a close frame")
	}
}

func echoRequest(id int32, payload []byte) []byte {
	return request(id, payload).Buf
}

// checkEcho checks that msg is the reply to echoRequest(id, payload).
func checkEcho(t *testing.T, msg []byte, id int32, payload []byte) {
	t.Helper()
	rep, err := ice.ParseReply(msg[ice.HeaderSize:])
	if err != nil || rep.Status != ice.ReplyOK || rep.ID != id {
		t.Fatalf("reply %+v, %v; want OK for request %d", rep, err, id)
	}
	if got := rep.Payload[6:]; !bytes.Equal(got, payload) {
		t.Fatalf("reply to request %d carries %d bytes; want the %d sent", id, len(got), len(payload))
	}
}

func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

func TestWSUpgradeAccepted(t *testing.T) {
	l := wsListen(t, ice.WSEndpoint, &Options{MessageSizeMax: 1 << 20}, &echoHandler{})
	cases := []struct {
		name     string
		request  string
		protocol string // the Sec-WebSocket-Protocol answered
	}{
		{"as Ice sends it", upgradeRequest("/ice"), iceProtocol},
		// Ice answers no protocol to a client that asks for none.
		{"no subprotocol", upgradeRequest("/ice", "Sec-WebSocket-Protocol", "-"), ""},
		{"subprotocol in upper case", upgradeRequest("/ice", "Sec-WebSocket-Protocol", "ICE.ZEROC.COM"), "ICE.ZEROC.COM"},
		// Ice's server does not compare the request's resource with its
		// endpoint's -r: ws -r /ice accepts GET /other (seen with Ice 3.7.8),
		// and a reverse proxy commonly forwards its own path.
		{"another resource", upgradeRequest("/other/path?x=1"), iceProtocol},
		// Browsers send Origin; Ice does not check it.
		{"cross-origin browser", upgradeRequest("/ice", "Origin", "https://app.example.com",
			"Connection", "keep-alive, Upgrade", "Upgrade", "WebSocket",
			"Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"), iceProtocol},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, resp := wsDial(t, l, tc.request)
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("answered %s", resp.Status)
			}
			if got := resp.Header.Get("Sec-WebSocket-Accept"); got != acceptKey(wsTestKey) {
				t.Errorf("Sec-WebSocket-Accept %q; want %q", got, acceptKey(wsTestKey))
			}
			if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != tc.protocol {
				t.Errorf("Sec-WebSocket-Protocol %q; want %q", got, tc.protocol)
			}
			if got := resp.Header.Get("Sec-WebSocket-Extensions"); got != "" {
				t.Errorf("extension %q accepted; Ice uses none", got)
			}
			if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") || !strings.EqualFold(resp.Header.Get("Connection"), "upgrade") {
				t.Errorf("response headers %v", resp.Header)
			}
			if op, p := c.readFrame(); op != opBinary || !bytes.Equal(p, ice.ValidateConnectionMessage) {
				t.Fatalf("first frame: opcode %d payload % x; want ValidateConnection", op, p)
			}
		})
	}
}

func TestWSUpgradeRefused(t *testing.T) {
	h := &echoHandler{}
	l := wsListen(t, ice.WSEndpoint, &Options{MessageSizeMax: 1 << 20}, h)
	cases := []struct {
		name    string
		request string
		status  int
	}{
		{"wrong subprotocol", upgradeRequest("/ice", "Sec-WebSocket-Protocol", "chat"), http.StatusBadRequest},
		{"another subprotocol too", upgradeRequest("/ice", "Sec-WebSocket-Protocol", "ice.zeroc.com, chat"), http.StatusBadRequest},
		{"not an upgrade", "GET /ice HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", http.StatusUpgradeRequired},
		{"upgrade to something else", upgradeRequest("/ice", "Upgrade", "h2c"), http.StatusUpgradeRequired},
		{"no Connection upgrade", upgradeRequest("/ice", "Connection", "keep-alive"), http.StatusUpgradeRequired},
		{"HTTP/1.0", strings.Replace(upgradeRequest("/ice"), "HTTP/1.1", "HTTP/1.0", 1), http.StatusHTTPVersionNotSupported},
		{"WebSocket version 8", upgradeRequest("/ice", "Sec-WebSocket-Version", "8"), http.StatusBadRequest},
		{"no key", upgradeRequest("/ice", "Sec-WebSocket-Key", "-"), http.StatusBadRequest},
		{"key of 8 bytes", upgradeRequest("/ice", "Sec-WebSocket-Key", "AAAAAAAAAAA="), http.StatusBadRequest},
		{"POST", strings.Replace(upgradeRequest("/ice"), "GET", "POST", 1), http.StatusMethodNotAllowed},
		{"not HTTP", "Hello\r\n\r\n", http.StatusBadRequest},
		{"huge headers", upgradeRequest("/ice", "Cookie", strings.Repeat("x", 70<<10)), http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, resp := wsDial(t, l, tc.request)
			if resp.StatusCode != tc.status {
				t.Errorf("answered %s; want %d", resp.Status, tc.status)
			}
			body, _ := io.ReadAll(resp.Body)
			t.Logf("%s: %s", resp.Status, bytes.TrimSpace(body))
			// Then the connection is closed, and no Ice connection was made.
			if _, err := c.br.ReadByte(); err == nil {
				t.Error("connection still open after the refusal")
			}
		})
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.closed) != 0 {
		t.Errorf("refused upgrades reached the Ice layer: %v", h.closed)
	}
}

func TestWSUpgradeBoundedByHandshakeTimeout(t *testing.T) {
	// A client that sends half a request: Accept gives up when its context
	// ends rather than wait for the rest.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() { _, _ = io.WriteString(b, "GET /ice HTTP/1.1\r\n") }()
	start := time.Now()
	ep := &ice.Endpoint{Type: ice.WSEndpoint, Host: "127.0.0.1"}
	if _, err := (wsTransport{}).Accept(ctx, a, ep, &Options{}); err == nil {
		t.Fatal("Accept succeeded on half a request")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Accept took %v past its context", d)
	}
}

func TestWSIceMessagesBothWays(t *testing.T) {
	l := wsListen(t, ice.WSEndpoint, &Options{MessageSizeMax: 4 << 20}, &echoHandler{})
	c := open(t, l)

	// One message per frame, of sizes that use each frame length encoding.
	for i, n := range []int{0, 100, 1000, 70_000, 2 << 20} {
		payload := bytes.Repeat([]byte{byte(i + 1)}, n)
		c.writeFrame(true, opBinary, echoRequest(int32(i+1), payload))
		checkEcho(t, c.readMessage(), int32(i+1), payload)
	}

	// A message fragmented over a binary frame and continuation frames,
	// with a ping between the fragments (control frames may come there).
	big := bytes.Repeat([]byte("fragmented"), 30_000)
	msg := echoRequest(10, big)
	c.writeFrame(false, opBinary, msg[:5])
	c.writeFrame(false, opContinuation, msg[5:100_000])
	c.writeFrame(true, opPing, []byte("between"))
	c.writeFrame(true, opContinuation, msg[100_000:])
	if op, p := c.readFrame(); op != opPong || string(p) != "between" {
		t.Fatalf("got opcode %d %q; want the pong", op, p)
	}
	checkEcho(t, c.readMessage(), 10, big)

	// A message sent as several WebSocket messages, as Ice for JavaScript
	// does with messages larger than Ice.TCP.SndSize, and frames that each
	// carry the end of one Ice message and the start of the next.
	msg = echoRequest(11, big)
	for off := 0; off < len(msg); off += 65_536 {
		c.writeFrame(true, opBinary, msg[off:min(off+65_536, len(msg))])
	}
	checkEcho(t, c.readMessage(), 11, big)
	a, b := echoRequest(12, []byte("first")), echoRequest(13, []byte("second"))
	both := append(append([]byte(nil), a...), b...)
	c.writeFrame(true, opBinary, both[:len(a)+3])
	c.writeFrame(true, opBinary, both[len(a)+3:])
	checkEcho(t, c.readMessage(), 12, []byte("first"))
	checkEcho(t, c.readMessage(), 13, []byte("second"))
}

func TestWSPingIsAnsweredWithItsPayload(t *testing.T) {
	l := wsListen(t, ice.WSEndpoint, &Options{MessageSizeMax: 1 << 20}, &echoHandler{})
	c := open(t, l)
	c.writeFrame(true, opPing, nil)
	if op, p := c.readFrame(); op != opPong || len(p) != 0 {
		t.Fatalf("got opcode %d % x; want an empty pong", op, p)
	}
	c.writeFrame(true, opPing, []byte("payload"))
	if op, p := c.readFrame(); op != opPong || string(p) != "payload" {
		t.Fatalf("got opcode %d %q; want pong \"payload\"", op, p)
	}
	c.writeFrame(true, opPong, []byte("unsolicited")) // ignored
	c.writeFrame(true, opBinary, echoRequest(1, []byte("after")))
	checkEcho(t, c.readMessage(), 1, []byte("after"))
}

func TestWSClose(t *testing.T) {
	opts := &Options{MessageSizeMax: 1 << 20}

	// A close frame from the peer is answered with the same status, then
	// the socket is closed. Ice sends 1000, or 1001 when its communicator
	// shuts down; a browser's WebSocket.close() sends no status.
	for _, tc := range []struct {
		name    string
		payload []byte
		answer  uint16
	}{
		{"peer closes with 1000", []byte{0x03, 0xE8}, 1000},
		{"peer closes with 1001", []byte{0x03, 0xE9}, 1001},
		{"peer closes without a status", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &echoHandler{}
			c := open(t, wsListen(t, ice.WSEndpoint, opts, h))
			c.writeFrame(true, opClose, tc.payload)
			c.expectClosed(tc.answer)
			waitClosed(t, h, ErrConnectionLost)
		})
	}

	t.Run("peer sends CloseConnection", func(t *testing.T) {
		// As an Ice client closing gracefully: CloseConnection, then it
		// waits for our close frame, answers it and closes.
		h := &echoHandler{}
		l := wsListen(t, ice.WSEndpoint, opts, h)
		c := open(t, l)
		c.writeFrame(true, opBinary, ice.CloseConnectionMessage)
		op, p := c.readFrame()
		if op != opClose || len(p) < 2 || binary.BigEndian.Uint16(p) != 1000 {
			t.Fatalf("got opcode %d % x; want a close frame 1000", op, p)
		}
		c.writeFrame(true, opClose, p)
		c.expectClosed(0)
		waitClosed(t, h, ErrClosedByPeer)
	})

	t.Run("graceful close from floe", func(t *testing.T) {
		// floe sends CloseConnection; an Ice peer answers with a close
		// frame (it is not the initiator of the WebSocket close), floe
		// answers that, and the socket is closed.
		l, accepted := wsListenAccepted(t, ice.WSEndpoint, opts)
		c := open(t, l)
		server := <-accepted
		done := make(chan struct{})
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			server.Close(ctx)
			close(done)
		}()
		if msg := c.readMessage(); msg[8] != byte(ice.CloseConnectionMsg) {
			t.Fatalf("got message type %d; want CloseConnection", msg[8])
		}
		c.writeFrame(true, opClose, []byte{0x03, 0xE8})
		c.expectClosed(1000)
		<-done
		if !errors.Is(server.Err(), ErrClosed) {
			t.Errorf("closed with %v", server.Err())
		}
	})

	t.Run("abort sends a close frame", func(t *testing.T) {
		l, accepted := wsListenAccepted(t, ice.WSEndpoint, opts)
		c := open(t, l)
		start := time.Now()
		(<-accepted).Abort(nil)
		if d := time.Since(start); d > time.Second {
			t.Errorf("Abort took %v; it must not wait for the peer", d)
		}
		op, p := c.readFrame()
		if op != opClose {
			t.Fatalf("got opcode %d; want a close frame", op)
		}
		c.writeFrame(true, opClose, p)
		c.expectClosed(0)
	})
}

func waitClosed(t *testing.T, h *echoHandler, want error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		closed := append([]error(nil), h.closed...)
		h.mu.Unlock()
		if len(closed) > 0 {
			if want != nil && !errors.Is(closed[0], want) {
				t.Errorf("connection closed with %v; want %v", closed[0], want)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the Ice connection was not closed")
}

func TestWSProtocolErrorsCloseTheConnection(t *testing.T) {
	opts := &Options{MessageSizeMax: 1 << 20}
	cases := []struct {
		name string
		send func(c *wsClient)
		code uint16
	}{
		// Ice: "text frames not supported".
		{"text frame", func(c *wsClient) { c.writeFrame(true, opText, echoRequest(1, nil)) }, 1003},
		// Ice: "invalid masking"; a client must mask.
		{"unmasked frame", func(c *wsClient) { c.writeFrame(true, opBinary, echoRequest(1, nil), true) }, 0},
		{"continuation without a start", func(c *wsClient) { c.writeFrame(true, opContinuation, echoRequest(1, nil)) }, 1002},
		{"reserved opcode", func(c *wsClient) { c.writeFrame(true, 0x3, []byte("x")) }, 1002},
		{"not an Ice message", func(c *wsClient) { c.writeFrame(true, opBinary, []byte("GET / HTTP/1.1\r\n\r\n")) }, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := &echoHandler{}
			l := wsListen(t, ice.WSEndpoint, opts, h)
			c := open(t, l)
			tc.send(c)
			c.expectClosed(tc.code)
			waitClosed(t, h, nil) // any error
		})
	}
}

// TestWSDialAndListen runs floe's ws client against floe's ws server: Ice
// messages both ways, on ws and on wss.
func TestWSDialAndListen(t *testing.T) {
	ca := testcert.NewAuthority(t, "ws test CA")
	cert := ca.Server(t, "router").TLS()
	for _, tc := range []struct {
		name       string
		typ        int16
		server     *Options
		client     *Options
		wantSecure bool
	}{
		{"ws", ice.WSEndpoint, &Options{MessageSizeMax: 4 << 20}, &Options{MessageSizeMax: 4 << 20}, false},
		{"wss", ice.WSSEndpoint,
			&Options{MessageSizeMax: 4 << 20, TLS: &tls.Config{Certificates: []tls.Certificate{cert}}},
			&Options{MessageSizeMax: 4 << 20, TLS: &tls.Config{RootCAs: ca.Pool()}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, accepted := wsListenAccepted(t, tc.typ, tc.server)

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			c, err := Dial(ctx, l.Endpoint, tc.client, &echoHandler{}, nil)
			cancel() // the connection outlives the dial's context
			if err != nil {
				t.Fatal(err)
			}
			defer c.Abort(nil)
			server := <-accepted

			// Real socket addresses on both sides, and the TLS state on wss.
			if c.RemoteAddr().String() != l.Addr().String() || server.RemoteAddr().String() != c.LocalAddr().String() {
				t.Errorf("addresses: client %v -> %v, server sees %v", c.LocalAddr(), c.RemoteAddr(), server.RemoteAddr())
			}
			_, secure := server.NetConn().(interface{ ConnectionState() tls.ConnectionState })
			if secure != tc.wantSecure {
				t.Errorf("server connection exposes TLS state: %v; want %v", secure, tc.wantSecure)
			}

			target := make(chanTarget, 3)
			sizes := []int{10, 200_000, 3 << 20}
			for i, n := range sizes {
				if err := c.SendRequest(request(1, bytes.Repeat([]byte{byte(i)}, n)), target, int32(i)); err != nil {
					t.Fatal(err)
				}
			}
			for range sizes {
				select {
				case r := <-target:
					if r.err != nil {
						t.Fatal(r.err)
					}
					rep, err := ice.ParseReply(r.m.Body())
					if err != nil || len(rep.Payload)-6 != sizes[r.tag] {
						t.Fatalf("reply %d: %v, %d bytes", r.tag, err, len(rep.Payload)-6)
					}
					r.m.Release()
				case <-time.After(10 * time.Second):
					t.Fatal("no reply")
				}
			}

			// A graceful close from the client side ends both connections.
			ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c.Close(ctx)
			if !errors.Is(c.Err(), ErrClosed) {
				t.Errorf("client closed with %v", c.Err())
			}
			select {
			case <-server.Done():
				if !errors.Is(server.Err(), ErrClosedByPeer) {
					t.Errorf("server closed with %v", server.Err())
				}
			case <-time.After(5 * time.Second):
				t.Fatal("server side still open")
			}
		})
	}
}

func TestWSSRefusesPlainWebSocket(t *testing.T) {
	cert := testcert.NewAuthority(t, "ws test CA").Server(t, "router").TLS()
	h := &echoHandler{}
	l := wsListen(t, ice.WSSEndpoint, &Options{MessageSizeMax: 1 << 20, TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}, h)
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_, _ = io.WriteString(nc, upgradeRequest("/ice"))
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(nc)
	if bytes.Contains(b, []byte("101")) {
		t.Fatalf("wss answered a plain upgrade request: %q", b)
	}
	if _, err := Listen(ice.Endpoint{Type: ice.WSSEndpoint, Host: "127.0.0.1"}, &Options{}, nil); err == nil {
		t.Error("wss listened without a TLS configuration")
	}
}

func TestWSDialRefusedUpgrade(t *testing.T) {
	// A server that is not a WebSocket server: Dial fails with the reason.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		req, err := http.ReadRequest(bufio.NewReader(nc))
		if err != nil {
			return
		}
		// What floe's client asks for: the endpoint's resource and Ice's
		// subprotocol.
		if req.URL.Path != "/res" || req.Header.Get("Sec-WebSocket-Protocol") != iceProtocol {
			writeHTTPError(nc, http.StatusNotFound, "unexpected request "+req.URL.String(), nil)
			return
		}
		writeHTTPError(nc, http.StatusForbidden, "no", nil)
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = Dial(context.Background(), ice.Endpoint{Type: ice.WSEndpoint, Host: "127.0.0.1", Port: int32(port), Timeout: 5000, Resource: "/res"},
		&Options{MessageSizeMax: 1 << 20}, &echoHandler{}, nil)
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("Dial: %v; want the 403 refusal", err)
	}
}

func TestWSDialBoundedByEndpointTimeout(t *testing.T) {
	// A server that accepts TCP connections and never answers the upgrade:
	// Dial gives up after the endpoint's timeout, as Ice's connect timeout.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn // open and silent until the listener closes
		for {
			nc, err := ln.Accept()
			if err != nil {
				break
			}
			held = append(held, nc)
		}
		for _, nc := range held {
			nc.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	start := time.Now()
	_, err = Dial(context.Background(), ice.Endpoint{Type: ice.WSEndpoint, Host: "127.0.0.1", Port: int32(port), Timeout: 300},
		&Options{MessageSizeMax: 1 << 20}, &echoHandler{}, nil)
	if err == nil {
		t.Fatal("Dial succeeded without an upgrade response")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Dial took %v with a 300 ms endpoint timeout", d)
	}
}

// An idle ws connection parks by itself, and what its peer sends next wakes
// it: a request, a ping, a message that then stalls half-way (read whole,
// without parking in the middle), a close.
func TestWSIdleConnectionParks(t *testing.T) {
	ca := testcert.NewAuthority(t, "ws test CA")
	cert := ca.Server(t, "router").TLS()
	for _, tc := range []struct {
		name   string
		typ    int16
		server *tls.Config
		client *tls.Config
	}{
		{"ws", ice.WSEndpoint, nil, nil},
		// On wss the reader waits by reading the next record itself,
		// which it then hands to the library.
		{"wss", ice.WSSEndpoint, &tls.Config{Certificates: []tls.Certificate{cert}},
			&tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := &Options{MessageSizeMax: 1 << 20, ParkIdleAfter: 100 * time.Millisecond, TLS: tc.server}
			l, accepted := wsListenAccepted(t, tc.typ, opts)
			c := openTLS(t, l, tc.client)
			server := <-accepted
			_ = c.nc.SetDeadline(time.Now().Add(20 * time.Second))
			idleConnectionParks(t, c, server)
		})
	}
}

func idleConnectionParks(t *testing.T, c *wsClient, server *Conn) {

	waitParks(t, server, 0)
	c.writeFrame(true, opBinary, echoRequest(1, []byte("wake")))
	checkEcho(t, c.readMessage(), 1, []byte("wake"))

	waitParks(t, server, 1)
	c.writeFrame(true, opPing, []byte("parked"))
	if op, p := c.readFrame(); op != opPong || string(p) != "parked" {
		t.Fatalf("got opcode %d %q; want the pong", op, p)
	}

	// The ping left the reader inside the library until a message comes,
	// where the park sweep must leave it alone (a deadline there would
	// close the connection); then the reader parks again between messages.
	time.Sleep(1500 * time.Millisecond)
	c.writeFrame(true, opBinary, echoRequest(2, []byte("after the ping")))
	checkEcho(t, c.readMessage(), 2, []byte("after the ping"))
	waitParks(t, server, 2)
	payload := bytes.Repeat([]byte("stall"), 2000)
	msg := echoRequest(3, payload)
	whole := frame(true, opBinary, msg)
	parts := [][]byte{whole[:40], whole[40:5000], whole[5000:]} // in the Ice header, in the body
	for i, part := range parts {
		parks := server.Parks()
		if _, err := c.nc.Write(part); err != nil {
			t.Fatal(err)
		}
		if i < len(parts)-1 {
			time.Sleep(300 * time.Millisecond) // three idle periods
			if server.Parks() != parks {
				t.Fatal("the reader parked in the middle of a message")
			}
		}
	}
	checkEcho(t, c.readMessage(), 3, payload)

	waitParks(t, server, 3)
	c.writeFrame(true, opClose, []byte{0x03, 0xE8})
	c.expectClosed(1000)
}

// A client may send its first frames with the upgrade request, before the
// response. The WebSocket library keeps those bytes where the reader cannot
// count them, so that connection keeps its reader, and they are answered.
func TestWSFramesPipelinedWithTheUpgradeAreRead(t *testing.T) {
	opts := &Options{MessageSizeMax: 1 << 20, ParkIdleAfter: 100 * time.Millisecond}
	l, accepted := wsListenAccepted(t, ice.WSEndpoint, opts)
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	first := append([]byte(upgradeRequest("/ice")), frame(true, opBinary, echoRequest(1, []byte("early")))...)
	if _, err := nc.Write(first); err != nil {
		t.Fatal(err)
	}
	c := &wsClient{t: t, nc: nc, br: bufio.NewReader(nc)}
	if resp, err := http.ReadResponse(c.br, nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade answered %v, %v", resp, err)
	}
	if op, p := c.readFrame(); op != opBinary || !bytes.Equal(p, ice.ValidateConnectionMessage) {
		t.Fatalf("first frame: opcode %d payload % x; want ValidateConnection", op, p)
	}
	checkEcho(t, c.readMessage(), 1, []byte("early"))
	server := <-accepted
	time.Sleep(1500 * time.Millisecond) // past the idle time, and a sweep
	if server.Parks() != 0 {
		t.Errorf("parked %d times", server.Parks())
	}
	c.writeFrame(true, opBinary, echoRequest(2, []byte("later")))
	checkEcho(t, c.readMessage(), 2, []byte("later"))
}

// writeCounter counts the writes that reach the connection below it.
type writeCounter struct {
	net.Conn
	mu     sync.Mutex
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes++
	w.mu.Unlock()
	return w.Conn.Write(p)
}

func (w *writeCounter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes
}

// A batch of small messages (what one read of a backend connection brought
// for a client) leaves with one write to the socket, each message still its
// own binary message; a batch over the coalescing bound is written message
// by message.
func TestWSBatchOfMessagesGoesOutInOneWrite(t *testing.T) {
	for _, tc := range []struct {
		name         string
		messages     int
		payload      int
		oneWriteOnly bool
	}{
		{"one message", 1, 100, true},
		{"eight small messages", 8, 100, true},
		{"small messages up to the bound", 12, 1200, true},
		{"over the coalescing bound", 3, 8000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, accepted := wsListenAccepted(t, ice.WSEndpoint, &Options{MessageSizeMax: 1 << 20})
			c := open(t, l)
			defer c.nc.Close()
			server := <-accepted
			cork := server.nc.(*wsConn).cork
			counter := &writeCounter{}
			cork.mu.Lock()
			counter.Conn, cork.nc = cork.nc, counter
			cork.mu.Unlock()

			for i, w := range postBatch(t, server, tc.messages, tc.payload) {
				if got := c.readMessage(); !bytes.Equal(got, w) {
					t.Fatalf("message %d: got %d bytes, want request %d (%d bytes)", i, len(got), i+1, len(w))
				}
			}
			switch n := counter.count(); {
			case tc.oneWriteOnly && n != 1:
				t.Errorf("%d writes to the socket; want 1", n)
			case !tc.oneWriteOnly && n < tc.messages:
				t.Errorf("%d writes to the socket for %d messages over the bound; want one each at least", n, tc.messages)
			}
			// The connection goes on: a request is answered.
			c.writeFrame(true, opBinary, echoRequest(99, []byte("after")))
			checkEcho(t, c.readMessage(), 99, []byte("after"))
		})
	}
}

// On wss the reader waiting between messages reads the next record itself.
// A close, whichever side starts it, still completes at once: the peer's
// close frame reaches the library's close handshake even when the waiting
// reader took it off the socket (the library would otherwise give up on it
// after 5 s).
func TestWSSCloseWhileTheReaderWaits(t *testing.T) {
	ca := testcert.NewAuthority(t, "ws test CA")
	opts := &Options{MessageSizeMax: 1 << 20, ParkIdleAfter: time.Hour,
		TLS: &tls.Config{Certificates: []tls.Certificate{ca.Server(t, "router").TLS()}}}
	client := &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}
	const prompt = 2 * time.Second

	for _, tc := range []struct {
		name  string
		close func(t *testing.T, c *wsClient, server *Conn)
		code  uint16 // the close frame's status floe must send
	}{
		{"peer closes", func(t *testing.T, c *wsClient, _ *Conn) {
			c.writeFrame(true, opClose, []byte{0x03, 0xE8})
		}, 1000},
		// Abort hands the connection to the library's close handshake at
		// once, while the reader still waits.
		{"floe aborts", func(t *testing.T, _ *wsClient, server *Conn) { server.Abort(nil) }, 0},
		{"floe closes", func(t *testing.T, c *wsClient, server *Conn) {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				server.Close(ctx)
			}()
			if msg := c.readMessage(); msg[8] != byte(ice.CloseConnectionMsg) {
				t.Fatalf("got message type %d; want CloseConnection", msg[8])
			}
			c.writeFrame(true, opClose, []byte{0x03, 0xE8})
		}, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, accepted := wsListenAccepted(t, ice.WSSEndpoint, opts)
			c := openTLS(t, l, client)
			server := <-accepted
			time.Sleep(50 * time.Millisecond) // the reader is waiting
			start := time.Now()
			tc.close(t, c, server)
			c.expectClosed(tc.code)
			if d := time.Since(start); d > prompt {
				t.Errorf("closed after %s", d)
			}
		})
	}
}
