package ice

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// This file holds the stringified identity and the escapes Ice uses in
// identities, facets and adapter ids, as Ice 3.7 writes and reads them
// (Ice::identityToString with ToStringMode Unicode, Ice::stringToIdentity,
// IceUtilInternal::escapeString/unescapeString).

// The Ice exceptions a stringified form can fail with; ParseError.Exception
// holds one of them.
const (
	ExcIdentityParse        = "::Ice::IdentityParseException"
	ExcIllegalIdentity      = "::Ice::IllegalIdentityException"
	ExcProxyParse           = "::Ice::ProxyParseException"
	ExcEndpointParse        = "::Ice::EndpointParseException"
	ExcUnmarshalOutOfBounds = "::Ice::UnmarshalOutOfBoundsException"
	ExcEncapsulation        = "::Ice::EncapsulationException"
	ExcUnsupportedEncoding  = "::Ice::UnsupportedEncodingException"
	ExcMarshal              = "::Ice::MarshalException"
)

// ParseError is the error of every Parse function here: the Ice exception
// Ice 3.7 raises for the same input and a reason that says what is wrong and
// where, in Ice's own words where Ice has some.
type ParseError struct {
	Exception string
	Reason    string
}

func (e *ParseError) Error() string { return "ice: " + e.Reason }

func parseErr(exc, format string, args ...any) *ParseError {
	return &ParseError{Exception: exc, Reason: fmt.Sprintf(format, args...)}
}

// ParseIdentity parses a stringified identity ("category/name", with Ice's
// escapes), as Ice.stringToIdentity does: the first unescaped '/' separates
// the category from the name, a second one is an error, and an empty name is
// accepted (a proxy refuses it, see ParseProxy).
func ParseIdentity(s string) (Identity, error) {
	slash := -1
	for pos := 0; pos < len(s); pos++ {
		if s[pos] != '/' {
			continue
		}
		escapes := 0
		for pos-escapes > 0 && s[pos-escapes-1] == '\\' {
			escapes++
		}
		if escapes%2 == 0 {
			if slash >= 0 {
				return Identity{}, parseErr(ExcIdentityParse, "unescaped '/' in identity `%s'", s)
			}
			slash = pos
		}
	}
	var id Identity
	var err error
	if slash < 0 {
		if id.Name, err = unescape(s, 0, len(s), "/"); err != nil {
			return Identity{}, parseErr(ExcIdentityParse, "invalid identity name `%s': %v", s, err)
		}
		return id, nil
	}
	if id.Category, err = unescape(s, 0, slash, "/"); err != nil {
		return Identity{}, parseErr(ExcIdentityParse, "invalid category in identity `%s': %v", s, err)
	}
	if slash+1 < len(s) {
		if id.Name, err = unescape(s, slash+1, len(s), "/"); err != nil {
			return Identity{}, parseErr(ExcIdentityParse, "invalid name in identity `%s': %v", s, err)
		}
	}
	return id, nil
}

// String prints the identity as Ice's identityToString does (Unicode mode):
// "category/name" with '/' and non-printable characters escaped, or just the
// name when the category is empty.
func (id Identity) String() string {
	if id.Category == "" {
		return escape(id.Name, '/')
	}
	return escape(id.Category, '/') + "/" + escape(id.Name, '/')
}

// escape adds Ice's escapes (Unicode mode): backslash, quotes and special
// (0 for none) get a backslash, control characters their C escape or \u00XX,
// and everything else, UTF-8 included, is kept as it is.
func escape(s string, special byte) string {
	if !needsEscape(s, special) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '\'', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\v':
			b.WriteString(`\v`)
		default:
			switch {
			case special != 0 && c == special:
				b.WriteByte('\\')
				b.WriteByte(c)
			case c < 32 || c == 127:
				const hex = "0123456789abcdef"
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			default:
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

func needsEscape(s string, special byte) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 32 || c == 127 || c == '\\' || c == '\'' || c == '"' || (special != 0 && c == special) {
			return true
		}
	}
	return false
}

