package router

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/transport"
)

// SSLInfo is Glacier2::SSLInfo: what an SSL permissions verifier and
// session manager learn of a client's ssl connection.
type SSLInfo struct {
	RemoteHost string
	RemotePort int32
	LocalHost  string
	LocalPort  int32
	// Cipher is the negotiated cipher suite, named as OpenSSL names it.
	Cipher string
	// Certs is the client's verified certificate chain in PEM, its own
	// certificate first; empty when it sent none.
	Certs []string
}

func (i *SSLInfo) write(e *ice.Encoder) {
	e.WriteString(i.RemoteHost)
	e.WriteInt32(i.RemotePort)
	e.WriteString(i.LocalHost)
	e.WriteInt32(i.LocalPort)
	e.WriteString(i.Cipher)
	e.WriteStringSeq(i.Certs)
}

// SSLAuthorizer decides whether the client of an ssl connection may open a
// session (createSessionFromSecureConnection). Like Authorizer, an error is
// not a verdict, and *PermissionDenied denies with its reason.
type SSLAuthorizer interface {
	AuthorizeSSL(ctx context.Context, info *SSLInfo, reqCtx ice.Context) (ok bool, reason string, err error)
}

// allowAllSSL is the built-in <instance>/NullSSLPermissionsVerifier.
type allowAllSSL struct{}

func (allowAllSSL) AuthorizeSSL(context.Context, *SSLInfo, ice.Context) (bool, string, error) {
	return true, "", nil
}

// remoteSSLVerifier calls a Glacier2::SSLPermissionsVerifier object.
type remoteSSLVerifier struct {
	r     *Router
	proxy *ice.Proxy
	opts  *callOptions
}

func (v remoteSSLVerifier) AuthorizeSSL(ctx context.Context, info *SSLInfo, reqCtx ice.Context) (bool, string, error) {
	e := ice.NewEncoder(nil)
	m := e.StartEncapsulation(v.proxy.Encoding)
	info.write(e)
	e.EndEncapsulation(m)
	// authorize is ["nonmutating"] idempotent, like checkPermissions.
	res, err := v.r.invokeWith(ctx, v.proxy, v.opts, "authorize", ice.Nonmutating, reqCtx, e.Bytes())
	return verdict(res, err, "ssl permissions verifier")
}

// sslSessions is the router's configuration for sessions created from
// secure connections.
type sslSessions struct {
	auth           SSLAuthorizer // nil: none configured
	manager        *ice.Proxy    // nil: none
	managerOptions *callOptions
}

// setupSSL builds the TLS configurations of the three sides and the SSL
// authorizer and session manager.
func (r *Router) setupSSL(cfg *config.Config) error {
	if t := cfg.TLS; t != nil {
		r.clientOpts.TLS = serverTLS(t)
		r.serverOpts.TLS = r.clientOpts.TLS
		r.backendOpts.TLS = backendTLS(t)
	}
	a := cfg.Auth
	switch {
	case a.SSLVerifier != "":
		p, err := r.defaults.ParseProxy(a.SSLVerifier)
		if err != nil {
			return fmt.Errorf("router: ssl permissions verifier %q: %w", a.SSLVerifier, err)
		}
		if p == nil {
			return errors.New("router: ssl permissions verifier is a null proxy")
		}
		r.ssl.auth = remoteSSLVerifier{r: r, proxy: p, opts: &callOptions{ProxyOptions: a.SSLVerifierOptions,
			cacheDefault: locatorCacheTimeout(cfg)}}
	case a.AllowAllSSL:
		r.ssl.auth = allowAllSSL{}
	}
	if a.SSLSessionManager != "" {
		p, err := r.defaults.ParseProxy(a.SSLSessionManager)
		if err != nil {
			return fmt.Errorf("router: ssl session manager %q: %w", a.SSLSessionManager, err)
		}
		r.ssl.manager = p
		r.ssl.managerOptions = &callOptions{ProxyOptions: a.SSLSessionManagerOptions,
			cacheDefault: config.DefaultSessionManagerLocatorCacheTimeout}
	}
	return nil
}

// serverTLS configures accepted ssl connections: the router's certificate,
// and client certificates asked for, verified or required by VerifyPeer.
func serverTLS(t *config.TLS) *tls.Config {
	c := &tls.Config{Certificates: t.Certificates, ClientCAs: t.CAs, MinVersion: t.MinVersion, MaxVersion: t.MaxVersion}
	switch t.VerifyPeer {
	case 0:
		c.ClientAuth = tls.NoClientCert
	case 1:
		c.ClientAuth = tls.VerifyClientCertIfGiven
	default:
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	if t.VerifyDepthMax > 0 {
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			return checkDepth(transport.PeerCertificates(&cs), t.VerifyDepthMax)
		}
	}
	return c
}

