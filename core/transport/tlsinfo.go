package transport

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// The facts of a TLS connection as Ice 3.7's IceSSL (on OpenSSL) reports
// them in IceSSL::ConnectionInfo and Certificate, which Glacier2 passes on in
// SSLInfo and the connection context: cipher names, certificates in PEM and
// distinguished names, each in OpenSSL's spelling.

// CipherName is the OpenSSL name of a cipher suite, as IceSSL's
// ConnectionInfo.cipher reports it (ECDHE-RSA-AES128-GCM-SHA256; TLS 1.3
// suites have the same name in both); the IANA name for a suite OpenSSL does
// not name.
func CipherName(id uint16) string {
	if n, ok := openSSLCiphers[id]; ok {
		return n
	}
	return tls.CipherSuiteName(id)
}

var openSSLCiphers = map[uint16]string{
	tls.TLS_AES_128_GCM_SHA256:                        "TLS_AES_128_GCM_SHA256",
	tls.TLS_AES_256_GCM_SHA384:                        "TLS_AES_256_GCM_SHA384",
	tls.TLS_CHACHA20_POLY1305_SHA256:                  "TLS_CHACHA20_POLY1305_SHA256",
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:       "ECDHE-ECDSA-AES128-GCM-SHA256",
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:         "ECDHE-RSA-AES128-GCM-SHA256",
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:       "ECDHE-ECDSA-AES256-GCM-SHA384",
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:         "ECDHE-RSA-AES256-GCM-SHA384",
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:   "ECDHE-RSA-CHACHA20-POLY1305",
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA:          "ECDHE-ECDSA-AES128-SHA",
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA:            "ECDHE-RSA-AES128-SHA",
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA:          "ECDHE-ECDSA-AES256-SHA",
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA:            "ECDHE-RSA-AES256-SHA",
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256:       "ECDHE-ECDSA-AES128-SHA256",
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256:         "ECDHE-RSA-AES128-SHA256",
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256:               "AES128-GCM-SHA256",
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384:               "AES256-GCM-SHA384",
	tls.TLS_RSA_WITH_AES_128_CBC_SHA:                  "AES128-SHA",
	tls.TLS_RSA_WITH_AES_256_CBC_SHA:                  "AES256-SHA",
	tls.TLS_RSA_WITH_AES_128_CBC_SHA256:               "AES128-SHA256",
	tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA:           "ECDHE-RSA-DES-CBC3-SHA",
	tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA:                 "DES-CBC3-SHA",
	tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA:              "ECDHE-ECDSA-RC4-SHA",
	tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA:                "ECDHE-RSA-RC4-SHA",
	tls.TLS_RSA_WITH_RC4_128_SHA:                      "RC4-SHA",
}

// PeerCertificates are the peer's certificates as IceSSL lists them: the
// chain verification built (the peer's certificate first, the trusted root
// last), or, when the peer was not verified, the certificates it sent.
func PeerCertificates(s *tls.ConnectionState) []*x509.Certificate {
	if len(s.VerifiedChains) > 0 {
		return s.VerifiedChains[0]
	}
	return s.PeerCertificates
}

