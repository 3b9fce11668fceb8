package config

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/floe-router/floe/core/ice"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"software.sslmate.com/src/go-pkcs12"
)

// TLS configures the ssl transport for every connection the router makes
// or accepts, as IceSSL configures glacier2router's communicator: the
// router's certificate (presented by its ssl endpoints, and to servers that
// ask for one), the certificate authorities it trusts, and how it checks
// peers. Both front ends load the files, so a Config with TLS holds the
// certificates themselves; paths are kept for messages.
type TLS struct {
	// CertFile is the router's certificate: PEM (the certificate, then its
	// chain; the key too when KeyFile is empty) or PKCS#12 (certificate,
	// key and chain). IceSSL.CertFile may name two, for two key types.
	CertFile []string
	// KeyFile is the PEM private key of each CertFile.
	KeyFile []string
	// Password decrypts PKCS#12 files and encrypted PEM keys.
	Password string
	// CAFile is a PEM file, or a directory of PEM files, with the
	// certificates of the authorities trusted to verify peers.
	CAFile string
	// VerifyPeer is IceSSL.VerifyPeer. On accepted connections: 0 asks no
	// client certificate, 1 verifies one if sent, 2 requires one. On the
	// router's own connections: 0 accepts any server certificate, 1 and 2
	// verify it.
	VerifyPeer int
	// CheckCertName checks, on the router's own connections, that the
	// server's certificate names the host of the endpoint dialled (its IP
	// addresses, its DNS names, else its common name), as IceSSL does.
	CheckCertName bool
	// VerifyDepthMax refuses peers whose verified chain (the peer's
	// certificate to the root) is longer; 0 means no maximum.
	VerifyDepthMax int
	// MinVersion and MaxVersion bound the TLS versions (tls.VersionTLS12
	// ...); zero means Go's defaults.
	MinVersion, MaxVersion uint16

	// Certificates are the loaded CertFile and KeyFile.
	Certificates []tls.Certificate
	// CAs are the loaded CAFile; nil means the system's roots.
	CAs *x509.CertPool
}

// IceSSL's defaults.
const (
	DefaultVerifyPeer     = 2
	DefaultVerifyDepthMax = 3
)

// tlsFile says which setting a TLS loading problem comes from.
type tlsFile int

const (
	certFile tlsFile = iota
	keyFile
	caFile
)

type tlsError struct {
	file tlsFile
	err  error
}

func (e *tlsError) Error() string { return e.err.Error() }
func (e *tlsError) Unwrap() error { return e.err }

func tlsErrorf(f tlsFile, format string, args ...any) error {
	return &tlsError{file: f, err: fmt.Errorf(format, args...)}
}

// load reads the files t names into Certificates and CAs. Every error is
// a *tlsError.
func (t *TLS) load() error {
	t.Certificates = nil
	for i, cf := range t.CertFile {
		kf := cf
		if i < len(t.KeyFile) {
			kf = t.KeyFile[i]
		}
		c, err := loadKeyPair(cf, kf, t.Password)
		if err != nil {
			return err
		}
		t.Certificates = append(t.Certificates, c)
	}
	if t.CAFile != "" {
		pool, err := loadCAs(t.CAFile)
		if err != nil {
			return err
		}
		t.CAs = pool
	}
	return nil
}

func readFile(f tlsFile, path, what string) ([]byte, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, tlsErrorf(f, "%s not found: %s", what, path)
	case err != nil:
		return nil, tlsErrorf(f, "cannot read %s: %v", what, err)
	}
	return data, nil
}

func isPEM(data []byte) bool { return strings.Contains(string(data), "-----BEGIN ") }

