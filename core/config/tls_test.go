package config

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/floe-router/floe/internal/testcert"
)

// checkLoaded checks that t holds one certificate with subject and a chain
// of chainLen certificates, then clears what was loaded so the rest of t
// can be compared with reflect.DeepEqual.
func checkLoaded(tb testing.TB, t *TLS, subject string, chainLen int) {
	tb.Helper()
	if t == nil {
		tb.Fatal("no TLS configuration")
		return
	}
	if len(t.Certificates) != 1 {
		tb.Fatalf("%d certificates loaded; want 1", len(t.Certificates))
	}
	c := t.Certificates[0]
	if c.Leaf == nil || c.Leaf.Subject.String() != subject || len(c.Certificate) != chainLen || c.PrivateKey == nil {
		tb.Errorf("loaded certificate: leaf %v, chain of %d, key %T; want %s and a chain of %d",
			c.Leaf.Subject, len(c.Certificate), c.PrivateKey, subject, chainLen)
	}
	t.Certificates = nil
	t.CAs = nil
}

type tlsFiles struct {
	dir   string
	alice testcert.Files // CN=alice, from ca
	other testcert.Files // CN=mallory, from another CA
}

func writeTLSFiles(t *testing.T) tlsFiles {
	t.Helper()
	dir := t.TempDir()
	ca := testcert.NewAuthority(t, "test CA")
	return tlsFiles{
		dir:   dir,
		alice: ca.Client(t, "alice", "Floe").Write(t, dir, "alice", "secret"),
		other: testcert.NewAuthority(t, "other CA").Client(t, "mallory", "Elsewhere").Write(t, dir, "mallory", "secret"),
	}
}

func TestTLSBlock(t *testing.T) {
	f := writeTLSFiles(t)
	combined := filepath.Join(f.dir, "combined.pem")
	cert, _ := os.ReadFile(f.alice.Cert)
	key, _ := os.ReadFile(f.alice.Key)
	if err := os.WriteFile(combined, append(cert, key...), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		block    string
		want     TLS
		chainLen int
	}{{
		name:     "PEM certificate and key, relative to the file",
		block:    `cert_file = "alice.pem"` + "\n" + `key_file = "alice_key.pem"` + "\n" + `ca_file = "alice_ca.pem"`,
		want:     TLS{CertFile: []string{f.alice.Cert}, KeyFile: []string{f.alice.Key}, CAFile: f.alice.CA, VerifyPeer: 2, VerifyDepthMax: 3},
		chainLen: 1,
	}, {
		name:     "PEM certificate with its key in the same file",
		block:    `cert_file = "combined.pem"`,
		want:     TLS{CertFile: []string{combined}, VerifyPeer: 2, VerifyDepthMax: 3},
		chainLen: 1,
	}, {
		name:  "PKCS#12 with its chain, absolute path, CA directory",
		block: `cert_file = "` + f.alice.P12 + `"` + "\npassword = \"secret\"\nca_file = \".\"\nverify_peer = 0\nverify_depth_max = 0\ncheck_cert_name = true",
		want: TLS{CertFile: []string{f.alice.P12}, Password: "secret", CAFile: f.dir, VerifyPeer: 0, VerifyDepthMax: 0,
			CheckCertName: true},
		chainLen: 2,
	}, {
		name:     "cert_file as a list, TLS protocols",
		block:    `cert_file = ["combined.pem"]` + "\n" + `protocols = ["tls1_2", "TLSv1_3"]`,
		want:     TLS{CertFile: []string{combined}, VerifyPeer: 2, VerifyDepthMax: 3, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13},
		chainLen: 1,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			src := minimal + "tls {\n" + tc.block + "\n}\n"
			cfg, diags := Parse([]byte(src), filepath.Join(f.dir, "floe.hcl"))
			if diags.HasErrors() {
				t.Fatalf("diagnostics:\n%s", diagLines(diags))
			}
			checkLoaded(t, cfg.TLS, "CN=alice,O=Floe", tc.chainLen)
			if !reflect.DeepEqual(*cfg.TLS, tc.want) {
				t.Errorf("got  %+v\nwant %+v", *cfg.TLS, tc.want)
			}
		})
	}
}

