package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/floe-router/floe/core/ice"
)

// ErrUnsupportedTransport is returned for endpoint types floe cannot listen
// on or dial.
var ErrUnsupportedTransport = errors.New("unsupported transport")

// Transport turns endpoints of one type into stream connections that carry
// Ice messages: tcp here; ssl, ws and wss in their own files.
type Transport interface {
	// Listen opens the listening socket for ep.
	Listen(ep *ice.Endpoint, opts *Options) (net.Listener, error)
	// Accept completes the transport's handshake on a connection just
	// accepted (TLS, the WebSocket upgrade); it runs on its own goroutine.
	Accept(ctx context.Context, nc net.Conn, ep *ice.Endpoint, opts *Options) (net.Conn, error)
	// Dial connects to ep, handshake included.
	Dial(ctx context.Context, ep *ice.Endpoint, opts *Options) (net.Conn, error)
}

var transports = map[int16]Transport{ice.TCPEndpoint: tcpTransport{}}

// Register makes a transport available for an endpoint type; it is called
// from init functions.
func Register(typ int16, t Transport) { transports[typ] = t }

// Supported reports whether floe can dial this endpoint.
func Supported(ep *ice.Endpoint) bool { return transports[ep.Type] != nil }

func hostPort(ep *ice.Endpoint) string {
	host := ep.Host
	if host == "*" {
		host = ""
	}
	return net.JoinHostPort(host, strconv.Itoa(int(ep.Port)))
}

// tcpTransport is plain TCP.
type tcpTransport struct{}

func (tcpTransport) Listen(ep *ice.Endpoint, opts *Options) (net.Listener, error) {
	return listenTCP(ep, opts)
}

// Ice turns no TCP keepalive on (its ACM heartbeats find dead peers), and
// on accepted connections Go's default costs four setsockopt calls each.
const tcpKeepAlive = -1

// listenTCP listens on ep's host and port for every TCP-based transport.
func listenTCP(ep *ice.Endpoint, opts *Options) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: tcpKeepAlive}
	return lc.Listen(context.Background(), opts.network(), hostPort(ep))
}

func (tcpTransport) Accept(_ context.Context, nc net.Conn, _ *ice.Endpoint, _ *Options) (net.Conn, error) {
	return nc, nil
}

func (tcpTransport) Dial(ctx context.Context, ep *ice.Endpoint, opts *Options) (net.Conn, error) {
	return dialTCP(ctx, opts, hostPort(ep))
}

// dialTCP connects to addr on the configured IP versions; with PreferIPv6
// a host name's addresses are tried IPv6 first, one after the other, as Ice
// does.
func dialTCP(ctx context.Context, opts *Options, addr string) (net.Conn, error) {
	d := net.Dialer{KeepAlive: tcpKeepAlive}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || !opts.PreferIPv6 || net.ParseIP(host) != nil {
		return d.DialContext(ctx, opts.network(), addr)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(ips, func(a, b netip.Addr) int {
		switch {
		case a.Is6() && !a.Is4In6() && !(b.Is6() && !b.Is4In6()):
			return -1
		case b.Is6() && !b.Is4In6() && !(a.Is6() && !a.Is4In6()):
			return 1
		}
		return 0
	})
	var errs []error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, opts.network(), net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// Listener accepts Ice connections on one endpoint.
type Listener struct {
	ln net.Listener
	// Endpoint is the endpoint listened on, with the port the OS chose
	// when the configured port was 0.
	Endpoint  ice.Endpoint
	opts      *Options
	monitor   *Monitor
	transport Transport
}

// Listen opens a listening socket for ep.
func Listen(ep ice.Endpoint, opts *Options, monitor *Monitor) (*Listener, error) {
	t := transports[ep.Type]
	if t == nil {
		return nil, fmt.Errorf("listen %s: %w", ep.String(), ErrUnsupportedTransport)
	}
	ln, err := t.Listen(&ep, opts)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", ep.String(), err)
	}
	actual := ep
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		actual.Port = int32(a.Port)
	}
	return &Listener{ln: ln, Endpoint: actual, opts: opts, monitor: monitor, transport: t}, nil
}

