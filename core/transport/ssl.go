package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	"github.com/floe-router/floe/core/ice"
)

// ErrNoCertificate is returned when an ssl endpoint is to listen without a
// certificate to present.
var ErrNoCertificate = errors.New("no TLS certificate configured")

func init() { Register(ice.SSLEndpoint, sslTransport{}) }

// sslTransport is Ice's ssl transport: TLS over TCP, then Ice messages,
// configured by Options.TLS.
type sslTransport struct{}

func (sslTransport) Listen(ep *ice.Endpoint, opts *Options) (net.Listener, error) {
	if !hasCertificate(opts.TLS) {
		return nil, ErrNoCertificate
	}
	return listenTCP(ep, opts)
}

func (sslTransport) Accept(ctx context.Context, nc net.Conn, _ *ice.Endpoint, opts *Options) (net.Conn, error) {
	return tlsServer(ctx, nc, opts)
}

func (sslTransport) Dial(ctx context.Context, ep *ice.Endpoint, opts *Options) (net.Conn, error) {
	nc, err := dialTCP(ctx, opts, hostPort(ep))
	if err != nil {
		return nil, err
	}
	tc, err := tlsClient(ctx, nc, ep, opts)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return tc, nil
}

func hasCertificate(c *tls.Config) bool {
	return c != nil && (len(c.Certificates) > 0 || c.GetCertificate != nil || c.GetConfigForClient != nil)
}

// tlsServer runs the server side of a TLS handshake on an accepted
// connection, within ctx; it is shared by the transports over TLS.
func tlsServer(ctx context.Context, nc net.Conn, opts *Options) (*tls.Conn, error) {
	if !hasCertificate(opts.TLS) {
		return nil, ErrNoCertificate
	}
	tc := tls.Server(nc, opts.TLS)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("tls handshake: %w", err)
	}
	return tc, nil
}

// tlsClient runs the client side of a TLS handshake on a connection dialled
// to ep, within ctx. The server name (what the peer's certificate is checked
// against, and SNI) is the endpoint's host unless Options.TLS sets one; a
// VerifyConnection sees it in ConnectionState.ServerName even when it is an
// IP address (which crypto/tls leaves out there). A nil Options.TLS means
// Go's defaults: the system's roots and a host name check.
func tlsClient(ctx context.Context, nc net.Conn, ep *ice.Endpoint, opts *Options) (*tls.Conn, error) {
	cfg := opts.TLS
	if cfg == nil || cfg.ServerName == "" {
		if cfg == nil {
			cfg = &tls.Config{}
		} else {
			cfg = cfg.Clone()
		}
		cfg.ServerName = ep.Host
	}
	if verify := cfg.VerifyConnection; verify != nil {
		if cfg == opts.TLS {
			cfg = cfg.Clone()
		}
		name := cfg.ServerName
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if cs.ServerName == "" {
				cs.ServerName = name
			}
			return verify(cs)
		}
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("tls handshake: %w", err)
	}
	return tc, nil
}

// TLSState returns the TLS state of a connection carried over TLS, and
// false for one that is not.
func (c *Conn) TLSState() (tls.ConnectionState, bool) {
	if s, ok := c.nc.(interface{ ConnectionState() tls.ConnectionState }); ok {
		return s.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}