// unescape removes Ice's escapes from s[start:end]. special lists the
// characters whose escape drops the backslash beyond Ice's standard ones;
// any other unknown escape keeps it. Unescaped control characters are
// refused. Error texts are Ice's, and name positions in s from its start,
// as Ice does.
func unescape(s string, start, end int, special string) (string, error) {
	if strings.IndexByte(s[start:end], '\\') < 0 {
		for p := start; p < end; p++ {
			if err := checkChar(s, p); err != nil {
				return "", err
			}
		}
		return s[start:end], nil
	}
	out := make([]byte, 0, end-start)
	for start < end {
		if s[start] != '\\' {
			if err := checkChar(s, start); err != nil {
				return "", err
			}
			out = append(out, s[start])
			start++
			continue
		}
		if start+1 == end {
			// A trailing backslash is kept.
			out = append(out, '\\')
			start++
			continue
		}
		start++
		c := s[start]
		switch c {
		case '\\', '\'', '"', '?':
			out = append(out, c)
			start++
		case 'a', 'b', 'f', 'n', 'r', 't', 'v':
			out = append(out, "\a\b\f\n\r\t\v"[strings.IndexByte("abfnrtv", c)])
			start++
		case 'u', 'U':
			size := 4
			if c == 'U' {
				size = 8
			}
			start++
			var cp uint32
			for size > 0 && start < end {
				d, ok := hexDigit(s[start])
				start++
				if !ok {
					break
				}
				cp = cp*16 + uint32(d)
				size--
			}
			if size > 0 {
				return "", unescapeError("Invalid universal character name: too few hex digits")
			}
			var err error
			if out, err = appendCodePoint(out, cp); err != nil {
				return "", err
			}
		case '0', '1', '2', '3', '4', '5', '6', '7':
			val := 0
			for j := 0; j < 3 && start < end; j++ {
				d := int(s[start]) - '0'
				if d < 0 || d > 7 {
					break
				}
				start++
				val = val*8 + d
			}
			if val > 255 {
				return "", fmt.Errorf("octal value \\%o (%d) is out of range", val, val)
			}
			out = append(out, byte(val))
		case 'x':
			start++
			val, n := 0, 0
			for n < 2 && start < end {
				d, ok := hexDigit(s[start])
				if !ok {
					break
				}
				start++
				val = val*16 + d
				n++
			}
			if n == 0 {
				return "", unescapeError(`Invalid \x escape sequence: no hex digit`)
			}
			out = append(out, byte(val))
		default:
			if strings.IndexByte(special, c) < 0 {
				out = append(out, '\\')
			}
			if err := checkChar(s, start); err != nil {
				return "", err
			}
			out = append(out, c)
			start++
		}
	}
	return string(out), nil
}

// unescapeError is an error of unescape, in Ice's words (which are
// capitalized, unlike Go's).
type unescapeError string

func (e unescapeError) Error() string { return string(e) }

// checkChar refuses the control characters Ice refuses in escaped strings.
func checkChar(s string, pos int) error {
	c := s[pos]
	if c >= 32 && c != 127 {
		return nil
	}
	if pos > 0 {
		return fmt.Errorf("character after `%s' has invalid ordinal value %d", s[:pos], c)
	}
	return fmt.Errorf("first character has invalid ordinal value %d", c)
}

func hexDigit(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}

// appendCodePoint appends cp as UTF-8, refusing surrogates and values past
// U+10FFFF as Ice does.
func appendCodePoint(out []byte, cp uint32) ([]byte, error) {
	switch {
	case cp >= 0xD800 && cp <= 0xDFFF:
		return nil, unescapeError("A universal character name cannot designate a surrogate")
	case cp > 0x10FFFF:
		return nil, unescapeError("Invalid universal character name")
	}
	return utf8.AppendRune(out, rune(cp)), nil
}
