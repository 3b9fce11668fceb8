package ice

import "strings"

// This file holds stringified proxies as Ice 3.7 parses and prints them
// (ReferenceFactory::create, Reference::toString). Identities and escapes
// are in identitystring.go, endpoints in endpointstring.go.

const proxyDelims = " \t\r\n"

// modeFlags holds the proxy option of each ProxyMode, in mode order:
// -t twoway, -o oneway, -O batch oneway, -d datagram, -D batch datagram.
const modeFlags = "toOdD"

// ParseProxy parses a stringified proxy ("hello -t -e 1.1:tcp -h h -p 1",
// "hello@Adapter", "hello") with Ice's defaults. An empty string, or an
// empty identity alone (`""`), is a nil proxy. See Defaults.ParseProxy.
func ParseProxy(s string) (*Proxy, error) { return Defaults{}.ParseProxy(s) }

// ParseProxy parses a stringified proxy as Ice's stringToProxy does with
// the properties d stands for: the identity, possibly quoted; the options
// -f facet, -t -o -O -d -D (mode), -s, -e encoding and -p protocol; then
// endpoints after ':' (those of unknown protocols are dropped when others
// are left, as Ice does after a warning), or an adapter id after '@'.
// Endpoints without -h get d.Host, those without -t d's timeout, and a
// proxy without -e d's encoding.
//
// Errors are *ParseError with Ice's text. Ice accepts options Endpoint has
// no field for (--sourceAddress, and udp's --interface, --ttl and -c);
// they are checked and dropped, as they are when Ice marshals the proxy.
func (d Defaults) ParseProxy(s string) (*Proxy, error) {
	if s == "" {
		return nil, nil
	}
	beg := indexNotAny(s, 0, proxyDelims)
	if beg < 0 {
		return nil, parseErr(ExcProxyParse, "no non-whitespace characters found in `%s'", s)
	}

	// The identity, which may be quoted.
	var idstr string
	closing, quoted, ok := checkQuote(s, beg)
	if !ok {
		return nil, parseErr(ExcProxyParse, "mismatched quotes around identity in `%s'", s)
	}
	end := closing
	if quoted {
		beg++
		idstr = s[beg:end]
		end++
	} else {
		end = indexAnyOrLen(s, beg, proxyDelims+":@")
		idstr = s[beg:end]
	}
	if beg == end {
		return nil, parseErr(ExcProxyParse, "no identity in `%s'", s)
	}
	id, err := ParseIdentity(idstr)
	if err != nil {
		return nil, err
	}
	if id.Name == "" {
		if id.Category != "" {
			return nil, parseErr(ExcIllegalIdentity, "illegal identity `%s' in `%s': an identity with a category needs a name", id, s)
		}
		if indexNotAny(s, end, proxyDelims) >= 0 {
			return nil, parseErr(ExcProxyParse, "invalid characters after identity in `%s'", s)
		}
		return nil, nil
	}

	p := &Proxy{Identity: id, Mode: ModeTwoway, Protocol: Protocol10, Encoding: d.encoding()}
	for {
		beg = indexNotAny(s, end, proxyDelims)
		if beg < 0 || s[beg] == ':' || s[beg] == '@' {
			break
		}
		end = indexAnyOrLen(s, beg, proxyDelims+":@")
		option := s[beg:end]
		if len(option) != 2 || option[0] != '-' {
			return nil, parseErr(ExcProxyParse, "expected a proxy option but found `%s' in `%s'", option, s)
		}

		// An argument follows unless the next word starts with '@', ':'
		// or '-'; it may be quoted.
		argument := ""
		if ab := indexNotAny(s, end, proxyDelims); ab >= 0 && s[ab] != '@' && s[ab] != ':' && s[ab] != '-' {
			beg = ab
			closing, quoted, ok := checkQuote(s, beg)
			switch {
			case !ok:
				return nil, parseErr(ExcProxyParse, "mismatched quotes around value for %s option in `%s'", option, s)
			case quoted:
				argument = s[beg+1 : closing]
				end = closing + 1
			default:
				end = indexAnyOrLen(s, beg, proxyDelims+":@")
				argument = s[beg:end]
			}
		}

		switch c := option[1]; c {
		case 'f':
			if argument == "" {
				return nil, parseErr(ExcProxyParse, "no argument provided for -f option in `%s'", s)
			}
			if p.Facet, err = unescape(argument, 0, len(argument), ""); err != nil {
				return nil, parseErr(ExcProxyParse, "invalid facet in `%s': %v", s, err)
			}
		case 't', 'o', 'O', 'd', 'D', 's':
			if argument != "" {
				return nil, parseErr(ExcProxyParse, "unexpected argument `%s' provided for %s option in `%s'", argument, option, s)
			}
			if m := strings.IndexByte(modeFlags, c); m >= 0 {
				p.Mode = ProxyMode(m)
			} else {
				p.Secure = true
			}
		case 'e', 'p':
			what, v := "encoding", &p.Encoding
			if c == 'p' {
				what, v = "protocol", &p.Protocol
			}
			if argument == "" {
				return nil, parseErr(ExcProxyParse, "no argument provided for %s option in `%s'", option, s)
			}
			if *v, err = parseIceVersion(argument); err != nil {
				return nil, parseErr(ExcProxyParse, "invalid %s version `%s' in `%s':\n%v", what, argument, s, err)
			}
		default:
			return nil, parseErr(ExcProxyParse, "unknown option `%s' in `%s'", option, s)
		}
	}
	if beg < 0 {
		return p, nil // a well-known proxy
	}

	if s[beg] == ':' {
		var unknown []string
		for end = beg; end < len(s) && s[end] == ':'; {
			beg = end + 1
			end = endpointEnd(s, beg)
			es := s[beg:end]
			ep, known, err := d.parseEndpoint(es, false)
			if err != nil {
				return nil, err
			}
			if known {
				p.Endpoints = append(p.Endpoints, ep)
			} else {
				unknown = append(unknown, es)
			}
		}
		if len(p.Endpoints) == 0 {
			return nil, parseErr(ExcEndpointParse, "invalid endpoint `%s' in `%s'", unknown[0], s)
		}
		return p, nil
	}

	// s[beg] == '@': an adapter id, which may be quoted, and nothing after.
	beg = indexNotAny(s, beg+1, proxyDelims)
	if beg < 0 {
		return nil, parseErr(ExcProxyParse, "missing adapter id in `%s'", s)
	}
	var adapter string
	closing, quoted, ok = checkQuote(s, beg)
	switch {
	case !ok:
		return nil, parseErr(ExcProxyParse, "mismatched quotes around adapter id in `%s'", s)
	case quoted:
		adapter = s[beg+1 : closing]
		end = closing + 1
	default:
		end = indexAnyOrLen(s, beg, proxyDelims)
		adapter = s[beg:end]
	}
	if indexNotAny(s, end, proxyDelims) >= 0 {
		return nil, parseErr(ExcProxyParse, "invalid trailing characters after `%s' in `%s'", s[:min(end+1, len(s))], s)
	}
	if p.AdapterID, err = unescape(adapter, 0, len(adapter), ""); err != nil {
		return nil, parseErr(ExcProxyParse, "invalid adapter id in `%s': %v", s, err)
	}
	if p.AdapterID == "" {
		return nil, parseErr(ExcProxyParse, "empty adapter id in `%s'", s)
	}
	return p, nil
}