func checkDepth(chain []*x509.Certificate, max int) error {
	if max > 0 && len(chain) > max {
		return fmt.Errorf("length of peer's certificate chain (%d) exceeds maximum of %d", len(chain), max)
	}
	return nil
}

// backendTLS configures the router's own ssl connections as IceSSL does:
// the router's certificate is presented to a server that asks for one
// (whatever authorities it names, as OpenSSL does), and the server's
// certificate is verified unless VerifyPeer is 0, its name checked only
// with CheckCertName.
func backendTLS(t *config.TLS) *tls.Config {
	c := &tls.Config{MinVersion: t.MinVersion, MaxVersion: t.MaxVersion, RootCAs: t.CAs,
		// Verification is VerifyConnection's, which knows IceSSL's rules.
		InsecureSkipVerify: true}
	if len(t.Certificates) > 0 {
		cert := t.Certificates[0]
		c.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	}
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if t.VerifyPeer == 0 || len(cs.PeerCertificates) == 0 {
			return nil
		}
		inter := x509.NewCertPool()
		for _, ic := range cs.PeerCertificates[1:] {
			inter.AddCert(ic)
		}
		chains, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: t.CAs, Intermediates: inter})
		if err != nil {
			return fmt.Errorf("IceSSL: certificate verification failed: %w", err)
		}
		if err := checkDepth(chains[0], t.VerifyDepthMax); err != nil {
			return err
		}
		if t.CheckCertName && !certNameMatches(cs.PeerCertificates[0], cs.ServerName) {
			if net.ParseIP(cs.ServerName) != nil {
				return errors.New("IceSSL: certificate verification failure IP address mismatch")
			}
			return errors.New("IceSSL: certificate verification failure Hostname mismatch")
		}
		return nil
	}
	return c
}

// certNameMatches is IceSSL's CheckCertName rule: an IP address must be
// one of the certificate's IP addresses; a host name one of its DNS names,
// or, when it has none, its common name.
func certNameMatches(c *x509.Certificate, host string) bool {
	if host == "" {
		return true
	}
	host = strings.ToLower(host)
	if ip := net.ParseIP(host); ip != nil {
		return slices.ContainsFunc(c.IPAddresses, ip.Equal)
	}
	if len(c.DNSNames) > 0 {
		return slices.ContainsFunc(c.DNSNames, func(n string) bool { return strings.ToLower(n) == host })
	}
	dn, err := transport.SubjectDN(c)
	if err != nil {
		return false
	}
	dn = strings.ToLower(dn)
	cn := "cn=" + host
	i := strings.Index(dn, cn)
	return i >= 0 && (i+len(cn) == len(dn) || dn[i+len(cn)] == ',')
}

// isSSL reports whether c is an ssl connection as Glacier2 3.7 sees it:
// the ssl transport itself (a wss connection's info is WebSocket info, so
// Glacier2 does not take it for one).
func isSSL(c *transport.Conn) (tls.ConnectionState, bool) {
	if c.Endpoint.Type != ice.SSLEndpoint {
		return tls.ConnectionState{}, false
	}
	return c.TLSState()
}

// sslInfo describes the client's connection, and returns the user id,
// the client certificate's subject DN.
func sslInfo(c *transport.Conn, st *tls.ConnectionState) (*SSLInfo, string, error) {
	info := &SSLInfo{Cipher: transport.CipherName(st.CipherSuite)}
	info.RemoteHost, info.RemotePort = hostAndPort(c.RemoteAddr())
	info.LocalHost, info.LocalPort = hostAndPort(c.LocalAddr())
	certs := transport.PeerCertificates(st)
	for _, cert := range certs {
		info.Certs = append(info.Certs, transport.CertificatePEM(cert))
	}
	if len(certs) == 0 {
		return info, "", nil
	}
	dn, err := transport.SubjectDN(certs[0])
	return info, dn, err
}

func hostAndPort(a net.Addr) (string, int32) {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String(), int32(t.Port)
	}
	host, port, _ := net.SplitHostPort(a.String())
	p, _ := strconv.Atoi(port)
	return host, int32(p)
}

