package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/internal/testcert"
)

// sslListen listens on an ssl endpoint with opts; each accepted connection
// is sent to accepted.
func sslListen(t *testing.T, opts *Options, h Handler, accepted chan<- *Conn) *Listener {
	t.Helper()
	l, err := Listen(ice.Endpoint{Type: ice.SSLEndpoint, Host: "127.0.0.1", Timeout: 5000}, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = l.Serve(h, func(c *Conn) {
			if accepted != nil {
				accepted <- c
			}
		})
	}()
	t.Cleanup(func() { _ = l.Close() })
	return l
}

type pki struct {
	ca, otherCA    *testcert.Authority
	server, client *testcert.Leaf
	stranger       *testcert.Leaf // a client certificate from otherCA
}

func newPKI(t *testing.T) *pki {
	ca := testcert.NewAuthority(t, "floe test CA")
	other := testcert.NewAuthority(t, "another CA")
	return &pki{ca: ca, otherCA: other, server: ca.Server(t, "router"), client: ca.Client(t, "alice", "Floe"),
		stranger: other.Client(t, "mallory", "Elsewhere")}
}

func (p *pki) serverOpts(auth tls.ClientAuthType) *Options {
	return &Options{MessageSizeMax: 1 << 20, TLS: &tls.Config{
		Certificates: []tls.Certificate{p.server.TLS()}, ClientAuth: auth, ClientCAs: p.ca.Pool()}}
}

// clientOpts trusts roots and presents cert, when given, whatever CAs the
// server names (as OpenSSL clients do; Go's would send nothing to a server
// that does not name the certificate's issuer).
func clientOpts(roots *x509.CertPool, cert ...*testcert.Leaf) *Options {
	cfg := &tls.Config{RootCAs: roots}
	if len(cert) > 0 {
		c := cert[0].TLS()
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &c, nil }
	}
	return &Options{MessageSizeMax: 1 << 20, TLS: cfg}
}

