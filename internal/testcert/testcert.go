// Package testcert makes the X.509 certificates floe's TLS tests need: a
// certificate authority and the server and client certificates it issues,
// in memory (for crypto/tls) and as the PEM and PKCS#12 files IceSSL and
// floe read. Nothing is fetched or stored: every test makes its own.
//
// This package is for tests only; it imports nothing else of floe's.
package testcert

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// Authority is a certificate authority: a self-signed CA certificate and
// its key.
type Authority struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Leaf is a certificate issued by an Authority, with its key.
type Leaf struct {
	Cert   *x509.Certificate
	Key    crypto.Signer
	Issuer *Authority
}

// Options describe a certificate to issue.
type Options struct {
	// Subject is the certificate's subject; a CommonName alone is enough.
	Subject pkix.Name
	// RawSubject, when set, is the DER subject used instead of Subject, for
	// names crypto/x509 cannot express (string types, multi-valued RDNs).
	RawSubject []byte
	DNSNames   []string
	IPs        []net.IP
	// Client and Server select the extended key usages; neither means both.
	Client, Server bool
}

var serial atomic.Int64

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// NewAuthority makes a CA named cn.
func NewAuthority(t testing.TB, cn string) *Authority {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"floe tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &Authority{Cert: cert, Key: key}
}

// Issue makes a certificate signed by a.
func (a *Authority) Issue(t testing.TB, o Options) *Leaf {
	t.Helper()
	key := newKey(t)
	usage := []x509.ExtKeyUsage{}
	if o.Server || !o.Client {
		usage = append(usage, x509.ExtKeyUsageServerAuth)
	}
	if o.Client || !o.Server {
		usage = append(usage, x509.ExtKeyUsageClientAuth)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      o.Subject,
		RawSubject:   o.RawSubject,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  usage,
		DNSNames:     o.DNSNames,
		IPAddresses:  o.IPs,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.Cert, key.Public(), a.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &Leaf{Cert: cert, Key: key, Issuer: a}
}

// Server issues a server certificate for 127.0.0.1 and localhost.
func (a *Authority) Server(t testing.TB, cn string) *Leaf {
	t.Helper()
	return a.Issue(t, Options{Subject: pkix.Name{CommonName: cn}, DNSNames: []string{"localhost"},
		IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, Server: true})
}

// Client issues a client certificate with subject CN=cn, O=org.
func (a *Authority) Client(t testing.TB, cn, org string) *Leaf {
	t.Helper()
	return a.Issue(t, Options{Subject: pkix.Name{CommonName: cn, Organization: []string{org}}, Client: true})
}

// Pool is a pool holding only a's certificate.
func (a *Authority) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(a.Cert)
	return p
}

// PEM is a's certificate in PEM.
func (a *Authority) PEM() []byte { return CertPEM(a.Cert) }

// CertPEM encodes a certificate in PEM, as OpenSSL writes it.
func CertPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// TLS is the certificate for a tls.Config.
func (l *Leaf) TLS() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{l.Cert.Raw}, PrivateKey: l.Key, Leaf: l.Cert}
}

// CertPEM is the certificate in PEM.
func (l *Leaf) CertPEM() []byte { return CertPEM(l.Cert) }

// KeyPEM is the private key in unencrypted PKCS#8 PEM.
func (l *Leaf) KeyPEM(t testing.TB) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(l.Key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// PKCS12 is the certificate, its key and its issuer in a PKCS#12 file
// protected by password.
func (l *Leaf) PKCS12(t testing.TB, password string) []byte {
	t.Helper()
	data, err := pkcs12.Modern.Encode(l.Key, l.Cert, []*x509.Certificate{l.Issuer.Cert}, password)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Files are certificate files written in a directory.
type Files struct {
	Dir  string
	Cert string // the certificate in PEM
	Key  string // its key in PEM
	P12  string // both, with the CA, in PKCS#12
	CA   string // the issuer's certificate in PEM
}

// Write writes l's files in dir as <name>.pem, <name>_key.pem, <name>.p12
// (protected by password) and <name>_ca.pem; the paths are absolute.
func (l *Leaf) Write(t testing.TB, dir, name, password string) Files {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := Files{Dir: abs, Cert: filepath.Join(abs, name+".pem"), Key: filepath.Join(abs, name+"_key.pem"),
		P12: filepath.Join(abs, name+".p12"), CA: filepath.Join(abs, name+"_ca.pem")}
	for path, data := range map[string][]byte{
		f.Cert: l.CertPEM(), f.Key: l.KeyPEM(t), f.P12: l.PKCS12(t, password), f.CA: l.Issuer.PEM(),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return f
}