// loadKeyPair reads a certificate and its key: PKCS#12 (the key and chain
// inside; keyPath is not read), or PEM, as IceSSL tries them.
func loadKeyPair(certPath, keyPath, password string) (tls.Certificate, error) {
	data, err := readFile(certFile, certPath, "certificate file")
	if err != nil {
		return tls.Certificate{}, err
	}
	var chain []*x509.Certificate
	var key crypto.PrivateKey
	if !isPEM(data) {
		k, leaf, cas, err := pkcs12.DecodeChain(data, password)
		switch {
		case errors.Is(err, pkcs12.ErrIncorrectPassword):
			return tls.Certificate{}, tlsErrorf(certFile, "unable to load certificate chain from file %s: invalid password", certPath)
		case err != nil:
			return tls.Certificate{}, tlsErrorf(certFile, "%s is neither a PEM nor a PKCS#12 file: %v", certPath, err)
		}
		chain, key = append([]*x509.Certificate{leaf}, cas...), k
	} else {
		if chain, err = pemCertificates(certFile, certPath, data); err != nil {
			return tls.Certificate{}, err
		}
		if len(chain) == 0 {
			return tls.Certificate{}, tlsErrorf(certFile, "no certificate in %s", certPath)
		}
		if key, err = loadKey(keyPath, password, keyPath == certPath); err != nil {
			return tls.Certificate{}, err
		}
	}
	pub, ok := chain[0].PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	signer, isSigner := key.(crypto.Signer)
	if !ok || !isSigner || !pub.Equal(signer.Public()) {
		f := keyFile
		if keyPath == certPath {
			f = certFile
		}
		return tls.Certificate{}, tlsErrorf(f, "the private key in %s does not match the certificate in %s", keyPath, certPath)
	}
	c := tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, x := range chain {
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c, nil
}

// pemCertificates parses the certificates of a PEM file.
func pemCertificates(f tlsFile, path string, data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return certs, nil
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, tlsErrorf(f, "invalid certificate in %s: %v", path, err)
		}
		certs = append(certs, c)
	}
}

// loadKey reads the first private key of a PEM file.
func loadKey(path, password string, inCertFile bool) (crypto.PrivateKey, error) {
	f := keyFile
	if inCertFile {
		f = certFile
	}
	data, err := readFile(f, path, "key file")
	if err != nil {
		return nil, err
	}
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			continue
		}
		der := b.Bytes
		//lint:ignore SA1019 legacy PEM encryption is insecure, but it is what OpenSSL's -des3 and -aes256 keys use and IceSSL reads
		if x509.IsEncryptedPEMBlock(b) {
			//lint:ignore SA1019 as above
			if der, err = x509.DecryptPEMBlock(b, []byte(password)); err != nil {
				return nil, tlsErrorf(f, "unable to load private key from file %s: invalid password", path)
			}
		}
		if b.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, tlsErrorf(f, "%s holds an encrypted PKCS#8 key, which floe cannot read yet: use a PKCS#12 file (openssl pkcs12 -export) or an unencrypted key", path)
		}
		if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
			return k, nil
		}
		if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
			return k, nil
		}
		if k, err := x509.ParseECPrivateKey(der); err == nil {
			return k, nil
		}
		return nil, tlsErrorf(f, "invalid private key in %s", path)
	}
	return nil, tlsErrorf(f, "no private key in %s", path)
}

// loadCAs reads a PEM file of certificates, or every PEM file of a
// directory.
func loadCAs(path string) (*x509.CertPool, error) {
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, tlsErrorf(caFile, "CA certificate path not found: %s", path)
		}
		return nil, tlsErrorf(caFile, "cannot read CA certificates: %v", err)
	}
	files := []string{path}
	if info.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, tlsErrorf(caFile, "cannot read CA certificates: %v", err)
		}
		files = files[:0]
		for _, e := range entries {
			if e.Type().IsRegular() {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	pool := x509.NewCertPool()
	n := 0
	for _, f := range files {
		data, err := readFile(caFile, f, "CA certificate file")
		if err != nil {
			return nil, err
		}
		certs, err := pemCertificates(caFile, f, data)
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			pool.AddCert(c)
		}
		n += len(certs)
	}
	if n == 0 {
		return nil, tlsErrorf(caFile, "no PEM certificate in %s", path)
	}
	return pool, nil
}