// roundTrip sends an echo request on c and checks the reply.
func roundTrip(t *testing.T, c *Conn, payload string) {
	t.Helper()
	target := make(chanTarget, 1)
	if err := c.SendRequest(request(1, []byte(payload)), target, 7); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-target:
		if r.err != nil {
			t.Fatal(r.err)
		}
		defer r.m.Release()
		rep, err := ice.ParseReply(r.m.Body())
		if err != nil || rep.Status != ice.ReplyOK || string(rep.Payload[6:]) != payload {
			t.Fatalf("reply %v %q %v", rep.Status, rep.Payload, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reply")
	}
}

func TestSSLCarriesIceMessagesBothWays(t *testing.T) {
	p := newPKI(t)
	accepted := make(chan *Conn, 1)
	l := sslListen(t, p.serverOpts(tls.RequireAndVerifyClientCert), &echoHandler{}, accepted)
	if l.Endpoint.Type != ice.SSLEndpoint || l.Endpoint.Port == 0 {
		t.Fatalf("listening endpoint %s", l.Endpoint.String())
	}
	c, err := Dial(context.Background(), l.Endpoint, clientOpts(p.ca.Pool(), p.client), &echoHandler{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort(nil)
	var server *Conn
	select {
	case server = <-accepted:
	case <-time.After(5 * time.Second):
		t.Fatal("not accepted")
	}

	roundTrip(t, c, "client to server")
	// The accepting side calls back on the same connection.
	roundTrip(t, server, "server to client")

	st, ok := server.TLSState()
	if !ok {
		t.Fatal("accepted ssl connection has no TLS state")
	}
	certs := PeerCertificates(&st)
	if len(certs) != 2 || !certs[0].Equal(p.client.Cert) || !certs[1].Equal(p.ca.Cert) {
		t.Errorf("peer certificates: got %d, want the client's verified chain", len(certs))
	}
	if dn, err := SubjectDN(certs[0]); err != nil || dn != "CN=alice,O=Floe" {
		t.Errorf("SubjectDN = %q, %v", dn, err)
	}
	if CipherName(st.CipherSuite) == "" {
		t.Error("no cipher name")
	}
	if cst, _ := c.TLSState(); !cst.PeerCertificates[0].Equal(p.server.Cert) {
		t.Error("the client does not see the server's certificate")
	}
}

func TestSSLHandshakeRefused(t *testing.T) {
	p := newPKI(t)
	cases := []struct {
		name   string
		server tls.ClientAuthType
		client *Options
		want   string // in the dialler's error
	}{
		{"client certificate required, none sent", tls.RequireAndVerifyClientCert,
			clientOpts(p.ca.Pool()), "certificate required"},
		{"client certificate from another CA", tls.VerifyClientCertIfGiven,
			clientOpts(p.ca.Pool(), p.stranger), "unknown certificate authority"},
		{"server certificate from a CA the client does not trust", tls.NoClientCert,
			clientOpts(p.otherCA.Pool(), p.client), "certificate signed by unknown authority"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			server := &echoHandler{}
			accepted := make(chan *Conn, 1)
			l := sslListen(t, p.serverOpts(tc.server), server, accepted)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := Dial(ctx, l.Endpoint, tc.client, &echoHandler{}, nil)
			if err == nil {
				c.Abort(nil)
				t.Fatal("the handshake succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("dial error %q; want it to say %q", err, tc.want)
			}
			select {
			case <-accepted:
				t.Error("the listener accepted the connection")
			case <-time.After(100 * time.Millisecond):
			}
		})
	}
}

func TestSSLClientCertificateOptional(t *testing.T) {
	p := newPKI(t)
	accepted := make(chan *Conn, 1)
	l := sslListen(t, p.serverOpts(tls.VerifyClientCertIfGiven), &echoHandler{}, accepted)
	c, err := Dial(context.Background(), l.Endpoint, clientOpts(p.ca.Pool()), &echoHandler{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort(nil)
	roundTrip(t, c, "anonymous")
	st, _ := (<-accepted).TLSState()
	if len(PeerCertificates(&st)) != 0 {
		t.Error("peer certificates without a client certificate")
	}
}

func TestSSLNeedsACertificateToListen(t *testing.T) {
	for _, opts := range []*Options{{}, {TLS: &tls.Config{}}} {
		_, err := Listen(ice.Endpoint{Type: ice.SSLEndpoint, Host: "127.0.0.1"}, opts, nil)
		if !errors.Is(err, ErrNoCertificate) {
			t.Errorf("Listen without a certificate: %v; want ErrNoCertificate", err)
		}
	}
}

// A TCP connection on an ssl endpoint gets nowhere: the handshake fails and
// the listener closes it without a ValidateConnection.
func TestSSLRefusesPlainIce(t *testing.T) {
	p := newPKI(t)
	l := sslListen(t, p.serverOpts(tls.NoClientCert), &echoHandler{}, nil)
	tcp := l.Endpoint
	tcp.Type = ice.TCPEndpoint
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if c, err := Dial(ctx, tcp, &Options{MessageSizeMax: 1 << 20}, &echoHandler{}, nil); err == nil {
		c.Abort(nil)
		t.Fatal("a plain TCP client was validated on an ssl endpoint")
	}
}

// waitParks waits until c has parked more than after times.
func waitParks(t *testing.T, c *Conn, after int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for c.Parks() <= after && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if c.Parks() <= after {
		t.Fatalf("idle ssl connection did not park (parked %d times)", c.Parks())
	}
}

// An idle TLS connection gives up its reader like a plain one, and its
// parked side still reads requests and the replies to its own calls.
func TestSSLIdleConnectionParksAndWakes(t *testing.T) {
	p := newPKI(t)
	opts := p.serverOpts(tls.NoClientCert)
	opts.ParkIdleAfter = 100 * time.Millisecond
	accepted := make(chan *Conn, 1)
	l := sslListen(t, opts, &echoHandler{}, accepted)
	c, err := Dial(context.Background(), l.Endpoint, clientOpts(p.ca.Pool()), &echoHandler{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Abort(nil)
	server := <-accepted
	for i := range 3 {
		waitParks(t, server, int64(i))
		if n := Parked(); n < 1 {
			t.Fatalf("Parked() = %d with a parked connection", n)
		}
		if i%2 == 0 {
			roundTrip(t, c, "to a parked reader")
		} else {
			roundTrip(t, server, "from a parked reader")
		}
	}
}

// A message whose bytes stop arriving while the router asks idle readers
// to park is read to its end, wherever it stopped: in the header, inside a
// TLS record, between the records of a large message, or not at all (the
// reader parks between messages and the next one wakes it).
func TestSSLMessageSplitAcrossAParkRequestIsReadWhole(t *testing.T) {
	p := newPKI(t)
	payload := make([]byte, 40<<10) // three TLS records
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	m := request(9, payload)
	cases := []struct {
		name  string
		split int
	}{
		{"in the header", 5},
		{"inside the first record", 4 << 10},
		{"between records", 16 << 10},
		{"after the message", len(m.Buf)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := p.serverOpts(tls.NoClientCert)
			opts.ParkIdleAfter = 100 * time.Millisecond
			accepted := make(chan *Conn, 1)
			l := sslListen(t, opts, &echoHandler{}, accepted)
			nc, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: p.ca.Pool()})
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
			if _, _, err := readMessage(nc); err != nil {
				t.Fatal(err)
			}
			server := <-accepted
			parks := server.Parks()
			if _, err := nc.Write(m.Buf[:tc.split]); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2500 * time.Millisecond) // the park sweep runs every second
			rest := m.Buf[tc.split:]
			if len(rest) == 0 {
				if server.Parks() == parks {
					t.Error("the reader did not park between messages")
				}
				rest = m.Buf
			} else if server.Parks() != parks {
				t.Error("the reader parked in the middle of a message")
			}
			if _, err := nc.Write(rest); err != nil {
				t.Fatal(err)
			}
			for range 1 + len(rest)/len(m.Buf) {
				h, body, err := readMessage(nc)
				if err != nil {
					t.Fatalf("no reply: %v", err)
				}
				if h.Type != ice.ReplyMsg || len(body) < len(payload) || !bytes.Equal(body[len(body)-len(payload):], payload) {
					t.Fatalf("got a %s of %d bytes, want the echo of %d", h.Type, len(body), len(payload))
				}
			}
		})
	}
}

// recordCounter counts the TLS records read through it.
type recordCounter struct {
	net.Conn
	mu      sync.Mutex
	records int
	hdr     []byte // a record header read in part
	left    int    // bytes of the current record still to come
}

func (r *recordCounter) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	for b := p[:n]; len(b) > 0; {
		if r.left > 0 {
			k := min(r.left, len(b))
			r.left, b = r.left-k, b[k:]
			continue
		}
		k := min(5-len(r.hdr), len(b))
		r.hdr, b = append(r.hdr, b[:k]...), b[k:]
		if len(r.hdr) == 5 {
			r.records++
			r.left = int(binary.BigEndian.Uint16(r.hdr[3:]))
			r.hdr = r.hdr[:0]
		}
	}
	return n, err
}

func (r *recordCounter) reset() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.records
	r.records = 0
	return n
}

// A batch of small messages leaves in one TLS record (one write and one
// seal), not one per message; a batch over the coalescing bound may take
// several.
func TestSSLBatchOfMessagesGoesOutInOneRecord(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		name      string
		messages  int
		payload   int
		oneRecord bool
	}{
		{"one message", 1, 100, true},
		{"eight small messages", 8, 100, true},
		{"over the coalescing bound", 3, 8000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			accepted := make(chan *Conn, 1)
			l := sslListen(t, p.serverOpts(tls.NoClientCert), &echoHandler{}, accepted)
			raw, err := net.Dial("tcp", hostPort(&l.Endpoint))
			if err != nil {
				t.Fatal(err)
			}
			counter := &recordCounter{Conn: raw}
			tc2 := tls.Client(counter, &tls.Config{RootCAs: p.ca.Pool(), ServerName: "localhost"})
			defer tc2.Close()
			if _, _, err := readMessage(tc2); err != nil { // ValidateConnection
				t.Fatal(err)
			}
			server := <-accepted
			counter.reset()

			want := bytes.Join(postBatch(t, server, tc.messages, tc.payload), nil)
			got := make([]byte, len(want))
			if _, err := io.ReadFull(tc2, got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatal("the messages arrived changed")
			}
			switch n := counter.reset(); {
			case tc.oneRecord && n != 1:
				t.Errorf("%d records; want 1", n)
			case !tc.oneRecord && n < 2:
				t.Errorf("%d records for %d bytes; want more than one", n, len(want))
			}
		})
	}
}
