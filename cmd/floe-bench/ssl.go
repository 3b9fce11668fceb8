package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// benchTLS is what the ssl scenarios need: a self-signed certificate for
// 127.0.0.1 that every router presents on its ssl endpoint (made at bench
// start, in a temporary directory), and the clients' TLS settings, which
// trust it. ECDSA P-256 keeps 10,000 handshakes to seconds.
type benchTLS struct {
	dir    string
	client *tls.Config
}

func newBenchTLS() (*benchTLS, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "floe-bench router"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "floe-bench-tls-")
	if err != nil {
		return nil, err
	}
	for name, block := range map[string]*pem.Block{
		"router.pem": {Type: "CERTIFICATE", Bytes: der},
		"router.key": {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("writing the bench's certificate: %w", err)
		}
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return &benchTLS{dir: dir, client: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}}, nil
}

// routerProps are the IceSSL properties both routers read.
func (b *benchTLS) routerProps() map[string]string {
	return map[string]string{
		"Ice.Plugin.IceSSL": "IceSSL:createIceSSL",
		"IceSSL.DefaultDir": b.dir,
		"IceSSL.CertFile":   "router.pem",
		"IceSSL.KeyFile":    "router.key",
		"IceSSL.VerifyPeer": "0",
	}
}

func (b *benchTLS) remove() { os.RemoveAll(b.dir) }