// checkQuote is Ice's: when s[start] is a quote (' or "), closing is the
// index of the next same quote not preceded by a backslash, and ok is false
// when there is none.
func checkQuote(s string, start int) (closing int, quoted, ok bool) {
	q := s[start]
	if q != '"' && q != '\'' {
		return 0, false, true
	}
	for i := start + 1; i < len(s); {
		p := strings.IndexByte(s[i:], q)
		if p < 0 {
			break
		}
		p += i
		if s[p-1] != '\\' {
			return p, true, true
		}
		i = p + 1
	}
	return 0, true, false
}

func indexAnyOrLen(s string, from int, chars string) int {
	if i := indexAny(s, from, chars); i >= 0 {
		return i
	}
	return len(s)
}

// String prints the proxy as Ice's proxyToString does: the identity (quoted
// when it holds a space, ':' or '@'), -f facet, the mode flag, -s, -p when
// the protocol is not 1.0, always -e, then ":endpoint"s or " @ adapter".
// A nil proxy prints as "".
func (p *Proxy) String() string {
	if p == nil {
		return ""
	}
	var b strings.Builder
	writeQuotedIfSeparator(&b, p.Identity.String())
	if p.Facet != "" {
		b.WriteString(" -f ")
		writeQuotedIfSeparator(&b, escape(p.Facet, 0))
	}
	if int(p.Mode) < len(modeFlags) {
		b.WriteString(" -")
		b.WriteByte(modeFlags[p.Mode])
	}
	if p.Secure {
		b.WriteString(" -s")
	}
	if proto := p.Protocol; proto != (Version{}) && proto != Protocol10 {
		b.WriteString(" -p ")
		b.WriteString(proto.String())
	}
	enc := p.Encoding
	if enc == (Version{}) {
		enc = Encoding11
	}
	b.WriteString(" -e ")
	b.WriteString(enc.String())
	if len(p.Endpoints) > 0 {
		for i := range p.Endpoints {
			b.WriteByte(':')
			p.Endpoints[i].format(&b, nil, true)
		}
	} else if p.AdapterID != "" {
		b.WriteString(" @ ")
		writeQuotedIfSeparator(&b, escape(p.AdapterID, 0))
	}
	return b.String()
}

func writeQuotedIfSeparator(b *strings.Builder, v string) {
	if !strings.ContainsAny(v, " :@") {
		b.WriteString(v)
		return
	}
	b.WriteByte('"')
	b.WriteString(v)
	b.WriteByte('"')
}