// createSessionFromSecureConnection authorizes the client of an ssl
// connection from its certificate with the SSL verifier, asks the SSL
// session manager (if any) for a session, and opens the session, with
// Glacier2's exceptions and texts.
func (r *Router) createSessionFromSecureConnection(c *call) {
	deny := func(reason string) { c.userException(permissionDeniedID, ice.SlicedFormat, &reason) }
	if r.ssl.auth == nil {
		deny("no configured ssl permissions verifier")
		return
	}
	st, ok := isSSL(c.cc.c)
	if !ok {
		deny("not ssl connection")
		return
	}
	info, user, err := sslInfo(c.cc.c, &st)
	if err != nil {
		// IceSSL throws a ParseException that is no Ice exception: the
		// client gets UnknownException.
		r.log.Warn("cannot read the client certificate's subject", "conn", c.cc.c.ID(), "error", err)
		if c.id != 0 {
			c.reply(transport.MessageFrom(ice.AppendReplyUnknown(nil, c.id, ice.ReplyUnknownException, err.Error())))
		}
		return
	}
	req := sessionRequest{
		user:   user,
		secure: true,
		authorize: func(ctx context.Context, reqCtx ice.Context) (bool, string, error) {
			return r.ssl.auth.AuthorizeSSL(ctx, info, reqCtx)
		},
	}
	if r.ssl.manager != nil {
		req.manage = func(ctx context.Context, control *ice.Proxy, reqCtx ice.Context) (*ice.Proxy, error) {
			e := ice.NewEncoder(nil)
			m := e.StartEncapsulation(r.ssl.manager.Encoding)
			info.write(e)
			e.WriteProxy(control)
			e.EndEncapsulation(m)
			return r.callSessionManager(ctx, r.ssl.manager, r.ssl.managerOptions, reqCtx, e.Bytes())
		}
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.openSession(c, req)
	}()
}

// connectionContext is Glacier2's connection context (AddConnectionContext):
// the client connection's facts as request context entries.
type connectionContext struct {
	entries ice.Context
	// pairs are the entries encoded (without their count), sorted by key,
	// for forwarded requests.
	pairs []byte
}

// newConnectionContext describes c as Glacier2 does: the transport, the
// addresses, and on ssl connections the cipher and the client's
// certificate.
func newConnectionContext(c *transport.Conn) *connectionContext {
	ctx := ice.Context{"_con.type": protocolName(c.Endpoint.Type)}
	host, port := hostAndPort(c.RemoteAddr())
	ctx["_con.remoteAddress"], ctx["_con.remotePort"] = host, strconv.Itoa(int(port))
	host, port = hostAndPort(c.LocalAddr())
	ctx["_con.localAddress"], ctx["_con.localPort"] = host, strconv.Itoa(int(port))
	if st, ok := isSSL(c); ok {
		ctx["_con.cipher"] = transport.CipherName(st.CipherSuite)
		if certs := transport.PeerCertificates(&st); len(certs) > 0 {
			ctx["_con.peerCert"] = transport.CertificatePEM(certs[0])
		}
	}
	cc := &connectionContext{entries: ctx}
	e := ice.NewEncoder(nil)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range ctx {
			if !yield(k) {
				return
			}
		}
	}) {
		e.WriteString(k)
		e.WriteString(ctx[k])
	}
	cc.pairs = e.Bytes()
	return cc
}

func protocolName(typ int16) string {
	switch typ {
	case ice.TCPEndpoint:
		return "tcp"
	case ice.SSLEndpoint:
		return "ssl"
	case ice.WSEndpoint:
		return "ws"
	case ice.WSSEndpoint:
		return "wss"
	}
	return strconv.Itoa(int(typ))
}

// appendContext appends the context of a forwarded request: the client's
// (encoded, its count included; nil when it is not forwarded) with the
// connection context's entries added, replacing client entries of the same
// keys, so a client cannot pass for another connection. It makes no
// allocation.
func (cc *connectionContext) appendContext(b, client []byte) []byte {
	n := len(cc.entries)
	var kept int
	if client != nil {
		kept = forEachContextEntry(client, func(k, entry []byte) bool { return !cc.has(k) }, nil)
	}
	b = appendSize(b, kept+n)
	if kept > 0 {
		forEachContextEntry(client, func(k, entry []byte) bool { return !cc.has(k) }, func(entry []byte) {
			b = append(b, entry...)
		})
	}
	return append(b, cc.pairs...)
}

// contextLen is the length of what appendContext appends.
func (cc *connectionContext) contextLen(client []byte) int {
	n, size := len(cc.entries), 0
	if client != nil {
		n += forEachContextEntry(client, func(k, entry []byte) bool {
			if cc.has(k) {
				return false
			}
			size += len(entry)
			return true
		}, nil)
	}
	return len(appendSize(nil, n)) + size + len(cc.pairs)
}

func (cc *connectionContext) has(k []byte) bool {
	_, ok := cc.entries[string(k)]
	return ok
}

func appendSize(b []byte, n int) []byte {
	if n < 255 {
		return append(b, byte(n))
	}
	return append(b, 255, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
}

// forEachContextEntry walks an encoded context (already validated by the
// request parser), calling keep for each entry (key, and the entry's
// encoded bytes) and emit for those kept; it returns how many were kept.
func forEachContextEntry(ctx []byte, keep func(k, entry []byte) bool, emit func(entry []byte)) int {
	d := ice.NewDecoder(ctx)
	n, _ := d.Size()
	kept := 0
	for range n {
		start := d.Pos()
		k, _ := d.StringBytes()
		_, _ = d.StringBytes()
		entry := ctx[start:d.Pos()]
		if keep(k, entry) {
			kept++
			if emit != nil {
				emit(entry)
			}
		}
	}
	return kept
}
