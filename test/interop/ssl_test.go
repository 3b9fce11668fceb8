package interop

import (
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floe-router/floe/core/transport"
	"github.com/floe-router/floe/internal/testcert"
	"github.com/floe-router/floe/internal/testutil"
)

// sslPKI is what the ssl scenarios run with: a CA, the router's
// certificate, and a client certificate whose subject has the parts IceSSL
// spells in its own way (several RDNs, a non-ASCII character).
type sslPKI struct {
	dir    string
	ca     *testcert.Authority
	router testcert.Files
	alice  testcert.Files
	// aliceCert and caCert are the PEM IceSSL encodes them as.
	aliceCert, caCert string
	// aliceDN is the user id Glacier2 takes from alice's certificate.
	aliceDN string
}

const sslPassword = "interop"

func pkixName(cn, ou, o string) pkix.Name {
	return pkix.Name{CommonName: cn, OrganizationalUnit: []string{ou}, Organization: []string{o}}
}

func newSSLPKI(t *testing.T) *sslPKI {
	t.Helper()
	dir := t.TempDir()
	ca := testcert.NewAuthority(t, "floe interop CA")
	alice := ca.Issue(t, testcert.Options{Client: true, Subject: pkixName("Zoë Alice", "Interop Tests", "Floe")})
	dn, err := transport.SubjectDN(alice.Cert)
	if err != nil {
		t.Fatal(err)
	}
	return &sslPKI{
		dir:       dir,
		ca:        ca,
		router:    ca.Server(t, "router").Write(t, dir, "router", sslPassword),
		alice:     alice.Write(t, dir, "alice", sslPassword),
		aliceCert: transport.CertificatePEM(alice.Cert),
		caCert:    transport.CertificatePEM(ca.Cert),
		aliceDN:   dn,
	}
}

// iceSSL are the IceSSL properties of a peer presenting files (none: no
// certificate) and trusting the CA.
func (p *sslPKI) iceSSL(files *testcert.Files) props {
	pr := props{
		"Ice.Plugin.IceSSL": "IceSSL:createIceSSL",
		"IceSSL.DefaultDir": p.dir,
		"IceSSL.CAs":        "router_ca.pem",
	}
	if files != nil {
		pr["IceSSL.CertFile"] = strings.TrimPrefix(files.P12, p.dir+"/")
		pr["IceSSL.Password"] = sslPassword
	}
	return pr
}

// sslRouter is a router under test with a tcp and an ssl client endpoint.
type sslRouter struct {
	proc     *testutil.Process
	tcp, ssl string // its Glacier2::Router proxy on each endpoint
	sslPort  int
}

// sslRouter starts the router under test with both client endpoints, the
// router's IceSSL properties and p. (env.router listens on tcp only.)
func (e *env) sslRouter(t *testing.T, pki *sslPKI, p props) *sslRouter {
	t.Helper()
	for attempt := 1; ; attempt++ {
		ports := testutil.FreePorts(t, 2)
		tcpPort, sslPort := ports[0], ports[1]
		all := pki.iceSSL(&pki.router)
		maps.Copy(all, props{
			"Glacier2.InstanceName":     instanceName,
			"Glacier2.Client.Endpoints": fmt.Sprintf("tcp -h 127.0.0.1 -p %d : ssl -h 127.0.0.1 -p %d", tcpPort, sslPort),
			"Glacier2.Trace.Session":    "1", // glacier2router then logs each session's user id
		})
		maps.Copy(all, p)
		args := append(slices.Clone(e.prefix), all.args()...)
		t.Logf("%s %q", e.path, args)
		proc := testutil.Start(t, testutil.Options{Name: e.kind, Path: e.path, Args: args})
		err := proc.WaitPort(tcpPort, readyTimeout)
		if err == nil {
			err = proc.WaitPort(sslPort, readyTimeout)
		}
		if err == nil {
			return &sslRouter{proc: proc, sslPort: sslPort,
				tcp: fmt.Sprintf("%s/router:tcp -h 127.0.0.1 -p %d", instanceName, tcpPort),
				ssl: fmt.Sprintf("%s/router:ssl -h 127.0.0.1 -p %d", instanceName, sslPort)}
		}
		// glacier2router says "Address already in use", floe "address already in use".
		if attempt < 3 && strings.Contains(strings.ToLower(proc.Stderr()), "address already in use") {
			proc.Kill()
			continue
		}
		t.Fatal(err)
	}
}