// tlsProtocols maps IceSSL.Protocols names to TLS versions.
var tlsProtocols = map[string]uint16{
	"TLS1_0": tls.VersionTLS10, "TLSV1_0": tls.VersionTLS10, "TLS1": tls.VersionTLS10, "TLSV1": tls.VersionTLS10,
	"TLS1_1": tls.VersionTLS11, "TLSV1_1": tls.VersionTLS11,
	"TLS1_2": tls.VersionTLS12, "TLSV1_2": tls.VersionTLS12,
	"TLS1_3": tls.VersionTLS13, "TLSV1_3": tls.VersionTLS13,
}

// protocolBounds widens the TLS version bounds lo and hi (zero: none yet)
// to include ver.
func protocolBounds(lo, hi, ver uint16) (uint16, uint16) {
	if lo == 0 || ver < lo {
		lo = ver
	}
	return lo, max(hi, ver)
}

// The IceSSL properties of Ice 3.7 (PropertyNames), by what floe does with
// them.
var (
	mappedIceSSLProperties = []string{"IceSSL.DefaultDir", "IceSSL.CertFile", "IceSSL.KeyFile", "IceSSL.Password",
		"IceSSL.CAs", "IceSSL.CertAuthFile", "IceSSL.CertAuthDir", "IceSSL.UsePlatformCAs", "IceSSL.VerifyPeer",
		"IceSSL.CheckCertName", "IceSSL.VerifyDepthMax", "IceSSL.Protocols"}
	// Ignoring these would accept peers glacier2router refuses.
	refusedIceSSLProperties = []string{"IceSSL.TrustOnly", "IceSSL.TrustOnly.Client", "IceSSL.TrustOnly.Server",
		"IceSSL.TrustOnly.Server.*", "IceSSL.CertificateRevocationListFiles", "IceSSL.CertVerifier"}
	ignoredIceSSLProperties = []string{"IceSSL.Alias", "IceSSL.CertStore", "IceSSL.CertStoreLocation",
		"IceSSL.CheckCRL", "IceSSL.Ciphers", "IceSSL.DH.*", "IceSSL.DHParams", "IceSSL.EntropyDaemon",
		"IceSSL.FindCert", "IceSSL.FindCert.*", "IceSSL.InitOpenSSL", "IceSSL.Keychain", "IceSSL.KeychainPassword",
		"IceSSL.Keystore", "IceSSL.KeystorePassword", "IceSSL.KeystoreType", "IceSSL.PasswordCallback",
		"IceSSL.PasswordRetryMax", "IceSSL.ProtocolVersionMax", "IceSSL.ProtocolVersionMin", "IceSSL.Random",
		"IceSSL.RevocationCheck", "IceSSL.RevocationCheckCacheOnly", "IceSSL.SchannelStrongCrypto",
		"IceSSL.Trace.Security", "IceSSL.Truststore", "IceSSL.TruststorePassword", "IceSSL.TruststoreType"}
)

