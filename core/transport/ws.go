package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/floe-router/floe/core/ice"
	"golang.org/x/sys/unix"
)

// The ws and wss transports: Ice over WebSocket (RFC 6455), as Ice 3.7's
// WSTransceiver speaks it. After an HTTP/1.1 upgrade (on TLS for wss) each
// Ice message travels as binary frames. The connection is presented as a
// net.Conn: reads see the payloads of the binary frames one after the other,
// whatever their framing (Ice for JavaScript cuts large messages into
// several WebSocket messages); each Write is sent as one binary frame, which
// is how the writer loop sends one Ice message per Write. Pings are answered
// with pongs, and Close runs the close handshake.
//
// The framing is github.com/coder/websocket's; this file adds what Ice
// requires of the handshake and the net.Conn view.

func init() {
	Register(ice.WSEndpoint, wsTransport{})
	Register(ice.WSSEndpoint, wsTransport{secure: true})
}

// iceProtocol is the WebSocket subprotocol of Ice.
const iceProtocol = "ice.zeroc.com"

// maxUpgradeRequest bounds the HTTP upgrade request a client may send (the
// request line and headers): enough for a browser's cookies, little enough
// that a peer cannot make us buffer much before it is even an Ice client.
const maxUpgradeRequest = 64 << 10

// wsTransport is ws, or wss when secure.
type wsTransport struct{ secure bool }

func (t wsTransport) name() string {
	if t.secure {
		return "wss"
	}
	return "ws"
}

func (t wsTransport) Listen(ep *ice.Endpoint, opts *Options) (net.Listener, error) {
	if t.secure && !hasCertificate(opts.TLS) {
		return nil, ErrNoCertificate
	}
	return listenTCP(ep, opts)
}

// Accept completes TLS (wss) and the WebSocket upgrade on an accepted
// connection, within ctx.
//
// The upgrade request is checked as Ice's WSTransceiver::handleRequest checks
// it: HTTP/1.1; Upgrade "websocket" and Connection containing "upgrade"
// (case-insensitive); Sec-WebSocket-Version 13; a Sec-WebSocket-Key of 16
// bytes. Sec-WebSocket-Protocol may be absent (then none is answered); when
// present, every protocol it lists must be ice.zeroc.com, and that is
// answered. Like Ice, the resource the client asks for is not checked against
// the endpoint's -r (which is what the endpoint publishes): Ice accepts any
// path, and a reverse proxy in front of the router commonly forwards its own
// path unchanged. Unlike Ice, which closes the connection without a word, a
// refused request gets an HTTP error response saying why; Origin is not
// checked (Ice does not, and browser pages are served from elsewhere).
func (t wsTransport) Accept(ctx context.Context, nc net.Conn, ep *ice.Endpoint, opts *Options) (net.Conn, error) {
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	under := nc
	if t.secure {
		tc, err := tlsServer(ctx, nc, opts)
		if err != nil {
			return nil, fmt.Errorf("wss: %w", err)
		}
		under = tc
	}

	limit := &limitedReader{r: under, n: maxUpgradeRequest}
	br := bufio.NewReaderSize(limit, 4096)
	req, err := http.ReadRequest(br)
	limit.n = -1 // what follows the request is WebSocket frames
	if err != nil {
		if limit.exhausted {
			writeHTTPError(under, http.StatusRequestHeaderFieldsTooLarge, "upgrade request larger than 64 KiB", nil)
			return nil, fmt.Errorf("%s: upgrade request larger than %d bytes", t.name(), maxUpgradeRequest)
		}
		writeHTTPError(under, http.StatusBadRequest, "malformed HTTP request", nil)
		return nil, fmt.Errorf("%s: reading the upgrade request: %w", t.name(), err)
	}
	if status, extra, err := checkUpgradeRequest(req); err != nil {
		writeHTTPError(under, status, err.Error(), extra)
		return nil, fmt.Errorf("%s: upgrade refused: %w", t.name(), err)
	}

	// The library reads the connection it hijacks, through br: on wss,
	// through a recordWaiter.
	var records *recordWaiter
	hijacked := under
	if t.secure {
		records = newRecordWaiter(under.(*tls.Conn))
		hijacked = records
	}
	w := &upgradeResponse{nc: hijacked, br: br, header: http.Header{}}
	wc, err := websocket.Accept(w, req, &websocket.AcceptOptions{
		Subprotocols:       []string{iceProtocol},
		InsecureSkipVerify: true, // no Origin check, as Ice
	})
	if err != nil {
		return nil, fmt.Errorf("%s: upgrade refused: %w", t.name(), err)
	}
	if w.err != nil {
		wc.CloseNow()
		return nil, fmt.Errorf("%s: writing the upgrade response: %w", t.name(), w.err)
	}
	if !stop() {
		wc.CloseNow()
		return nil, fmt.Errorf("%s: upgrade: %w", t.name(), ctx.Err())
	}
	_ = nc.SetDeadline(time.Time{})
	c := newWSConn(wc, under, w.cork)
	if tc, ok := nc.(*net.TCPConn); ok && !w.pipelined {
		c.tcp, c.br, c.records = tc, br, records
	}
	return c.netConn(), nil
}