// sslVerifier starts ssl_verifier.py and returns its proxy (and the SSL
// session manager's, with sessionManager).
func sslVerifier(t *testing.T, sessionManager bool) (verifierProxy, managerProxy string, proc *testutil.Process) {
	t.Helper()
	var args []string
	if sessionManager {
		args = append(args, "--session-manager")
	}
	proc = startPython(t, "ssl verifier", "ssl_verifier.py", false, args...)
	waitProxy(t, proc, "CONTEXTHELLO")
	if sessionManager {
		managerProxy = waitProxy(t, proc, "SSLSESSIONMANAGER")
	}
	return waitProxy(t, proc, "READY"), managerProxy, proc
}

// sslClient runs ssl_client.py's scenario through routerProxy with the
// client's IceSSL properties.
func sslClient(t *testing.T, routerProxy, scenario string, iceSSL props, args ...string) result {
	t.Helper()
	iceArgs := iceSSL.args()
	return clientResult(t, startPython(t, "ssl client "+scenario, "ssl_client.py", false,
		append(append([]string{scenario, "--router", routerProxy}, args...), iceArgs...)...))
}

// sslCall is what the verifier or session manager printed of a call.
type sslCall struct {
	RemoteHost string            `json:"remoteHost"`
	RemotePort int               `json:"remotePort"`
	LocalHost  string            `json:"localHost"`
	LocalPort  int               `json:"localPort"`
	Cipher     string            `json:"cipher"`
	Certs      []string          `json:"certs"`
	Context    map[string]string `json:"context"`
	Control    bool              `json:"control"`
}

func waitSSLCall(t *testing.T, p *testutil.Process, prefix string) sslCall {
	t.Helper()
	line, err := p.WaitLine(prefix+" ", readyTimeout)
	if err != nil {
		t.Fatal(err)
	}
	var c sslCall
	if err := json.Unmarshal([]byte(strings.TrimPrefix(line, prefix+" ")), &c); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return c
}

// The cipher every client of these scenarios asks for, so that both
// routers must negotiate it and report it by the same name.
const (
	sslCipher   = "ECDHE-ECDSA-AES128-GCM-SHA256"
	sslProtocol = "tls1_2"
)