// mapTLS reads the IceSSL properties the way IceSSL's OpenSSL engine does,
// when the IceSSL plugin is loaded (Ice.Plugin.IceSSL), as glacier2router
// reads them only then. Without it there is no TLS configuration, and ssl
// endpoints are an error.
func (m *propertyMapper) mapTLS() {
	p := m.props
	if p.Get("Ice.Plugin.IceSSL") == "" {
		m.checkSSLEndpoints("the ssl transport is Ice's IceSSL plugin: set Ice.Plugin.IceSSL=IceSSL:createIceSSL and IceSSL.CertFile")
		return
	}
	for _, k := range p.Keys() {
		if !strings.HasPrefix(k, "IceSSL.") {
			continue
		}
		switch {
		case slices.Contains(mappedIceSSLProperties, k):
		case slices.ContainsFunc(refusedIceSSLProperties, func(pat string) bool { return matchPattern(k, pat) }):
			m.errorf("property `%s' is not supported by floe: without it, floe would accept peers that glacier2router refuses", k)
		case slices.ContainsFunc(ignoredIceSSLProperties, func(pat string) bool { return matchPattern(k, pat) }):
			m.warnf("property `%s' is not supported yet, ignored", k)
		default:
			m.warnf("unknown property `%s', ignored", k)
		}
	}

	t := &TLS{Password: p.Get("IceSSL.Password")}
	dir := p.Get("IceSSL.DefaultDir")
	resolve := func(path string) string {
		if filepath.IsAbs(path) || dir == "" {
			return path
		}
		return filepath.Join(dir, path)
	}
	list := func(key string) []string {
		v := p.Get(key)
		if v == "" {
			return nil
		}
		files := filepath.SplitList(v)
		if len(files) > 2 {
			m.errorf("IceSSL: invalid value for %s: %s", key, v)
		}
		for i, f := range files {
			files[i] = resolve(f)
		}
		return files
	}
	t.CertFile, t.KeyFile = list("IceSSL.CertFile"), list("IceSSL.KeyFile")
	if len(t.KeyFile) > 0 && len(t.KeyFile) != len(t.CertFile) {
		m.errorf("IceSSL: IceSSL.KeyFile does not agree with IceSSL.CertFile")
	}
	cas := p.Get("IceSSL.CAs")
	for _, old := range []string{"IceSSL.CertAuthFile", "IceSSL.CertAuthDir"} {
		if v := p.Get(old); v != "" {
			m.warnf("deprecated property: %s", old)
			if cas == "" {
				cas = v
			}
		}
	}
	if cas != "" {
		t.CAFile = resolve(cas)
	}
	if t.VerifyPeer = int(p.GetAsIntWithDefault("IceSSL.VerifyPeer", DefaultVerifyPeer)); t.VerifyPeer < 0 || t.VerifyPeer > 2 {
		m.errorf("IceSSL: invalid value for IceSSL.VerifyPeer")
	}
	t.CheckCertName = p.GetAsInt("IceSSL.CheckCertName") > 0
	t.VerifyDepthMax = int(max(p.GetAsIntWithDefault("IceSSL.VerifyDepthMax", DefaultVerifyDepthMax), 0))
	if v := p.Get("IceSSL.Protocols"); v != "" {
		for _, name := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			ver, ok := tlsProtocols[strings.ToUpper(name)]
			if !ok {
				m.errorf("IceSSL: unrecognized protocol `%s'", name)
				continue
			}
			t.MinVersion, t.MaxVersion = protocolBounds(t.MinVersion, t.MaxVersion, ver)
		}
	}
	if err := t.load(); err != nil {
		m.fileProblem(fmt.Errorf("IceSSL: %w", err))
	}
	if t.CAFile == "" && p.GetAsInt("IceSSL.UsePlatformCAs") <= 0 {
		// Without IceSSL.CAs, OpenSSL trusts nothing unless told to use the
		// platform's authorities.
		t.CAs = x509.NewCertPool()
	}
	m.cfg.TLS = t
	if len(t.CertFile) == 0 {
		m.checkSSLEndpoints("they present the router's certificate: set IceSSL.CertFile")
	}
}

// checkSSLEndpoints refuses ssl and wss endpoints, for why.
func (m *propertyMapper) checkSSLEndpoints(why string) {
	for _, key := range []string{"Glacier2.Client.Endpoints", "Glacier2.Server.Endpoints"} {
		eps, err := parseEndpoints(m.props.Get(key))
		if err == nil && slices.ContainsFunc(eps, func(e ice.Endpoint) bool { return e.Secure() }) {
			m.errorf("property `%s' has ssl or wss endpoints, but %s", key, why)
		}
	}
}