// checkUpgradeRequest applies Ice's checks to an upgrade request; on failure
// it returns the HTTP status to answer with and any header to add.
func checkUpgradeRequest(r *http.Request) (int, http.Header, error) {
	if r.ProtoMajor != 1 || r.ProtoMinor != 1 {
		return http.StatusHTTPVersionNotSupported, nil, fmt.Errorf("unsupported HTTP version %s", r.Proto)
	}
	upgrade := http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}}
	if v, ok := headerValue(r, "Upgrade"); !ok {
		return http.StatusUpgradeRequired, upgrade, errors.New("missing value for Upgrade field")
	} else if strings.ToLower(v) != "websocket" {
		return http.StatusUpgradeRequired, upgrade, fmt.Errorf("invalid value %q for Upgrade field", v)
	}
	if v, ok := headerValue(r, "Connection"); !ok {
		return http.StatusUpgradeRequired, upgrade, errors.New("missing value for Connection field")
	} else if !strings.Contains(strings.ToLower(v), "upgrade") {
		return http.StatusUpgradeRequired, upgrade, fmt.Errorf("invalid value %q for Connection field", v)
	}
	// Ice does not look at the method; RFC 6455 and the library want GET.
	if r.Method != http.MethodGet {
		return http.StatusMethodNotAllowed, http.Header{"Allow": {"GET"}}, fmt.Errorf("method %s is not GET", r.Method)
	}
	version := http.Header{"Sec-WebSocket-Version": {"13"}}
	if v, ok := headerValue(r, "Sec-WebSocket-Version"); !ok {
		return http.StatusBadRequest, version, errors.New("missing value for WebSocket version")
	} else if v != "13" {
		return http.StatusBadRequest, version, fmt.Errorf("unsupported WebSocket version %q", v)
	}
	if v, ok := headerValue(r, "Sec-WebSocket-Protocol"); ok {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" && strings.ToLower(p) != iceProtocol {
				return http.StatusBadRequest, nil, fmt.Errorf("unknown value %q for WebSocket protocol", p)
			}
		}
	}
	key, ok := headerValue(r, "Sec-WebSocket-Key")
	if !ok {
		return http.StatusBadRequest, nil, errors.New("missing value for WebSocket key")
	}
	if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != 16 {
		return http.StatusBadRequest, nil, fmt.Errorf("invalid value %q for WebSocket key", key)
	}
	return 0, nil, nil
}

// headerValue is a request header's value, trimmed, its repeated lines
// joined with commas; ok is false when the header is absent.
func headerValue(r *http.Request, name string) (string, bool) {
	vs := r.Header.Values(name)
	if len(vs) == 0 {
		return "", false
	}
	return strings.TrimSpace(strings.Join(vs, ",")), true
}

// writeHTTPError answers a refused upgrade request, best effort: the
// connection is closed right after.
func writeHTTPError(w io.Writer, status int, msg string, extra http.Header) {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	h := http.Header{
		"Content-Type":   {"text/plain; charset=utf-8"},
		"Content-Length": {fmt.Sprint(len(msg) + 1)},
		"Connection":     {"close"},
	}
	for k, v := range extra {
		h[k] = v
	}
	_ = h.Write(&b)
	b.WriteString("\r\n")
	b.WriteString(msg)
	b.WriteString("\n")
	_, _ = io.WriteString(w, b.String())
}

