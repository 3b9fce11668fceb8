package router

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"github.com/floe-router/floe/internal/race"
	"net"
	"strings"
	"testing"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/transport"
	"github.com/floe-router/floe/internal/testcert"
)

// startSSLRouter starts a router with a tcp and an ssl client endpoint,
// TLS from pki (client certificates verified if sent) and auth.
func startSSLRouter(t *testing.T, ca *testcert.Authority, auth config.Auth, addConnectionContext int) *Router {
	t.Helper()
	cfg := &config.Config{InstanceName: "Glacier2",
		Client: config.Client{Endpoints: "tcp -h 127.0.0.1 -p 0 : ssl -h 127.0.0.1 -p 0",
			AddConnectionContext: addConnectionContext},
		Auth: auth, MessageSizeMax: 1 << 20,
		TLS: &config.TLS{Certificates: []tls.Certificate{ca.Server(t, "router").TLS()}, CAs: ca.Pool(), VerifyPeer: 1,
			VerifyDepthMax: 3}}
	return runRouter(t, cfg)
}

// dialSSL connects to the router's ssl endpoint, presenting cert when
// given.
func dialSSL(t *testing.T, r *Router, ca *testcert.Authority, cert *testcert.Leaf) *rawClient {
	t.Helper()
	ep := r.ClientEndpoints()[1]
	cfg := &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{cert.TLS()}
	}
	nc, err := tls.Dial("tcp", net.JoinHostPort(ep.Host, itoa(ep.Port)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return newRawClient(t, nc)
}

func permissionDenied(t *testing.T, rep ice.Reply) string {
	t.Helper()
	if rep.Status != ice.ReplyUserException {
		t.Fatalf("reply %s; want a user exception", rep.Status)
	}
	sl, err := ice.ParseUserException(rep.Payload)
	if err != nil || sl.TypeID != permissionDeniedID {
		t.Fatalf("exception %q, %v; want PermissionDeniedException", sl.TypeID, err)
	}
	reason, _ := ice.NewDecoder(sl.Members).String()
	return reason
}

func TestCreateSessionFromSecureConnection(t *testing.T) {
	ca := testcert.NewAuthority(t, "test CA")
	r := startSSLRouter(t, ca, config.Auth{AllowAllSSL: true}, 0)

	c := dialSSL(t, r, ca, ca.Client(t, "alice", "Floe"))
	if rep := c.call(1, "createSessionFromSecureConnection", nil); rep.Status != ice.ReplyOK {
		t.Fatalf("createSessionFromSecureConnection: %s", rep.Status)
	}
	if s := r.Sessions(); len(s) != 1 || s[0].User != "CN=alice,O=Floe" {
		t.Fatalf("sessions %+v; want one for CN=alice,O=Floe", s)
	}

	// Only createSessionFromSecureConnection is configured.
	c2 := dialSSL(t, r, ca, nil)
	if reason := permissionDenied(t, c2.call(1, "createSession", func(e *ice.Encoder) {
		e.WriteString("u")
		e.WriteString("p")
	})); reason != "no configured permissions verifier" {
		t.Errorf("createSession: %q", reason)
	}
	// Without a client certificate (VerifyPeer 1), the user id is empty.
	if rep := c2.call(2, "createSessionFromSecureConnection", nil); rep.Status != ice.ReplyOK {
		t.Fatalf("createSessionFromSecureConnection without a certificate: %s", rep.Status)
	}

	tcp := dialRaw(t, r)
	if reason := permissionDenied(t, tcp.call(1, "createSessionFromSecureConnection", nil)); reason != "not ssl connection" {
		t.Errorf("on tcp: %q", reason)
	}
}

func TestCreateSessionFromSecureConnectionUnconfigured(t *testing.T) {
	r := startRouter(t)
	c := dialRaw(t, r)
	if reason := permissionDenied(t, c.call(1, "createSessionFromSecureConnection", nil)); reason != "no configured ssl permissions verifier" {
		t.Errorf("got %q", reason)
	}
}

func TestCheckCertName(t *testing.T) {
	ca := testcert.NewAuthority(t, "test CA")
	server := ca.Server(t, "router") // localhost, 127.0.0.1 and ::1
	cnOnly := ca.Issue(t, testcert.Options{Subject: pkix.Name{CommonName: "backend.example.com"}})
	for _, tc := range []struct {
		cert *testcert.Leaf
		host string
		want bool
	}{
		{server, "127.0.0.1", true}, {server, "::1", true}, {server, "10.0.0.1", false},
		{server, "LocalHost", true}, {server, "router", false}, // DNS names, not the CN, when there are some
		{cnOnly, "backend.example.com", true}, {cnOnly, "example.com", false}, {cnOnly, "backend.example", false},
	} {
		if got := certNameMatches(tc.cert.Cert, tc.host); got != tc.want {
			t.Errorf("%s for %s: %v, want %v", tc.cert.Cert.Subject, tc.host, got, tc.want)
		}
	}
	if err := checkDepth(make([]*x509.Certificate, 4), 3); err == nil {
		t.Error("a chain of 4 passed VerifyDepthMax 3")
	}
}

func TestForwardedRequestsCarryTheConnectionContext(t *testing.T) {
	cc := &connectionContext{entries: ice.Context{"_con.remoteAddress": "10.0.0.9", "_con.type": "tcp"}}
	e := ice.NewEncoder(nil)
	e.WriteString("_con.remoteAddress")
	e.WriteString("10.0.0.9")
	e.WriteString("_con.type")
	e.WriteString("tcp")
	cc.pairs = e.Bytes()

	request := func(ctx ice.Context) (*transport.Message, ice.Request) {
		msg := ice.AppendRequestMessage(nil, ice.RequestSpec{ID: 9, Identity: ice.Identity{Name: "hello"},
			Operation: "sayHello", Context: ctx, Params: []byte{6, 0, 0, 0, 1, 1}})
		m := transport.NewMessage(len(msg))
		copy(m.Buf, msg)
		req, err := ice.ParseRequest(m.Body())
		if err != nil {
			t.Fatal(err)
		}
		return m, req
	}
	for _, tc := range []struct {
		name   string
		client ice.Context
		strip  bool
		want   ice.Context
	}{
		{"context not forwarded", ice.Context{"a": "1"}, true,
			ice.Context{"_con.remoteAddress": "10.0.0.9", "_con.type": "tcp"}},
		{"context forwarded", ice.Context{"a": "1"}, false,
			ice.Context{"a": "1", "_con.remoteAddress": "10.0.0.9", "_con.type": "tcp"}},
		{"a client's own _con entries are replaced", ice.Context{"a": "1", "_con.remoteAddress": "1.2.3.4", "_con.x": "y"}, false,
			ice.Context{"a": "1", "_con.remoteAddress": "10.0.0.9", "_con.type": "tcp", "_con.x": "y"}},
		{"empty client context", nil, false, ice.Context{"_con.remoteAddress": "10.0.0.9", "_con.type": "tcp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, req := request(tc.client)
			out := forwardMessage(m, &req, true, tc.strip, cc, nil)
			defer out.Release()
			h, err := ice.ParseHeader(out.Buf, len(out.Buf))
			if err != nil || h.Size != len(out.Buf) {
				t.Fatalf("header %+v, %v; message of %d bytes", h, err, len(out.Buf))
			}
			got, err := ice.ParseRequest(out.Body())
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != 0 || got.Operation() != "sayHello" || string(got.Params()) != "\x06\x00\x00\x00\x01\x01" {
				t.Errorf("request %d %s % x", got.ID, got.Operation(), got.Params())
			}
			if ctx := got.Context(); !equalContext(ctx, tc.want) {
				t.Errorf("context %v; want %v", ctx, tc.want)
			}
		})
	}

	// The connection context costs no allocation beyond the new message
	// that stripping the context already needs.
	if race.Enabled {
		return // sync.Pool drops items at random under the race detector
	}
	allocs := func(conCtx *connectionContext) float64 {
		return testing.AllocsPerRun(200, func() {
			m, req := request(ice.Context{"a": "1", "_con.remoteAddress": "x"})
			forwardMessage(m, &req, true, false, conCtx, nil).Release()
		}) - testing.AllocsPerRun(200, func() {
			m, _ := request(ice.Context{"a": "1", "_con.remoteAddress": "x"})
			m.Release()
		})
	}
	base := testing.AllocsPerRun(200, func() {
		m, req := request(ice.Context{"a": "1", "_con.remoteAddress": "x"})
		forwardMessage(m, &req, true, true, nil, nil).Release()
	}) - testing.AllocsPerRun(200, func() {
		m, _ := request(ice.Context{"a": "1", "_con.remoteAddress": "x"})
		m.Release()
	})
	if got := allocs(cc); got > base {
		t.Errorf("forwarding with the connection context: %.1f allocations; stripping the context: %.1f", got, base)
	}
}

func equalContext(a, b ice.Context) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestConnectionContextOfASSLConnection(t *testing.T) {
	ca := testcert.NewAuthority(t, "test CA")
	r := startSSLRouter(t, ca, config.Auth{AllowAllSSL: true}, 1)
	alice := ca.Client(t, "alice", "Floe")
	c := dialSSL(t, r, ca, alice)
	if rep := c.call(1, "createSessionFromSecureConnection", nil); rep.Status != ice.ReplyOK {
		t.Fatalf("createSessionFromSecureConnection: %s", rep.Status)
	}
	s := r.Sessions()[0]
	if s.conCtx == nil {
		t.Fatal("no connection context with AddConnectionContext=1")
	}
	got := s.conCtx.entries
	local, remote := c.nc.LocalAddr().(*net.TCPAddr), c.nc.RemoteAddr().(*net.TCPAddr)
	want := ice.Context{"_con.type": "ssl", "_con.remoteAddress": "127.0.0.1", "_con.remotePort": itoa(int32(local.Port)),
		"_con.localAddress": "127.0.0.1", "_con.localPort": itoa(int32(remote.Port)),
		"_con.cipher":   transport.CipherName(c.nc.(*tls.Conn).ConnectionState().CipherSuite),
		"_con.peerCert": transport.CertificatePEM(alice.Cert)}
	if !equalContext(got, want) {
		t.Errorf("connection context\n got %v\nwant %v", got, want)
	}
	if !strings.HasPrefix(got["_con.peerCert"], "-----BEGIN CERTIFICATE-----\n") {
		t.Errorf("peerCert is not PEM: %q", got["_con.peerCert"])
	}
}

// TestBackendTLS dials TLS servers with the configuration the router uses
// for its own connections, under IceSSL's verification rules.
func TestBackendTLS(t *testing.T) {
	ca, other := testcert.NewAuthority(t, "test CA"), testcert.NewAuthority(t, "other CA")
	serve := func(leaf *testcert.Leaf, requireClient bool) ice.Endpoint {
		t.Helper()
		cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLS()}}
		if requireClient {
			cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, ca.Pool()
		}
		l, err := transport.Listen(ice.Endpoint{Type: ice.SSLEndpoint, Host: "127.0.0.1"}, &transport.Options{TLS: cfg,
			MessageSizeMax: 1 << 20}, nil)
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = l.Serve(nopHandler{}, nil) }()
		t.Cleanup(func() { _ = l.Close() })
		return l.Endpoint
	}
	router := ca.Client(t, "router", "Floe")
	good := serve(ca.Server(t, "backend"), true)
	stranger := serve(other.Server(t, "backend"), false)
	cnOnly := serve(ca.Issue(t, testcert.Options{Subject: pkix.Name{CommonName: "backend.example.com"}, Server: true}), false)
	for _, tc := range []struct {
		name string
		cfg  config.TLS
		ep   ice.Endpoint
		want string // in the error; "" for success
	}{
		{"verified, with the router's certificate", config.TLS{VerifyPeer: 2}, good, ""},
		{"server from an untrusted CA", config.TLS{VerifyPeer: 2}, stranger, "certificate verification failed"},
		{"VerifyPeer 0 accepts any server", config.TLS{VerifyPeer: 0}, stranger, ""},
		{"CheckCertName: the IP is in the certificate", config.TLS{VerifyPeer: 1, CheckCertName: true}, good, ""},
		{"CheckCertName: a CN is no IP address", config.TLS{VerifyPeer: 1, CheckCertName: true}, cnOnly, "IP address mismatch"},
		{"chain longer than VerifyDepthMax", config.TLS{VerifyPeer: 2, VerifyDepthMax: 1}, good, "exceeds maximum of 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Certificates, cfg.CAs = []tls.Certificate{router.TLS()}, ca.Pool()
			opts := &transport.Options{TLS: backendTLS(&cfg), MessageSizeMax: 1 << 20}
			c, err := transport.Dial(context.Background(), tc.ep, opts, nopHandler{}, nil)
			if err == nil {
				c.Abort(nil)
			}
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("dial: %v; want %q", err, tc.want)
			}
		})
	}
}

type nopHandler struct{}

func (nopHandler) Request(_ *transport.Conn, m *transport.Message) { m.Release() }
func (nopHandler) Heartbeat(*transport.Conn)                       {}
func (nopHandler) Closed(*transport.Conn, error)                   {}