// mapSSLAuth reads Glacier2's SSL verifier and session manager and
// Glacier2.AddConnectionContext.
func (m *propertyMapper) mapSSLAuth() {
	p, c := m.props, m.cfg
	if v := p.Get("Glacier2.SSLPermissionsVerifier"); v != "" {
		if isBuiltinVerifier(v, c.InstanceName, nullSSLVerifierName) {
			c.Auth.AllowAllSSL = true
			m.warnf("ssl permissions verifier `%s' accepts every client: use it for development only", v)
		} else if _, err := checkProxy(v); err != nil {
			m.errorf("ssl permissions verifier `%s' is invalid: %w", v, err)
		} else {
			c.Auth.SSLVerifier = v
			c.Auth.SSLVerifierOptions = m.proxyOptions("Glacier2.SSLPermissionsVerifier", "ssl permissions verifier")
		}
	}
	if c.Auth.SSLVerifier == "" {
		m.warnUnusedProxyOptions("Glacier2.SSLPermissionsVerifier")
	}
	if v := p.Get("Glacier2.SSLSessionManager"); v != "" {
		if _, err := checkProxy(v); err != nil {
			m.errorf("ssl session manager `%s' is invalid: %w", v, err)
		} else {
			c.Auth.SSLSessionManager = v
			c.Auth.SSLSessionManagerOptions = m.proxyOptions("Glacier2.SSLSessionManager", "ssl session manager")
		}
	} else {
		m.warnUnusedProxyOptions("Glacier2.SSLSessionManager")
	}
	// Glacier2 adds the context to forwarded requests only at 1, and to the
	// verifier and session manager calls at any value above 0, so any value
	// above 1 means 2.
	c.Client.AddConnectionContext = int(min(max(p.GetAsInt("Glacier2.AddConnectionContext"), 0), 2))
}

// The HCL form: a top-level tls block.

var tlsSchema = attributes("cert_file", "key_file", "password", "ca_file", "verify_peer", "check_cert_name",
	"verify_depth_max", "protocols", "use_platform_cas")

func (d *decoder) tls(b *hcl.Block) {
	attrs := d.content(b.Body, tlsSchema)
	t := &TLS{VerifyPeer: DefaultVerifyPeer, VerifyDepthMax: DefaultVerifyDepthMax}
	dir := filepath.Dir(d.cfg.Source)
	resolve := func(a *hcl.Attribute, s string) string {
		switch {
		case s == "":
			d.errorf(a.Expr.Range(), "Empty path", "%s cannot be empty; remove it instead.", a.Name)
			return ""
		case filepath.IsAbs(s):
			return s
		}
		return filepath.Join(dir, s)
	}
	path := func(name string) string {
		s, ok := d.str(attrs[name])
		if !ok {
			return ""
		}
		return resolve(attrs[name], s)
	}
	// cert_file and key_file are a path, or a list of two for two key
	// types, as IceSSL.CertFile.
	paths := func(name string) []string {
		a := attrs[name]
		if a == nil {
			return nil
		}
		if v, diags := a.Expr.Value(nil); !diags.HasErrors() && !v.IsNull() && (v.Type().IsTupleType() || v.Type().IsListType()) {
			list := d.strings(a)
			if len(list) == 0 || len(list) > 2 {
				d.errorf(a.Expr.Range(), "Invalid "+name, "%s is a path, or a list of one or two paths (one for each key type).", name)
				return nil
			}
			for i := range list {
				list[i] = resolve(a, list[i])
			}
			return list
		}
		if f := path(name); f != "" {
			return []string{f}
		}
		return nil
	}
	t.CertFile = paths("cert_file")
	switch t.KeyFile = paths("key_file"); {
	case len(t.KeyFile) > 0 && len(t.CertFile) == 0:
		d.errorf(attrs["key_file"].NameRange, "Key without certificate",
			"key_file is the private key of cert_file: set cert_file too.")
	case len(t.KeyFile) > 0 && len(t.KeyFile) != len(t.CertFile):
		d.errorf(attrs["key_file"].Expr.Range(), "Keys and certificates do not agree",
			"key_file needs one key for each path of cert_file.")
	}
	t.Password, _ = d.str(attrs["password"])
	t.CAFile = path("ca_file")
	if n, ok := d.integer(attrs["verify_peer"], math.MinInt32, math.MaxInt32, ""); ok {
		if n < 0 || n > 2 {
			d.errorf(attrs["verify_peer"].Expr.Range(), "Invalid verify_peer",
				"verify_peer is 0 (ask no client certificate), 1 (verify one if sent) or 2 (require one), not %d.", n)
		} else {
			t.VerifyPeer = int(n)
		}
	}
	t.CheckCertName, _ = d.boolean(attrs["check_cert_name"])
	if n, ok := d.integer(attrs["verify_depth_max"], 0, math.MaxInt32, "certificates"); ok {
		t.VerifyDepthMax = int(n)
	}
	if a := attrs["protocols"]; a != nil {
		for _, name := range d.strings(a) {
			ver, ok := tlsProtocols[strings.ToUpper(name)]
			if !ok {
				d.errorf(a.Expr.Range(), "Invalid TLS protocol", "%q is not a TLS protocol; use tls1_0, tls1_1, tls1_2 or tls1_3.", name)
				continue
			}
			t.MinVersion, t.MaxVersion = protocolBounds(t.MinVersion, t.MaxVersion, ver)
		}
	}
	platformCAs, set := d.boolean(attrs["use_platform_cas"])
	noCAs := set && !platformCAs && t.CAFile == ""
	if d.diags.HasErrors() {
		d.cfg.TLS = t
		return
	}
	if err := t.load(); err != nil {
		var te *tlsError
		errors.As(err, &te)
		a := map[tlsFile]*hcl.Attribute{certFile: attrs["cert_file"], keyFile: attrs["key_file"], caFile: attrs["ca_file"]}[te.file]
		rng := b.DefRange
		if a != nil {
			rng = a.Expr.Range()
		}
		d.errorf(rng, "Invalid TLS file", "%v.", err)
	}
	if noCAs {
		// Trust no authority, as IceSSL without IceSSL.CAs and
		// IceSSL.UsePlatformCAs.
		t.CAs = x509.NewCertPool()
	}
	d.cfg.TLS = t
}