// upgradeResponse is the http.ResponseWriter and http.Hijacker that
// websocket.Accept writes its 101 response to: the connection accepted, with
// the reader that has read the request, so nothing the client sent after it
// is lost.
type upgradeResponse struct {
	nc     net.Conn
	br     *bufio.Reader
	header http.Header
	status int
	err    error
	// pipelined: the client sent bytes after its upgrade request before
	// the response; the library keeps them where br cannot count them.
	pipelined bool
	cork      *corkWriter // set by Hijack
}

func (w *upgradeResponse) Header() http.Header { return w.header }

func (w *upgradeResponse) WriteHeader(status int) {
	if w.status != 0 {
		return
	}
	w.status = status
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	if status != http.StatusSwitchingProtocols {
		w.header.Set("Connection", "close")
	}
	_ = w.header.Write(&b)
	b.WriteString("\r\n")
	if _, err := io.WriteString(w.nc, b.String()); err != nil && w.err == nil {
		w.err = err
	}
}

func (w *upgradeResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.nc.Write(p)
}

func (w *upgradeResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.err != nil {
		return nil, nil, w.err
	}
	w.pipelined = w.br.Buffered() > 0
	w.cork = &corkWriter{nc: w.nc}
	return w.nc, bufio.NewReadWriter(w.br, bufio.NewWriterSize(w.cork, 4096)), nil
}

// corkWriter is what the WebSocket library writes an accepted connection's
// frames through. The library flushes every message to the socket on its
// own; while corked, the frames of a batch of messages gather here instead
// and go out with one write (one system call, and on wss one TLS record)
// when it is uncorked. Each Ice message stays its own binary message.
type corkWriter struct {
	nc       net.Conn
	mu       sync.Mutex
	corked   bool
	buf      *[]byte
	deadline time.Time // for the write that uncorks
}

// Write takes one flush of the library's: while corked it gathers; else
// it goes to the socket (a net.Conn's writes do not interleave).
func (w *corkWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.corked {
		*w.buf = append(*w.buf, p...)
		w.mu.Unlock()
		return len(p), nil
	}
	w.mu.Unlock()
	return w.nc.Write(p)
}

func (w *corkWriter) cork() {
	w.mu.Lock()
	w.corked = true
	w.buf = batchBufs.Get().(*[]byte)
	w.mu.Unlock()
}

// uncork writes what gathered, under the connection's write deadline, and
// holds other writers (the library's pongs and close frame) until it is
// out, so that no frame overtakes the batch.
func (w *corkWriter) uncork() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.corked = false
	b := w.buf
	w.buf = nil
	var err error
	if len(*b) > 0 {
		if !w.deadline.IsZero() {
			_ = w.nc.SetWriteDeadline(w.deadline)
			defer w.nc.SetWriteDeadline(time.Time{})
		}
		_, err = w.nc.Write(*b)
	}
	*b = (*b)[:0]
	batchBufs.Put(b)
	return err
}

// limitedReader is io.LimitedReader that can be lifted (n < 0) and tells
// whether the limit was reached.
type limitedReader struct {
	r         io.Reader
	n         int64
	exhausted bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return l.r.Read(p)
	}
	if l.n == 0 {
		l.exhausted = true
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// Dial connects to a ws or wss endpoint: TCP, TLS for wss (as the ssl
// transport dials), then the upgrade request for the endpoint's resource with subprotocol
// ice.zeroc.com.
func (t wsTransport) Dial(ctx context.Context, ep *ice.Endpoint, opts *Options) (net.Conn, error) {
	addr := hostPort(ep)
	var mu sync.Mutex
	var under net.Conn
	dialSocket := func(ctx context.Context, _, _ string) (net.Conn, error) {
		c, err := dialTCP(ctx, opts, addr)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		under = c
		mu.Unlock()
		return c, nil
	}
	tr := &http.Transport{DialContext: dialSocket, DisableCompression: true}
	scheme := "ws"
	if t.secure {
		scheme = "wss"
		tr.DialTLSContext = func(ctx context.Context, network, a string) (net.Conn, error) {
			c, err := dialSocket(ctx, network, a)
			if err != nil {
				return nil, err
			}
			tc, err := tlsClient(ctx, c, ep, opts)
			if err != nil {
				c.Close()
				return nil, err
			}
			mu.Lock()
			under = tc
			mu.Unlock()
			return tc, nil
		}
	}
	resource := ep.Resource
	if resource == "" {
		resource = "/"
	} else if !strings.HasPrefix(resource, "/") {
		resource = "/" + resource
	}
	u, err := url.Parse(scheme + "://" + addr + resource)
	if err != nil {
		return nil, fmt.Errorf("%s: resource %q: %w", scheme, ep.Resource, err)
	}
	wc, resp, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{
		HTTPClient:   &http.Client{Transport: tr},
		Subprotocols: []string{iceProtocol},
	})
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		return nil, fmt.Errorf("%s: %w", scheme, err)
	}
	mu.Lock()
	defer mu.Unlock()
	return newWSConn(wc, under, nil).netConn(), nil
}

