package transport

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"flag"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/subjectdn.json with what the openssl command prints")

// nameCase is one subject: RDNs, the last printed first, each a set of
// attributes.
type nameCase struct {
	name string
	rdns [][]attr
}

type attr struct {
	oid   string
	tag   int
	value []byte // content octets
}

func utf8s(oid, s string) attr     { return attr{oid, asn1.TagUTF8String, []byte(s)} }
func printable(oid, s string) attr { return attr{oid, asn1.TagPrintableString, []byte(s)} }

func bmp(oid, s string) attr {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return attr{oid, asn1.TagBMPString, b}
}

func universal(oid string, rs ...rune) attr {
	var b []byte
	for _, r := range rs {
		b = append(b, byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
	}
	return attr{oid, 28, b}
}

const (
	cn    = "2.5.4.3"
	org   = "2.5.4.10"
	ou    = "2.5.4.11"
	dc    = "0.9.2342.19200300.100.1.25"
	uid   = "0.9.2342.19200300.100.1.1"
	email = "1.2.840.113549.1.9.1"
)

var allPrintable = func() string {
	var b strings.Builder
	for c := byte(0x21); c < 0x7f; c++ {
		b.WriteByte(c)
	}
	return "x" + b.String() + "x"
}()

// nameCases cover what OpenSSL escapes and how each string type prints.
var nameCases = []nameCase{
	{"simple", [][]attr{{printable("2.5.4.6", "US")}, {utf8s(org, "Floe Test")}, {utf8s(cn, "alice")}}},
	{"domain components", [][]attr{{attr{dc, asn1.TagIA5String, []byte("com")}}, {attr{dc, asn1.TagIA5String, []byte("example")}},
		{utf8s(ou, "People")}, {utf8s(uid, "bob")}, {attr{email, asn1.TagIA5String, []byte("bob@example.com")}}}},
	{"every printable ASCII character", [][]attr{{utf8s(cn, allPrintable)}}},
	{"specials first and last", [][]attr{{utf8s(cn, " lead")}, {utf8s(org, "trail ")}, {utf8s(ou, "#hash")},
		{utf8s("2.5.4.7", "in ner")}, {utf8s("2.5.4.8", "x#")}}},
	{"one space", [][]attr{{utf8s(cn, " ")}}},
	{"one hash", [][]attr{{utf8s(cn, "#")}}},
	{"empty value", [][]attr{{utf8s(cn, "")}, {utf8s(org, "o")}}},
	{"control characters", [][]attr{{utf8s(cn, "a\x01b\x1fc\x7fd\te")}}},
	{"UTF-8", [][]attr{{utf8s(cn, "Zoë Ünïcödé 日本 😀")}}},
	{"Latin-1 in one-byte strings", [][]attr{{attr{cn, asn1.TagT61String, []byte("caf\xe9")}},
		{attr{org, asn1.TagIA5String, []byte("na\xefve")}}, {printable(ou, "plain")}}},
	{"BMPString", [][]attr{{bmp(cn, "héllo wörld")}}},
	{"UniversalString", [][]attr{{universal(cn, 'a', 'é', '日', 0x1F600)}}},
	{"multi-valued RDN", [][]attr{{utf8s(org, "Org")}, {utf8s(cn, "Carol"), utf8s(uid, "carol")}}},
	{"unknown attribute type", [][]attr{{utf8s("1.2.3.4.5", "secret")}, {utf8s(cn, "dave")}}},
	{"serialNumber and GN", [][]attr{{printable("2.5.4.5", "1234")}, {utf8s("2.5.4.42", "Eve")}}},
	{"equals inside", [][]attr{{utf8s(cn, "a=b")}}},
	{"hash inside", [][]attr{{utf8s(cn, "C#")}}},
	{"quote and backslash", [][]attr{{utf8s(cn, `say "hi" \o/`)}}},
}

func (c nameCase) der(t *testing.T) []byte {
	t.Helper()
	var rdns []relativeNameSET
	for _, set := range c.rdns {
		var s relativeNameSET
		for _, a := range set {
			var oid asn1.ObjectIdentifier
			for _, part := range strings.Split(a.oid, ".") {
				n := 0
				for _, d := range part {
					n = n*10 + int(d-'0')
				}
				oid = append(oid, n)
			}
			full, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: a.tag, Bytes: a.value})
			if err != nil {
				t.Fatal(err)
			}
			s = append(s, attributeTypeAndValue{Type: oid, Value: asn1.RawValue{FullBytes: full}})
		}
		rdns = append(rdns, s)
	}
	der, err := asn1.Marshal(rdns)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// selfSigned makes a certificate whose subject is the DER name, in DER:
// crypto/x509 parses none with a string type it does not support.
func selfSigned(t *testing.T, subject []byte) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), RawSubject: subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// opensslSubject is what `openssl x509 -nameopt RFC2253` prints for the
// subject: X509_NAME_print_ex with XN_FLAG_RFC2253, which IceSSL calls.
func opensslSubject(t *testing.T, cert []byte) string {
	t.Helper()
	cmd := exec.Command("openssl", "x509", "-inform", "DER", "-noout", "-subject", "-nameopt", "RFC2253")
	cmd.Stdin = bytes.NewReader(cert)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl: %v", err)
	}
	return strings.TrimSuffix(strings.TrimPrefix(string(out), "subject="), "\n")
}

type goldenName struct {
	Subject []byte `json:"subject"` // DER
	OpenSSL string `json:"openssl"` // X509_NAME_print_ex(XN_FLAG_RFC2253)
}

const goldenPath = "testdata/subjectdn.json"

// TestSubjectDN checks the OpenSSL form against what the openssl command
// printed for the same names (kept in testdata, and checked live when
// openssl is installed), and IceSSL's reading of it.
func TestSubjectDN(t *testing.T) {
	golden := map[string]goldenName{}
	if data, err := os.ReadFile(goldenPath); err == nil {
		if err := json.Unmarshal(data, &golden); err != nil {
			t.Fatal(err)
		}
	} else if !*updateGolden {
		t.Fatal(err)
	}
	_, errOpenSSL := exec.LookPath("openssl")
	for _, c := range nameCases {
		t.Run(c.name, func(t *testing.T) {
			der := c.der(t)
			cert := selfSigned(t, der)
			got, err := openSSLName(der)
			if err != nil {
				t.Fatal(err)
			}
			if errOpenSSL == nil {
				if want := opensslSubject(t, cert); got != want {
					t.Errorf("OpenSSL form:\n got %q\nwant %q (openssl x509 -nameopt RFC2253)", got, want)
				}
				if *updateGolden {
					golden[c.name] = goldenName{Subject: der, OpenSSL: got}
				}
			}
			g, ok := golden[c.name]
			if !ok {
				t.Fatalf("no golden entry; run go test -run TestSubjectDN -update with openssl installed")
			}
			if got, err := openSSLName(g.Subject); err != nil || got != g.OpenSSL {
				t.Errorf("golden subject: got %q, %v; want %q", got, err, g.OpenSSL)
			}
		})
	}
	if *updateGolden {
		if errOpenSSL != nil {
			t.Fatal("-update needs the openssl command")
		}
		data, _ := json.MarshalIndent(golden, "", "  ")
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSubjectDNIceSSLReading(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "CN=alice,O=Floe Test,C=US", want: "CN=alice,O=Floe Test,C=US"},
		{in: "CN=Carol+UID=carol,O=Org", want: "CN=Carol+UID=carol,O=Org"},
		{in: `CN=\ lead,O=trail\ `, want: `CN=\ lead,O=trail\ `},
		{in: `CN=Zo\C3\ABe`, want: `CN=Zo\C3\ABe`},
		{in: "1.2.3.4.5=#0C06736563726574,CN=dave", want: "1.2.3.4.5=#0C06736563726574,CN=dave"},
		{in: "CN=, O = o ; OU=x", want: "CN=,O=o ,OU=x"},
		{in: "CN=a=b", err: "expected ',' or ';' at `=b'"},
		{in: "CN=C#", err: "expected ',' or ';' at `#'"},
		{in: "CN=#0C0", err: "invalid hex format"},
		{in: "=x", err: "invalid attribute type"},
	} {
		got, err := iceSSLName(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("iceSSLName(%q) = %q, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("iceSSLName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestCipherNames checks the OpenSSL names against the openssl command's
// own table, when it is installed.
func TestCipherNames(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed; the names were checked against OpenSSL 3.0")
	}
	out, err := exec.Command("openssl", "ciphers", "-stdname", "ALL:COMPLEMENTOFALL").Output()
	if err != nil {
		t.Skipf("openssl ciphers -stdname: %v", err)
	}
	iana := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == "-" {
			iana[f[0]] = f[2]
		}
	}
	for id, name := range openSSLCiphers {
		std := tls.CipherSuiteName(id)
		if want, ok := iana[std]; ok && want != name {
			t.Errorf("%s: got %s, openssl names it %s", std, name, want)
		}
	}
	if got := CipherName(tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256); got != "ECDHE-RSA-AES128-GCM-SHA256" {
		t.Errorf("CipherName = %s", got)
	}
}

// FuzzSubjectDN feeds arbitrary DER to the name printer and its output to
// IceSSL's parser: neither may panic, and the printer's output, when it
// parses, reads back as the same text.
func FuzzSubjectDN(f *testing.F) {
	if data, err := os.ReadFile(goldenPath); err == nil {
		golden := map[string]goldenName{}
		if json.Unmarshal(data, &golden) == nil {
			for _, g := range golden {
				f.Add(g.Subject)
			}
		}
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		s, err := openSSLName(der)
		if err != nil {
			return
		}
		if got, err := iceSSLName(s); err == nil && got != s && !strings.ContainsAny(s, " ;\"") {
			t.Errorf("OpenSSL's %q reads back as %q", s, got)
		}
	})
}