// checkSSLEndpoints reports ssl and wss endpoints when there is no
// certificate for them to present.
func (d *decoder) checkSSLEndpoints(blocks map[string]*hcl.Block) {
	if d.cfg.TLS != nil && len(d.cfg.TLS.Certificates) > 0 {
		return
	}
	for _, name := range []string{"client", "server"} {
		b := blocks[name]
		if b == nil {
			continue
		}
		body, ok := b.Body.(*hclsyntax.Body)
		if !ok || body.Attributes["endpoints"] == nil {
			continue
		}
		a := body.Attributes["endpoints"]
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() || !v.Type().Equals(cty.String) || v.IsNull() {
			continue
		}
		eps, err := parseEndpoints(v.AsString())
		if err != nil || !slices.ContainsFunc(eps, func(e ice.Endpoint) bool { return e.Secure() }) {
			continue
		}
		d.errorf(a.Expr.Range(), "No certificate for ssl endpoints",
			`The %s endpoints include ssl or wss, which present the router's certificate: add a tls block with cert_file (and key_file, ca_file as needed).`, name)
	}
}

// sslAuth reads the auth block's settings for createSessionFromSecureConnection.
func (d *decoder) sslAuth(attrs hcl.Attributes) {
	a := &d.cfg.Auth
	a.SSLVerifier = d.proxy(attrs["ssl_verifier"], "SSL verifier")
	a.SSLSessionManager = d.proxy(attrs["ssl_session_manager"], "SSL session manager")
	a.AllowAllSSL = d.allowAll(attrs["allow_all_ssl"], a.SSLVerifier != "",
		"allow_all_ssl accepts every client the SSL verifier would refuse; set either ssl_verifier or allow_all_ssl, not both.",
		"allow_all_ssl accepts every client of an ssl endpoint, with or without a certificate: use it for development only.")
}

// hasSSLAuth reports whether createSessionFromSecureConnection can succeed.
func (a *Auth) hasSSLAuth() bool { return a.SSLVerifier != "" || a.AllowAllSSL }