// CertificatePEM is a certificate in PEM, as IceSSL's Certificate::encode
// writes it.
func CertificatePEM(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// SubjectDN is a certificate's subject as IceSSL 3.7's
// Certificate::getSubjectDN spells it on OpenSSL, which is what Glacier2
// takes as the user id of a session created from a secure connection:
// OpenSSL's RFC 2253 form (X509_NAME_print_ex with XN_FLAG_RFC2253: the
// last RDN first, short attribute names, ',' between RDNs and '+' inside
// one, RFC 2253 escapes, bytes above 0x7f as \XX of their UTF-8 form, a
// value of an unknown attribute type or string type as # and its DER in
// hex), then parsed and joined again as IceSSL's DistinguishedName does.
//
// IceSSL's parser cannot read back every name OpenSSL prints (an unescaped
// '=' or a '#' inside a value): such a name is an error here, where IceSSL
// throws IceSSL::ParseException.
func SubjectDN(c *x509.Certificate) (string, error) {
	s, err := openSSLName(c.RawSubject)
	if err != nil {
		return "", err
	}
	return iceSSLName(s)
}

type attributeTypeAndValue struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// A slice type whose name ends in SET is an ASN.1 SET OF for encoding/asn1.
type relativeNameSET []attributeTypeAndValue

// openSSLName formats a DER Name as X509_NAME_print_ex(XN_FLAG_RFC2253).
func openSSLName(der []byte) (string, error) {
	var rdns []relativeNameSET
	rest, err := asn1.Unmarshal(der, &rdns)
	if err != nil {
		return "", fmt.Errorf("subject: %w", err)
	}
	if len(rest) > 0 {
		return "", errors.New("subject: trailing data")
	}
	var b strings.Builder
	first := true
	for i := len(rdns) - 1; i >= 0; i-- {
		set := rdns[i]
		for j := len(set) - 1; j >= 0; j-- {
			if !first {
				if j == len(set)-1 {
					b.WriteByte(',')
				} else {
					b.WriteByte('+')
				}
			}
			first = false
			if err := writeAttribute(&b, &set[j]); err != nil {
				return "", err
			}
		}
	}
	return b.String(), nil
}

// String types by universal tag and their character width, as OpenSSL's
// tag2nbyte: 1 for one byte a character (read as Latin-1, except
// UTF8String, whose bytes are taken as they are), 2 for BMPString, 4 for
// UniversalString. Other types are dumped.
var stringWidths = map[int]int{
	asn1.TagUTF8String: 0, asn1.TagNumericString: 1, asn1.TagPrintableString: 1, asn1.TagT61String: 1,
	asn1.TagIA5String: 1, asn1.TagUTCTime: 1, asn1.TagGeneralizedTime: 1, 26: 1, // VisibleString
	28: 4, asn1.TagBMPString: 2, // UniversalString
}

func writeAttribute(b *strings.Builder, a *attributeTypeAndValue) error {
	oid := a.Type.String()
	name, known := openSSLNames[oid]
	if !known {
		name = oid
	}
	b.WriteString(name)
	b.WriteByte('=')
	width, isString := stringWidths[a.Value.Tag]
	if !known || a.Value.Class != asn1.ClassUniversal || !isString {
		b.WriteByte('#')
		for _, c := range a.Value.FullBytes {
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
		return nil
	}
	data := a.Value.Bytes
	if width > 1 && len(data)%width != 0 {
		return fmt.Errorf("subject: %s value of %d bytes is no whole number of characters", name, len(data))
	}
	step := max(width, 1)
	for p := 0; p < len(data); p += step {
		first, last := p == 0, p+step == len(data)
		if width == 0 {
			// UTF8String: its bytes are printed as they are (then escaped).
			writeEscaped(b, data[p], first, last)
			continue
		}
		var c rune
		for _, x := range data[p : p+step] {
			c = c<<8 | rune(x)
		}
		var utf [4]byte
		n := putUTF8(utf[:], c)
		for _, x := range utf[:n] {
			writeEscaped(b, x, first, last)
		}
	}
	return nil
}

const hexDigits = "0123456789ABCDEF"

// putUTF8 is OpenSSL's UTF8_putc: surrogates and values past U+10FFFF
// have no encoding, and OpenSSL then prints nothing for the character.
func putUTF8(b []byte, c rune) int {
	switch {
	case c < 0:
		return 0
	case c < 0x80:
		b[0] = byte(c)
		return 1
	case c < 0x800:
		b[0], b[1] = byte(0xc0|c>>6), byte(0x80|c&0x3f)
		return 2
	case c < 0x10000:
		if c >= 0xd800 && c < 0xe000 {
			return 0
		}
		b[0], b[1], b[2] = byte(0xe0|c>>12), byte(0x80|(c>>6)&0x3f), byte(0x80|c&0x3f)
		return 3
	case c < 0x110000:
		b[0], b[1], b[2], b[3] = byte(0xf0|c>>18), byte(0x80|(c>>12)&0x3f), byte(0x80|(c>>6)&0x3f), byte(0x80|c&0x3f)
		return 4
	}
	return 0
}

// writeEscaped writes one byte of a value with OpenSSL's RFC 2253 escapes.
// first and last say where its character stands; OpenSSL tests "last"
// after "first", so a one-character value counts only as last.
func writeEscaped(b *strings.Builder, c byte, first, last bool) {
	if first && last {
		first = false
	}
	switch {
	case c > 0x7f || c < 0x20 || c == 0x7f:
		b.WriteByte('\\')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	case strings.IndexByte(`,+"\<>;`, c) >= 0, first && (c == '#' || c == ' '), last && c == ' ':
		b.WriteByte('\\')
		b.WriteByte(c)
	default:
		b.WriteByte(c)
	}
}

// iceSSLName reads s as IceSSL's RFC2253::parseStrict does and joins the
// attributes again with ',', as DistinguishedName's string conversion:
// spaces around separators go, the text of types and values stays.
func iceSSLName(s string) (string, error) {
	var b strings.Builder
	p := &dnParser{s: s}
	for p.pos < len(s) {
		typ, value, err := p.nameComponent()
		if err != nil {
			return "", err
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(typ)
		b.WriteByte('=')
		b.WriteString(value)
		p.eatWhite()
		if p.pos < len(s) && (s[p.pos] == ',' || s[p.pos] == ';') {
			p.pos++
		} else if p.pos < len(s) {
			return "", fmt.Errorf("::IceSSL::ParseException: expected ',' or ';' at `%s'", s[p.pos:])
		}
	}
	return b.String(), nil
}

type dnParser struct {
	s   string
	pos int
}

func (p *dnParser) eatWhite() {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
}

// nameComponent is one RDN: a type and a value, to which the other
// attributes of a multi-valued RDN are appended as "+type=value".
func (p *dnParser) nameComponent() (string, string, error) {
	typ, value, err := p.typeAndValue()
	if err != nil {
		return "", "", err
	}
	for p.pos < len(p.s) {
		p.eatWhite()
		if p.pos >= len(p.s) || p.s[p.pos] != '+' {
			break
		}
		p.pos++
		t2, v2, err := p.typeAndValue()
		if err != nil {
			return "", "", err
		}
		value += "+" + t2 + "=" + v2
	}
	return typ, value, nil
}

func (p *dnParser) typeAndValue() (string, string, error) {
	typ, err := p.attributeType()
	if err != nil {
		return "", "", err
	}
	p.eatWhite()
	if p.pos >= len(p.s) {
		return "", "", errors.New("::IceSSL::ParseException: invalid attribute type/value pair (unexpected end of data)")
	}
	if p.s[p.pos] != '=' {
		return "", "", errors.New("::IceSSL::ParseException: invalid attribute type/value pair (missing =)")
	}
	p.pos++
	value, err := p.attributeValue()
	return typ, value, err
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func (p *dnParser) attributeType() (string, error) {
	p.eatWhite()
	if p.pos >= len(p.s) {
		return "", errors.New("::IceSSL::ParseException: invalid attribute type (expected end of data)")
	}
	start := p.pos
	s := p.s
	switch {
	case isDigit(s[p.pos]) || strings.HasPrefix(s[p.pos:], "oid.") || strings.HasPrefix(s[p.pos:], "OID."):
		if !isDigit(s[p.pos]) {
			p.pos += 4
		}
		for {
			for p.pos < len(s) && isDigit(s[p.pos]) {
				p.pos++
			}
			if p.pos >= len(s) || s[p.pos] != '.' {
				break
			}
			p.pos++
			if p.pos < len(s) && !isDigit(s[p.pos]) {
				return "", errors.New("::IceSSL::ParseException: invalid attribute type (expected end of data)")
			}
		}
	case isAlpha(s[p.pos]):
		p.pos++
		for p.pos < len(s) && (isAlpha(s[p.pos]) || isDigit(s[p.pos]) || s[p.pos] == '-') {
			p.pos++
		}
	default:
		return "", errors.New("::IceSSL::ParseException: invalid attribute type")
	}
	return s[start:p.pos], nil
}

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func (p *dnParser) attributeValue() (string, error) {
	p.eatWhite()
	s := p.s
	start := p.pos
	if p.pos >= len(s) {
		return "", nil
	}
	switch s[p.pos] {
	case '#':
		p.pos++
		for p.pos < len(s) && isHex(s[p.pos]) {
			if p.pos+1 >= len(s) || !isHex(s[p.pos+1]) {
				return "", errors.New("::IceSSL::ParseException: invalid hex format")
			}
			p.pos += 2
		}
	case '"':
		p.pos++
		for {
			if p.pos >= len(s) {
				return "", errors.New("::IceSSL::ParseException: invalid attribute value (unexpected end of data)")
			}
			if s[p.pos] == '"' {
				p.pos++
				break
			}
			if s[p.pos] == '\\' {
				if err := p.pair(); err != nil {
					return "", err
				}
				continue
			}
			p.pos++
		}
	default:
		for p.pos < len(s) {
			c := s[p.pos]
			if c == '\\' {
				if err := p.pair(); err != nil {
					return "", err
				}
				continue
			}
			if strings.IndexByte(",=+<>#;\"", c) >= 0 {
				break
			}
			p.pos++
		}
	}
	return s[start:p.pos], nil
}

// pair is a backslash and the one character after it: IceSSL's test for a
// hex pair never holds, so "\C3" reads as "\C" then "3".
func (p *dnParser) pair() error {
	p.pos++
	if p.pos >= len(p.s) {
		return errors.New("::IceSSL::ParseException: invalid escape format (unexpected end of data)")
	}
	p.pos++
	return nil
}