// wsConn is a WebSocket connection seen as the net.Conn the Ice connection
// reads and writes.
type wsConn struct {
	net.Conn // websocket.NetConn: binary messages, one per Write
	ws       *websocket.Conn
	under    net.Conn // the TCP or TLS connection below
	once     sync.Once
	// tcp and br, set on an accepted connection, are its socket and the
	// buffer the library reads the connection through: with br empty (and
	// on wss, records empty), whatever the peer says next arrives on the
	// socket (quietSocket).
	tcp     *net.TCPConn
	br      *bufio.Reader
	records *recordWaiter // wss
	// closing is set (under mu) before Close hands the connection to the
	// library's close handshake, which reads br from then on.
	mu      sync.Mutex
	closing bool
	// cork, on an accepted connection, lets writeBatch send several
	// messages with one write.
	cork *corkWriter
}

// quietSocket is a connection whose reader can wait for the peer's next
// bytes on the socket itself, and park meanwhile.
type quietSocket interface {
	// socket is the TCP connection below, or nil when bytes may wait
	// where the socket does not show them.
	socket() *net.TCPConn
	// buffered is how many bytes were read from the socket ahead of the
	// reader; not open once the connection is closing.
	buffered() (n int, open bool)
	// awaitInput returns once the peer's next bytes can be read, or with
	// the error of the socket's read deadline; sock is the socket's.
	awaitInput(sock syscall.RawConn) error
}

func (c *wsConn) socket() *net.TCPConn { return c.tcp }

func (c *wsConn) buffered() (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return 0, false
	}
	n := c.br.Buffered()
	if c.records != nil {
		n += c.records.buffered()
	}
	return n, true
}

// awaitInput waits on the socket without reading (ws), or, on wss, reads
// the next record's bytes into records: TLS may hold a whole record that
// the socket no longer shows, and a TLS read that runs into the deadline
// had none left to decrypt (the timeout is not sticky), so after it
// whatever comes next shows on the socket, where the parker waits.
func (c *wsConn) awaitInput(sock syscall.RawConn) error {
	if c.records != nil {
		return c.records.wait()
	}
	return sock.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, err := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		return err != unix.EAGAIN
	})
}

// recordWaiter is the TLS connection the WebSocket library of an accepted
// wss connection hijacks and reads through. The reader waiting between
// messages reads the next bytes itself (wait), where the sweep's deadline
// may interrupt it, and the library gets them first. A library read during
// a wait (the close handshake's, after Close) waits for it, so that the
// peer's close frame reaches the library whichever of the two took it off
// the socket.
type recordWaiter struct {
	*tls.Conn
	mu      sync.Mutex
	waited  sync.Cond // a wait ended
	waiting bool
	held    *[]byte // read by wait, not yet by the library
	off     int
}

var recordBufs = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}

func newRecordWaiter(tc *tls.Conn) *recordWaiter {
	r := &recordWaiter{Conn: tc}
	r.waited.L = &r.mu
	return r
}

func (r *recordWaiter) Read(p []byte) (int, error) {
	r.mu.Lock()
	for r.waiting {
		r.waited.Wait()
	}
	if r.held != nil {
		n := copy(p, (*r.held)[r.off:])
		r.off += n
		if r.off == len(*r.held) {
			r.release()
		}
		r.mu.Unlock()
		return n, nil
	}
	r.mu.Unlock()
	return r.Conn.Read(p)
}