// TestTLSBlockPlatformCAs: without ca_file the system's roots are
// trusted, unless use_platform_cas = false, which trusts no authority (as
// IceSSL without IceSSL.CAs and IceSSL.UsePlatformCAs).
func TestTLSBlockPlatformCAs(t *testing.T) {
	for _, tc := range []struct {
		block string
		none  bool
	}{{"", false}, {"use_platform_cas = true", false}, {"use_platform_cas = false", true}} {
		cfg, diags := Parse([]byte(minimal+"tls {\n"+tc.block+"\n}\n"), "floe.hcl")
		if diags.HasErrors() {
			t.Fatalf("%s: diagnostics:\n%s", tc.block, diagLines(diags))
		}
		if got := cfg.TLS.CAs != nil && cfg.TLS.CAs.Equal(x509.NewCertPool()); got != tc.none {
			t.Errorf("%q: trusts no authority = %v; want %v", tc.block, got, tc.none)
		}
	}
}

func TestTLSBlockDiagnostics(t *testing.T) {
	f := writeTLSFiles(t)
	for _, tc := range []struct {
		name  string
		block string
		want  string // the diagnostic, its position in the tls block counted from line 1
	}{{
		name:  "missing certificate file",
		block: `cert_file = "nothere.pem"`,
		want:  `1:13: error: Invalid TLS file; certificate file not found: ` + filepath.Join(f.dir, "nothere.pem") + ".",
	}, {
		name:  "wrong PKCS#12 password",
		block: `cert_file = "alice.p12"` + "\n" + `password = "guess"`,
		want:  `1:13: error: Invalid TLS file; unable to load certificate chain from file ` + f.alice.P12 + ": invalid password.",
	}, {
		name:  "key of another certificate",
		block: `cert_file = "alice.pem"` + "\n" + `key_file = "mallory_key.pem"`,
		want: `2:12: error: Invalid TLS file; the private key in ` + f.other.Key + ` does not match the certificate in ` +
			f.alice.Cert + ".",
	}, {
		name:  "a certificate without its key",
		block: `cert_file = "alice.pem"`,
		want:  `1:13: error: Invalid TLS file; no private key in ` + f.alice.Cert + ".",
	}, {
		name:  "not a certificate",
		block: `cert_file = "alice.pem"` + "\n" + `key_file = "alice_key.pem"` + "\n" + `ca_file = "alice_key.pem"`,
		want:  `3:11: error: Invalid TLS file; no PEM certificate in ` + f.alice.Key + ".",
	}, {
		name:  "verify_peer out of range",
		block: `verify_peer = 3`,
		want:  `1:15: error: Invalid verify_peer; verify_peer is 0 (ask no client certificate), 1 (verify one if sent) or 2 (require one), not 3.`,
	}, {
		name:  "unknown protocol",
		block: `protocols = ["ssl3"]`,
		want:  `1:13: error: Invalid TLS protocol; "ssl3" is not a TLS protocol; use tls1_0, tls1_1, tls1_2 or tls1_3.`,
	}, {
		name:  "three certificates",
		block: `cert_file = ["a", "b", "c"]`,
		want:  `1:13: error: Invalid cert_file; cert_file is a path, or a list of one or two paths (one for each key type).`,
	}, {
		name:  "keys that do not agree with the certificates",
		block: `cert_file = ["alice.pem", "mallory.pem"]` + "\n" + `key_file = "alice_key.pem"`,
		want:  `2:12: error: Keys and certificates do not agree; key_file needs one key for each path of cert_file.`,
	}, {
		name:  "key without certificate",
		block: `key_file = "alice_key.pem"`,
		want:  `1:1: error: Key without certificate; key_file is the private key of cert_file: set cert_file too.`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			src := minimal + "tls {\n" + tc.block + "\n}\n"
			offset := strings.Count(minimal, "\n") + 1
			_, diags := Parse([]byte(src), filepath.Join(f.dir, "floe.hcl"))
			got := strings.TrimSpace(diagLines(diags))
			line, col, _ := strings.Cut(tc.want, ":")
			n, _ := strconv.Atoi(line)
			want := filepath.Join(f.dir, "floe.hcl") + ":" + strconv.Itoa(n+offset) + ":" + col
			if got != want {
				t.Errorf("diagnostics:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestSSLEndpointsNeedACertificate(t *testing.T) {
	useRealParsers(t)
	src := strings.Replace(minimal, `"tcp -p 4063"`, `"tcp -p 4063 : ssl -p 4064"`, 1)
	_, diags := Parse([]byte(src), "floe.hcl")
	want := "floe.hcl:3:15: error: No certificate for ssl endpoints; The client endpoints include ssl or wss, which present the router's certificate: add a tls block with cert_file (and key_file, ca_file as needed)."
	if got := strings.TrimSpace(diagLines(diags)); got != want {
		t.Errorf("diagnostics:\n got %s\nwant %s", got, want)
	}
}

func TestSSLAuth(t *testing.T) {
	client := "client {\n  endpoints = \"tcp -p 4063\"\n  add_connection_context = 2\n}\n"
	cfg, diags := Parse([]byte(client+`auth {
  ssl_verifier        = "SSLVerifier:tcp -p 1"
  ssl_session_manager = "SSLSessionManager:tcp -p 2"
}`), "test.hcl")
	if diags.HasErrors() {
		t.Fatalf("an SSL verifier alone is enough, as for glacier2router:\n%s", diagLines(diags))
	}
	if a := cfg.Auth; a.SSLVerifier != "SSLVerifier:tcp -p 1" || a.SSLSessionManager != "SSLSessionManager:tcp -p 2" ||
		a.Verifier != "" || cfg.Client.AddConnectionContext != 2 {
		t.Errorf("got %+v, add_connection_context %d", a, cfg.Client.AddConnectionContext)
	}

	cfg, diags = Parse([]byte(client+"auth {\n  allow_all_ssl = true\n}\n"), "test.hcl")
	if diags.HasErrors() || !cfg.Auth.AllowAllSSL || len(cfg.Warnings) != 1 {
		t.Errorf("allow_all_ssl: %+v %q\n%s", cfg, cfg.Warnings, diagLines(diags))
	}

	_, diags = Parse([]byte(client+"auth {\n  allow_all_ssl = true\n  ssl_verifier = \"V:tcp -p 1\"\n}\n"), "test.hcl")
	if !strings.Contains(diagLines(diags), "test.hcl:6:19: error: Conflicting authentication") {
		t.Errorf("allow_all_ssl with ssl_verifier:\n%s", diagLines(diags))
	}
}

func TestIceSSLProperties(t *testing.T) {
	f := writeTLSFiles(t)
	base := []string{clientEndpoints, "Glacier2.SSLPermissionsVerifier=Glacier2/NullSSLPermissionsVerifier",
		"Ice.Plugin.IceSSL=IceSSL:createIceSSL", "IceSSL.DefaultDir=" + f.dir}
	t.Run("PKCS#12 and CAs from the default directory", func(t *testing.T) {
		cfg, err := FromProperties(props(t, append(base, "IceSSL.CertFile=alice.p12", "IceSSL.Password=secret",
			"IceSSL.CAs=alice_ca.pem", "IceSSL.VerifyPeer=1", "IceSSL.CheckCertName=1", "IceSSL.Protocols=tls1_2, tls1_3",
			"Glacier2.AddConnectionContext=1", "Glacier2.SSLSessionManager=SM:tcp -p 1")...))
		if err != nil {
			t.Fatal(err)
		}
		if !cfg.Auth.AllowAllSSL || cfg.Auth.SSLSessionManager != "SM:tcp -p 1" || cfg.Client.AddConnectionContext != 1 {
			t.Errorf("auth %+v, AddConnectionContext %d", cfg.Auth, cfg.Client.AddConnectionContext)
		}
		checkLoaded(t, cfg.TLS, "CN=alice,O=Floe", 2)
		want := TLS{CertFile: []string{f.alice.P12}, Password: "secret", CAFile: f.alice.CA, VerifyPeer: 1,
			CheckCertName: true, VerifyDepthMax: 3, MinVersion: 0x0303, MaxVersion: 0x0304}
		if !reflect.DeepEqual(*cfg.TLS, want) {
			t.Errorf("got  %+v\nwant %+v", *cfg.TLS, want)
		}
	})
	t.Run("deprecated CertAuthFile, PEM files, ignored properties", func(t *testing.T) {
		cfg, err := FromProperties(props(t, append(base, "IceSSL.CertFile=alice.pem", "IceSSL.KeyFile=alice_key.pem",
			"IceSSL.CertAuthFile=alice_ca.pem", "IceSSL.Trace.Security=1", "IceSSL.Ciphers=HIGH", "IceSSL.Nonsense=1")...))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.TLS == nil || cfg.TLS.CAFile != f.alice.CA || len(cfg.TLS.Certificates) != 1 {
			t.Fatalf("TLS %+v", cfg.TLS)
		}
		for _, w := range []string{"deprecated property: IceSSL.CertAuthFile",
			"property `IceSSL.Ciphers' is not supported yet, ignored", "unknown property `IceSSL.Nonsense', ignored"} {
			if !strings.Contains(strings.Join(cfg.Warnings, "\n"), w) {
				t.Errorf("no warning %q in %q", w, cfg.Warnings)
			}
		}
	})
	t.Run("without the IceSSL plugin, IceSSL properties are not read", func(t *testing.T) {
		cfg, err := FromProperties(props(t, clientEndpoints, verifier, "IceSSL.CertFile=nothere.p12"))
		if err != nil || cfg.TLS != nil {
			t.Errorf("got %+v, %v", cfg.TLS, err)
		}
	})
	for _, tc := range []struct {
		name  string
		lines []string
		want  string
	}{
		{"missing file", []string{"IceSSL.CertFile=nothere.p12"},
			"IceSSL: certificate file not found: " + filepath.Join(f.dir, "nothere.p12")},
		{"wrong password", []string{"IceSSL.CertFile=alice.p12", "IceSSL.Password=guess"},
			"IceSSL: unable to load certificate chain from file " + f.alice.P12 + ": invalid password"},
		{"VerifyPeer out of range", []string{"IceSSL.VerifyPeer=3"}, "IceSSL: invalid value for IceSSL.VerifyPeer"},
		{"TrustOnly would be ignored", []string{"IceSSL.TrustOnly.Client=CN=x"},
			"property `IceSSL.TrustOnly.Client' is not supported by floe: without it, floe would accept peers that glacier2router refuses"},
		{"CA path not found", []string{"IceSSL.CAs=nothere"}, "IceSSL: CA certificate path not found: " + filepath.Join(f.dir, "nothere")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromProperties(props(t, append(base, tc.lines...)...))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v; want %s", err, tc.want)
			}
		})
	}
}

func TestIceSSLPropertiesSSLEndpoints(t *testing.T) {
	useRealParsers(t)
	ssl := "Glacier2.Client.Endpoints=ssl -h 127.0.0.1 -p 4064"
	for _, tc := range []struct {
		lines []string
		want  string
	}{
		{[]string{ssl, verifier}, "property `Glacier2.Client.Endpoints' has ssl or wss endpoints, but the ssl transport is Ice's IceSSL plugin: set Ice.Plugin.IceSSL=IceSSL:createIceSSL and IceSSL.CertFile"},
		{[]string{ssl, verifier, "Ice.Plugin.IceSSL=IceSSL:createIceSSL"}, "property `Glacier2.Client.Endpoints' has ssl or wss endpoints, but they present the router's certificate: set IceSSL.CertFile"},
	} {
		_, err := FromProperties(props(t, tc.lines...))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: error %v; want %s", tc.lines, err, tc.want)
		}
	}
}