// Addr is the listening address.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Close stops accepting.
func (l *Listener) Close() error { return l.ln.Close() }

// Serve accepts connections until the listener is closed. Each new
// connection is given to setup (which may set Owner), then validated with
// ValidateConnection and read by its own goroutine, delivering to h.
func (l *Listener) Serve(h Handler, setup func(*Conn)) error {
	var delay time.Duration
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			// Out of file descriptors and the like: back off, as net/http does.
			if delay == 0 {
				delay = 5 * time.Millisecond
			} else if delay *= 2; delay > time.Second {
				delay = time.Second
			}
			if l.opts.Log != nil {
				l.opts.Log.Warn("accept failed", "endpoint", l.Endpoint.String(), "error", err)
			}
			time.Sleep(delay)
			continue
		}
		delay = 0
		goRead(func() { l.accept(nc, h, setup) })
	}
}

// handshakeTimeout bounds a transport handshake on an accepted connection,
// so a peer that connects and says nothing holds nothing for long.
const handshakeTimeout = 10 * time.Second

func (l *Listener) accept(nc net.Conn, h Handler, setup func(*Conn)) {
	tc, err := l.handshake(nc)
	if err != nil {
		nc.Close()
		if l.opts.Log != nil {
			l.opts.Log.Debug("handshake failed", "endpoint", l.Endpoint.String(), "remote", nc.RemoteAddr().String(), "error", err)
		}
		return
	}
	c := newConn(tc, l.opts, h, true)
	c.Endpoint = l.Endpoint
	if setup != nil {
		setup(c)
	}
	l.monitor.add(c)
	_ = c.Post(MessageFrom(ice.ValidateConnectionMessage))
	// This goroutine becomes the connection's reader: a new one per
	// connection would cost a goroutine start and a wakeup per session.
	parking.watch(c)
	c.readLoop()
}

// handshake runs the transport's handshake on an accepted connection under
// handshakeTimeout. Plain TCP has none, and skips the timer that costs.
func (l *Listener) handshake(nc net.Conn) (net.Conn, error) {
	if _, plain := l.transport.(tcpTransport); plain {
		return nc, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	defer cancel()
	return l.transport.Accept(ctx, nc, &l.Endpoint, l.opts)
}

// Dial connects to ep and waits for the server's ValidateConnection. The
// endpoint's timeout bounds both, as Ice's connect timeout does.
func Dial(ctx context.Context, ep ice.Endpoint, opts *Options, h Handler, monitor *Monitor) (*Conn, error) {
	t := transports[ep.Type]
	if t == nil {
		return nil, fmt.Errorf("dial %s: %w", ep.String(), ErrUnsupportedTransport)
	}
	if ep.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(ep.Timeout)*time.Millisecond)
		defer cancel()
	}
	nc, err := t.Dial(ctx, &ep, opts)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetReadDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetReadDeadline(time.Unix(1, 0)) })
	var hdr [ice.HeaderSize]byte
	_, err = io.ReadFull(nc, hdr[:])
	stop()
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("connection not validated: %w", err)
	}
	h0, err := ice.ParseHeader(hdr[:], ice.HeaderSize)
	if err != nil || h0.Type != ice.ValidateConnectionMsg {
		nc.Close()
		if err == nil {
			err = fmt.Errorf("first message is a %s", h0.Type)
		}
		return nil, fmt.Errorf("%w: connection not validated: %w", ErrProtocol, err)
	}
	_ = nc.SetReadDeadline(time.Time{})
	c := newConn(nc, opts, h, false)
	c.Endpoint = ep
	monitor.add(c)
	c.start()
	return c, nil
}