func (r *recordWaiter) buffered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held == nil {
		return 0
	}
	return len(*r.held) - r.off
}

// wait reads what the peer sends next and holds it for the library.
func (r *recordWaiter) wait() error {
	r.mu.Lock()
	r.waiting = true
	r.mu.Unlock()
	b := recordBufs.Get().(*[]byte)
	*b = (*b)[:cap(*b)]
	n, err := r.Conn.Read(*b)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waiting = false
	r.waited.Broadcast()
	if n == 0 {
		recordBufs.Put(b)
		return err
	}
	*b = (*b)[:n]
	r.held, r.off = b, 0
	return nil // an error after data comes again with the next read
}

func (r *recordWaiter) release() {
	recordBufs.Put(r.held)
	r.held, r.off = nil, 0
}

// wssConn adds the TLS state of the connection below, so that Conn.TLSState
// (and through it IceSSL's view of the peer, createSessionFromSecureConnection
// and the SSL verifiers) works on wss as on ssl.
type wssConn struct{ *wsConn }

// ConnectionState is the TLS state, as *tls.Conn reports it.
func (c wssConn) ConnectionState() tls.ConnectionState {
	return c.under.(*tls.Conn).ConnectionState()
}

func newWSConn(wc *websocket.Conn, under net.Conn, cork *corkWriter) *wsConn {
	return &wsConn{Conn: websocket.NetConn(context.Background(), wc, websocket.MessageBinary), ws: wc, under: under,
		cork: cork}
}

// netConn is c as the Ice connection sees it: on wss, with its TLS state.
func (c *wsConn) netConn() net.Conn {
	if _, ok := c.under.(*tls.Conn); ok {
		return wssConn{c}
	}
	return c
}

// Read reads the payloads of binary frames. A close frame without a status
// (what a browser's WebSocket.close() sends) ends the stream like a normal
// closure (1000, 1001) does. Once reading fails the close handshake is over
// on our side (the library has answered the peer's close frame, or ours has
// been answered, or the stream is broken), so the socket is closed at once
// rather than when the peer gets round to closing it.
func (c *wsConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		_ = c.under.Close()
		if websocket.CloseStatus(err) == websocket.StatusNoStatusRcvd {
			err = io.EOF
		}
	}
	return n, err
}

// Write sends p as one binary frame. Nothing is sent for an empty p: Ice
// rejects data frames without payload.
func (c *wsConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return c.Conn.Write(p)
}

// SetWriteDeadline bounds the library's writes and the batch's.
func (c *wsConn) SetWriteDeadline(t time.Time) error {
	if c.cork != nil {
		c.cork.mu.Lock()
		c.cork.deadline = t
		c.cork.mu.Unlock()
	}
	return c.Conn.SetWriteDeadline(t)
}

// writeBatch sends each of bufs as its own binary message; on an accepted
// connection a batch of small ones goes to the socket with one write.
func (c *wsConn) writeBatch(bufs [][]byte, size int) error {
	if c.cork == nil || len(bufs) < 2 || size > coalesceBelow {
		for _, b := range bufs {
			if _, err := c.Write(b); err != nil {
				return err
			}
		}
		return nil
	}
	c.cork.cork()
	var err error
	for _, b := range bufs {
		if _, err = c.Write(b); err != nil {
			break
		}
	}
	if uerr := c.cork.uncork(); err == nil {
		err = uerr
	}
	return err
}

// Close starts the close handshake (close frame with status 1000, then the
// peer's close frame awaited, for 5 s at most (the library's bound), before the socket is
// closed) and returns at once, as closing a socket does: callers that close
// connections must not wait on a peer that does not answer.
func (c *wsConn) Close() error {
	c.once.Do(func() {
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
		go func() {
			// Not the net.Conn view's Close: with a Read in progress it
			// would drop the socket without a close frame.
			_ = c.ws.Close(websocket.StatusNormalClosure, "")
			_ = c.Conn.Close() // releases the view's timers
		}()
	})
	return nil
}

// LocalAddr and RemoteAddr are the socket's, for dialled connections too.
func (c *wsConn) LocalAddr() net.Addr  { return c.under.LocalAddr() }
func (c *wsConn) RemoteAddr() net.Addr { return c.under.RemoteAddr() }