// userLogged checks that the router logged the session's user id: in
// glacier2router's session trace ("id = <user>"), or in floe's log.
func userLogged(t *testing.T, e *env, r *sslRouter, user string) {
	t.Helper()
	want := "id = " + user
	if e.kind == "floe" {
		want = "user=" + user
		if strings.Contains(user, " ") {
			want = `user="` + user + `"` // hclog quotes a value with spaces
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(r.proc.Stderr(), want) {
		if time.Now().After(deadline) {
			t.Errorf("the router did not log the session's user id %q (looked for %q):\n%s", user, want, r.proc.Stderr())
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var sslScenarios = []scenario{
	{"secure-session", func(t *testing.T, e *env) {
		pki := newSSLPKI(t)
		hello, _ := server(t, "A")
		v, _, vproc := sslVerifier(t, false)
		r := e.sslRouter(t, pki, props{"Glacier2.SSLPermissionsVerifier": v, "Glacier2.AddConnectionContext": "2"})

		client := pki.iceSSL(&pki.alice)
		client["IceSSL.Protocols"], client["IceSSL.Ciphers"] = sslProtocol, sslCipher
		res := sslClient(t, r.ssl, "secure", client, "--hello", hello)
		res.want(t, "createSession", nil) // no SSL session manager: a null session proxy
		res.want(t, "sayHello", "Hello secure client from hello-A")
		res.want(t, "destroySession", nil)

		call := waitSSLCall(t, vproc, "AUTHORIZE")
		if call.RemoteHost != "127.0.0.1" || call.LocalHost != "127.0.0.1" || call.LocalPort != r.sslPort || call.RemotePort <= 0 {
			t.Errorf("SSLInfo addresses %s:%d -> %s:%d; want 127.0.0.1:* -> 127.0.0.1:%d",
				call.RemoteHost, call.RemotePort, call.LocalHost, call.LocalPort, r.sslPort)
		}
		if call.Cipher != sslCipher {
			t.Errorf("SSLInfo.cipher = %q; want %q", call.Cipher, sslCipher)
		}
		if !slices.Equal(call.Certs, []string{pki.aliceCert, pki.caCert}) {
			t.Errorf("SSLInfo.certs = %q; want the client's certificate and the CA's, in PEM", call.Certs)
		}
		wantCtx := map[string]string{
			"_con.type": "ssl", "_con.remoteAddress": "127.0.0.1", "_con.remotePort": strconv.Itoa(call.RemotePort),
			"_con.localAddress": "127.0.0.1", "_con.localPort": strconv.Itoa(r.sslPort),
			"_con.cipher": sslCipher, "_con.peerCert": pki.aliceCert,
		}
		if !maps.Equal(call.Context, wantCtx) {
			t.Errorf("connection context %q;\nwant %q", call.Context, wantCtx)
		}
		userLogged(t, e, r, pki.aliceDN)
	}},
	// floe parks the reader of a client connection quiet for a second; a
	// session over TLS goes on as before after a longer pause, and a
	// message of many TLS records still arrives whole.
	{"secure-session-idle", func(t *testing.T, e *env) {
		pki := newSSLPKI(t)
		hello, _ := server(t, "A")
		v, _, _ := sslVerifier(t, false)
		r := e.sslRouter(t, pki, props{"Glacier2.SSLPermissionsVerifier": v})
		res := sslClient(t, r.ssl, "secure-idle", pki.iceSSL(&pki.alice), "--hello", hello, "--idle", "2.5",
			"--size", "200000")
		res.want(t, "sayHello", "Hello secure client from hello-A")
		res.want(t, "sayHelloAfterIdle", "Hello secure client from hello-A")
		res.want(t, "echoed", map[string]any{"sent": 200000, "received": 200000, "equal": true})
		res.want(t, "destroySession", nil)
	}},
	{"secure-session-manager", func(t *testing.T, e *env) {
		pki := newSSLPKI(t)
		hello, _ := server(t, "A")
		v, manager, vproc := sslVerifier(t, true)
		r := e.sslRouter(t, pki, props{"Glacier2.SSLPermissionsVerifier": v, "Glacier2.SSLSessionManager": manager,
			"Glacier2.Server.Endpoints": serverEndpoints})
		res := sslClient(t, r.ssl, "secure", pki.iceSSL(&pki.alice), "--hello", hello)
		if s := res.str(t, "createSession"); s == "" {
			t.Error("createSessionFromSecureConnection returned a null proxy with an SSL session manager")
		}
		res.want(t, "sayHello", "Hello secure client from hello-A")
		waitSSLCall(t, vproc, "AUTHORIZE")
		created := waitSSLCall(t, vproc, "SSL-SESSION-CREATED")
		if !created.Control || !slices.Equal(created.Certs, []string{pki.aliceCert, pki.caCert}) || len(created.Context) != 0 {
			t.Errorf("SSLSessionManager.create got control %v, %d certificates, context %q; want a control, the chain, no _con entries",
				created.Control, len(created.Certs), created.Context)
		}
		// TLS 1.3 by default: a suite both OpenSSL and Go name alike.
		if !strings.HasPrefix(created.Cipher, "TLS_") {
			t.Errorf("cipher %q; want a TLS 1.3 suite", created.Cipher)
		}
		if _, err := vproc.WaitLine("SSL-SESSION-DESTROYED", 5*time.Second); err != nil {
			t.Error(err)
		}
	}},
	{"secure-session-without-certificate", func(t *testing.T, e *env) {
		pki := newSSLPKI(t)
		hello, _ := server(t, "A")
		v, _, _ := sslVerifier(t, false)
		r := e.sslRouter(t, pki, props{"Glacier2.SSLPermissionsVerifier": v}) // IceSSL.VerifyPeer: 2 by default
		res := sslClient(t, r.ssl, "secure", pki.iceSSL(nil), "--hello", hello)
		// The TLS 1.3 handshake completes on the client's side before the
		// router checks the certificate; the client learns of the refusal
		// from the alert that follows, on its first read.
		err := res.wantErr(t, "router", "::Ice::ProtocolException")
		if !strings.HasPrefix(err.Reason, "SSL protocol error during read") {
			t.Errorf("ProtocolException reason %q; want the SSL error", err.Reason)
		}
	}},
	{"secure-session-optional-certificate", func(t *testing.T, e *env) {
		pki := newSSLPKI(t)
		hello, _ := server(t, "A")
		v, _, vproc := sslVerifier(t, false)
		r := e.sslRouter(t, pki, props{"Glacier2.SSLPermissionsVerifier": v, "IceSSL.VerifyPeer": "1"})
		res := sslClient(t, r.ssl, "secure", pki.iceSSL(nil), "--hello", hello)
		err := res.wantErr(t, "createSession", "::Glacier2::PermissionDeniedException")
		if err.Reason != "no certificate" {
			t.Errorf("reason %q; want the verifier's %q", err.Reason, "no certificate")
		}
		if call := waitSSLCall(t, vproc, "AUTHORIZE"); len(call.Certs) != 0 {
			t.Errorf("%d certificates without a client certificate", len(call.Certs))
		}
	}},
	{"secure-session-on-tcp", func(t *testing.T, e *env) {
		pki := newSSLPKI(t)
		hello, _ := server(t, "A")
		v, _, _ := sslVerifier(t, false)
		r := e.sslRouter(t, pki, props{"Glacier2.SSLPermissionsVerifier": v})
		res := sslClient(t, r.tcp, "secure", pki.iceSSL(&pki.alice), "--hello", hello)
		err := res.wantErr(t, "createSession", "::Glacier2::PermissionDeniedException")
		if err.Reason != "not ssl connection" {
			t.Errorf("reason %q; want %q", err.Reason, "not ssl connection")
		}
	}},
	{"secure-session-unreadable-dn", func(t *testing.T, e *env) {
		// OpenSSL prints CN=a=b without escaping the '=', which IceSSL's
		// parser then refuses: Glacier2 fails the call with the
		// IceSSL::ParseException, which is no Ice exception.
		pki := newSSLPKI(t)
		odd := pki.ca.Issue(t, testcert.Options{Client: true, Subject: pkix.Name{CommonName: "a=b"}}).
			Write(t, pki.dir, "odd", sslPassword)
		r := e.sslRouter(t, pki, props{"Glacier2.SSLPermissionsVerifier": instanceName + "/NullSSLPermissionsVerifier"})
		res := sslClient(t, r.ssl, "secure", pki.iceSSL(&odd))
		err := res.wantErr(t, "createSession", "::Ice::UnknownException")
		if !strings.Contains(err.Unknown, "::IceSSL::ParseException") {
			t.Errorf("UnknownException.unknown = %q; want IceSSL's ParseException", err.Unknown)
		}
	}},
	{"secure-connection-context", func(t *testing.T, e *env) {
		pki := newSSLPKI(t)
		proc := startPython(t, "ssl verifier", "ssl_verifier.py", false)
		hello := waitProxy(t, proc, "CONTEXTHELLO")
		v := waitProxy(t, proc, "READY")
		for _, forward := range []string{"0", "1"} {
			r := e.sslRouter(t, pki, props{"Glacier2.SSLPermissionsVerifier": v, "Glacier2.AddConnectionContext": "1",
				"Glacier2.Client.ForwardContext": forward})
			res := sslClient(t, r.ssl, "secure-context", pki.iceSSL(&pki.alice), "--hello", hello)
			var plain, spoofed map[string]string
			res.value(t, "plain", &plain)
			res.value(t, "spoofed", &spoofed)
			con := maps.Clone(plain)
			if con["_con.type"] != "ssl" || con["_con.remoteAddress"] != "127.0.0.1" || con["_con.peerCert"] != pki.aliceCert ||
				con["_con.localPort"] != strconv.Itoa(r.sslPort) || con["_con.cipher"] == "" || len(con) != 7 {
				t.Errorf("ForwardContext=%s: the server got %q; want the seven _con entries of the client's ssl connection", forward, con)
			}
			want := con
			if forward == "1" {
				want = maps.Clone(con)
				want["a"] = "1"
				// Glacier2 keeps a client's own _con entry (std::map::insert
				// does not replace); floe replaces it, so that a client cannot
				// pass for another address.
				if e.kind == "glacier2" {
					want["_con.remoteAddress"] = "6.6.6.6"
				}
			}
			if !maps.Equal(spoofed, want) {
				t.Errorf("ForwardContext=%s, a client context naming another address: the server got %q; want %q", forward, spoofed, want)
			}
		}
	}},
	{"secure-session-unconfigured", func(t *testing.T, e *env) {
		pki := newSSLPKI(t)
		r := e.sslRouter(t, pki, props{"Glacier2.PermissionsVerifier": nullVerifier})
		res := sslClient(t, r.ssl, "secure", pki.iceSSL(&pki.alice))
		err := res.wantErr(t, "createSession", "::Glacier2::PermissionDeniedException")
		if err.Reason != "no configured ssl permissions verifier" {
			t.Errorf("reason %q; want %q", err.Reason, "no configured ssl permissions verifier")
		}
	}},
}

// The ssl scenarios run with the others, as TestInterop/<router>/secure-*.
func init() { scenarios = append(scenarios, sslScenarios...) }
