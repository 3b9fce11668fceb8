package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/floe-router/floe/core/ice"
)

// ErrUnsupportedTransport is returned for endpoint types floe cannot listen
// on or dial.
var ErrUnsupportedTransport = errors.New("unsupported transport")

// Supported reports whether floe can dial this endpoint.
func Supported(ep *ice.Endpoint) bool { return ep.Type == ice.TCPEndpoint }

func hostPort(ep *ice.Endpoint) string {
	host := ep.Host
	if host == "*" {
		host = ""
	}
	return net.JoinHostPort(host, strconv.Itoa(int(ep.Port)))
}

// Listener accepts Ice connections on one endpoint.
type Listener struct {
	ln net.Listener
	// Endpoint is the endpoint listened on, with the port the OS chose
	// when the configured port was 0.
	Endpoint ice.Endpoint
	opts     *Options
	monitor  *Monitor
}

// Listen opens a listening socket for ep.
func Listen(ep ice.Endpoint, opts *Options, monitor *Monitor) (*Listener, error) {
	if ep.Type != ice.TCPEndpoint {
		return nil, fmt.Errorf("listen %s: %w", ep.String(), ErrUnsupportedTransport)
	}
	ln, err := net.Listen("tcp", hostPort(&ep))
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", ep.String(), err)
	}
	actual := ep
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		actual.Port = int32(a.Port)
	}
	return &Listener{ln: ln, Endpoint: actual, opts: opts, monitor: monitor}, nil
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
		c := newConn(nc, l.opts, h, true)
		if setup != nil {
			setup(c)
		}
		l.monitor.add(c)
		_ = c.Post(MessageFrom(ice.ValidateConnectionMessage))
		c.start()
	}
}

// Dial connects to ep and waits for the server's ValidateConnection. The
// endpoint's timeout bounds both, as Ice's connect timeout does.
func Dial(ctx context.Context, ep ice.Endpoint, opts *Options, h Handler, monitor *Monitor) (*Conn, error) {
	if !Supported(&ep) {
		return nil, fmt.Errorf("dial %s: %w", ep.String(), ErrUnsupportedTransport)
	}
	if ep.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(ep.Timeout)*time.Millisecond)
		defer cancel()
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", hostPort(&ep))
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
