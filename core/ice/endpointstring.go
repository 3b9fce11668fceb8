package ice

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// This file holds stringified endpoints as Ice 3.7 parses and prints them
// (EndpointFactoryManager::create, the tcp/ssl/udp/ws/wss/opaque endpoint
// classes' option parsing and toString, ObjectAdapterI::parseEndpoints).

// Defaults are the Ice.Default.* properties that change how stringified
// endpoints and proxies parse. The zero value is Ice's own defaults.
type Defaults struct {
	// Host (Ice.Default.Host) is the host of endpoints without -h; empty,
	// Ice's default, means every interface for an adapter endpoint.
	Host string
	// Protocol (Ice.Default.Protocol) is what a "default" endpoint is;
	// empty means tcp.
	Protocol string
	// Timeout (Ice.Default.Timeout) is the timeout in milliseconds of
	// tcp, ssl, ws and wss endpoints without -t; -1 is infinite, and any
	// other value below 1 means 60000, as in Ice.
	Timeout int32
	// Encoding (Ice.Default.EncodingVersion) is the encoding of proxies
	// without -e; zero means 1.1.
	Encoding Version
}

func (d Defaults) protocol() string {
	if d.Protocol == "" {
		return "tcp"
	}
	return d.Protocol
}

func (d Defaults) timeout() int32 {
	if d.Timeout < 1 && d.Timeout != -1 {
		return 60000
	}
	return d.Timeout
}

func (d Defaults) encoding() Version {
	if d.Encoding == (Version{}) {
		return Encoding11
	}
	return d.Encoding
}

// ParseEndpoints parses object adapter endpoints separated by ':' as in
// "tcp -h 0.0.0.0 -p 4063 : ssl -h 0.0.0.0 -p 4064", what
// Glacier2.Client.Endpoints holds, with Ice's defaults. See
// Defaults.ParseEndpoints.
func ParseEndpoints(s string) ([]Endpoint, error) { return Defaults{}.ParseEndpoints(s) }

// ParsePublishedEndpoints parses endpoints to be put in proxies (what
// Glacier2.Client.PublishedEndpoints holds) with Ice's defaults. See
// Defaults.ParsePublishedEndpoints.
func ParsePublishedEndpoints(s string) ([]Endpoint, error) {
	return Defaults{}.ParsePublishedEndpoints(s)
}

// ParseEndpoint parses one endpoint as it appears in a proxy
// ("tcp -h 10.0.0.2 -p 10000") with Ice's defaults.
func ParseEndpoint(s string) (Endpoint, error) { return Defaults{}.ParseEndpoint(s) }

// ParseEndpoints parses object adapter endpoints the way an Ice object
// adapter reads its Endpoints property: "-h *" and an empty host both mean
// every interface (Host ""), a missing -h means d.Host, --sourceAddress is
// refused, unknown protocols are errors, and an empty or blank string is no
// endpoint at all.
func (d Defaults) ParseEndpoints(s string) ([]Endpoint, error) { return d.parseEndpointList(s, true) }

// ParsePublishedEndpoints parses a list of endpoints for proxies, the way an
// object adapter reads its PublishedEndpoints property: the rules of
// ParseEndpoints, except that "-h *" is refused and --sourceAddress
// accepted.
func (d Defaults) ParsePublishedEndpoints(s string) ([]Endpoint, error) {
	return d.parseEndpointList(s, false)
}

// ParseEndpoint parses one endpoint as it appears after ':' in a proxy.
// Unlike ParseProxy, which skips endpoints of unknown protocols when others
// are left, it refuses them.
func (d Defaults) ParseEndpoint(s string) (Endpoint, error) {
	if end := endpointEnd(s, 0); end != len(s) {
		return Endpoint{}, parseErr(ExcEndpointParse, "`%s' holds more than one endpoint", s)
	}
	ep, known, err := d.parseEndpoint(s, false)
	if err != nil {
		return Endpoint{}, err
	}
	if !known {
		return Endpoint{}, parseErr(ExcEndpointParse, "invalid endpoint `%s': unknown protocol", s)
	}
	return ep, nil
}

// FormatEndpoints prints endpoints as Ice prints an endpoint list, joined
// by ':'.
func FormatEndpoints(eps []Endpoint) string {
	var b strings.Builder
	for i := range eps {
		if i > 0 {
			b.WriteByte(':')
		}
		eps[i].format(&b, nil, true)
	}
	return b.String()
}

// String prints the endpoint as Ice's toString does, e.g.
// "tcp -h 127.0.0.1 -p 4063 -t 60000" or "opaque -t 9 -e 1.1 -v AQID".
func (e *Endpoint) String() string {
	var b strings.Builder
	e.format(&b, nil, true)
	return b.String()
}

const argDelims = " \t\n\r"

var protocolNames = [...]string{TCPEndpoint: "tcp", SSLEndpoint: "ssl", UDPEndpoint: "udp", WSEndpoint: "ws", WSSEndpoint: "wss"}

func protocolType(name string) int16 {
	for t, n := range protocolNames {
		if n != "" && n == name {
			return int16(t)
		}
	}
	return 0
}

// ipExtras are the options Ice accepts, prints and never marshals
// (--sourceAddress; udp's --interface, --ttl and -c). Endpoint has no field
// for them, so they are checked and then dropped; only the texts of errors
// raised while parsing print them, as Ice does.
type ipExtras struct {
	sourceAddress string // as Ice prints it
	iface         string
	ttl           int32 // -1 when unset
	connect       bool
}

// format writes the endpoint as Ice's toString does. x adds the options
// Endpoint cannot hold; withResource=false leaves out the ws resource, as
// in the texts Ice writes for errors found in a ws endpoint's tcp part.
func (e *Endpoint) format(b *strings.Builder, x *ipExtras, withResource bool) {
	if !e.Known() {
		b.WriteString("opaque")
		writeOpaqueOptions(b, int(e.Type), e.Encoding, e.Raw)
		return
	}
	b.WriteString(protocolNames[e.Type])
	if e.Host != "" {
		b.WriteString(" -h ")
		writeQuotedIfColon(b, e.Host)
	}
	b.WriteString(" -p ")
	b.WriteString(strconv.Itoa(int(e.Port)))
	if x != nil && x.sourceAddress != "" {
		b.WriteString(" --sourceAddress ")
		writeQuotedIfColon(b, x.sourceAddress)
	}
	if e.Type == UDPEndpoint {
		if x != nil {
			if x.iface != "" {
				b.WriteString(" --interface ")
				writeQuotedIfColon(b, x.iface)
			}
			if x.ttl != -1 {
				b.WriteString(" --ttl ")
				b.WriteString(strconv.Itoa(int(x.ttl)))
			}
			if x.connect {
				b.WriteString(" -c")
			}
		}
		if e.Compress {
			b.WriteString(" -z")
		}
		return
	}
	if e.Timeout == -1 {
		b.WriteString(" -t infinite")
	} else {
		b.WriteString(" -t ")
		b.WriteString(strconv.Itoa(int(e.Timeout)))
	}
	if e.Compress {
		b.WriteString(" -z")
	}
	if withResource && (e.Type == WSEndpoint || e.Type == WSSEndpoint) && e.Resource != "" {
		b.WriteString(" -r ")
		writeQuotedIfColon(b, e.Resource)
	}
}

// writeQuotedIfColon writes an option value as Ice does: in double quotes
// when it holds a ':', as is otherwise (Ice escapes nothing here).
func writeQuotedIfColon(b *strings.Builder, v string) {
	if strings.IndexByte(v, ':') < 0 {
		b.WriteString(v)
		return
	}
	b.WriteByte('"')
	b.WriteString(v)
	b.WriteByte('"')
}

func writeOpaqueOptions(b *strings.Builder, typ int, enc Version, raw []byte) {
	if typ > -1 {
		b.WriteString(" -t ")
		b.WriteString(strconv.Itoa(typ))
	}
	b.WriteString(" -e ")
	b.WriteString(enc.String())
	if len(raw) > 0 {
		b.WriteString(" -v ")
		b.WriteString(iceBase64Encode(raw))
	}
}

// parseEndpointList is ObjectAdapterI::parseEndpoints.
func (d Defaults) parseEndpointList(s string, adapter bool) ([]Endpoint, error) {
	var eps []Endpoint
	for end := 0; end < len(s); end++ {
		beg := indexNotAny(s, end, argDelims)
		if beg < 0 {
			if len(eps) > 0 {
				return nil, parseErr(ExcEndpointParse, "invalid empty object adapter endpoint")
			}
			break
		}
		end = endpointEnd(s, beg)
		if end == beg {
			return nil, parseErr(ExcEndpointParse, "invalid empty object adapter endpoint")
		}
		es := s[beg:end]
		ep, known, err := d.parseEndpoint(es, adapter)
		if err != nil {
			return nil, err
		}
		if !known {
			return nil, parseErr(ExcEndpointParse, "invalid object adapter endpoint `%s'", es)
		}
		eps = append(eps, ep)
	}
	return eps, nil
}

// endpointEnd returns the index of the ':' that ends the endpoint starting
// at beg, or len(s): a ':' between a pair of double quotes does not count.
func endpointEnd(s string, beg int) int {
	end := beg
	for {
		i := strings.IndexByte(s[end:], ':')
		if i < 0 {
			return len(s)
		}
		end += i
		quoted := false
		for quote := beg; ; {
			q := strings.IndexByte(s[quote:], '"')
			if q < 0 || end < quote+q {
				break
			}
			q += quote
			q2 := strings.IndexByte(s[q+1:], '"')
			if q2 < 0 {
				break
			}
			q2 += q + 1
			if end < q2 {
				quoted = true
				break
			}
			quote = q2 + 1
		}
		if !quoted {
			return end
		}
		end++
	}
}

// parseEndpoint is EndpointFactoryManager::create: known is false, with no
// error, for a protocol Ice has no factory for.
func (d Defaults) parseEndpoint(str string, adapter bool) (ep Endpoint, known bool, err error) {
	args, ok := splitArgs(str)
	if !ok {
		return Endpoint{}, false, parseErr(ExcEndpointParse, "mismatched quote")
	}
	if len(args) == 0 {
		return Endpoint{}, false, parseErr(ExcEndpointParse, "value has no non-whitespace characters")
	}
	proto, args := args[0], args[1:]
	if proto == "default" {
		proto = d.protocol()
	}
	var rest []string
	if t := protocolType(proto); t != 0 {
		ep, rest, err = d.parseIPEndpoint(t, args, adapter)
	} else if proto == "opaque" {
		ep, rest, err = parseOpaqueEndpoint(args)
	} else {
		return Endpoint{}, false, nil
	}
	if err == nil && len(rest) > 0 {
		err = parseErr(ExcEndpointParse, "unrecognized argument `%s' in endpoint `%s'", rest[0], str)
	}
	if err == nil && ep.Type >= TCPEndpoint && ep.Type <= WSSEndpoint && ep.Raw != nil {
		ep, err = opaqueToKnown(ep, str)
	}
	if err != nil {
		return Endpoint{}, false, err
	}
	return ep, true, nil
}

// splitArgs splits an endpoint into words as Ice's splitString does:
// whitespace separates words, single or double quotes group them (and are
// dropped), a backslash escapes a quote, and empty words vanish. ok is false
// for an unterminated quote.
func splitArgs(s string) (args []string, ok bool) {
	var elt []byte
	var quote byte
	for pos := 0; pos < len(s); {
		c := s[pos]
		switch {
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
			pos++
			continue
		case quote == 0 && c == '\\' && pos+1 < len(s) && (s[pos+1] == '\'' || s[pos+1] == '"'):
			pos++
		case quote != 0 && c == '\\' && pos+1 < len(s) && s[pos+1] == quote:
			pos++
		case quote != 0 && c == quote:
			pos++
			quote = 0
			continue
		case quote == 0 && strings.IndexByte(argDelims, c) >= 0:
			pos++
			if len(elt) > 0 {
				args = append(args, string(elt))
				elt = elt[:0]
			}
			continue
		}
		elt = append(elt, s[pos])
		pos++
	}
	if len(elt) > 0 {
		args = append(args, string(elt))
	}
	return args, quote == 0
}

// eachOption is EndpointI::initWithOptions: it hands each "-x [value]"
// pair to check, where a value is the next word unless that starts with
// '-', and returns what check did not recognize, in order.
func eachOption(proto string, args []string, check func(opt, arg, where string) (bool, error)) ([]string, error) {
	where := optionsText(proto, args)
	var unknown []string
	for n := 0; n < len(args); n++ {
		opt := args[n]
		if len(opt) < 2 || opt[0] != '-' {
			unknown = append(unknown, opt)
			continue
		}
		arg := ""
		if n+1 < len(args) && args[n+1][0] != '-' {
			n++
			arg = args[n]
		}
		ok, err := check(opt, arg, where)
		if err != nil {
			return nil, err
		}
		if !ok {
			unknown = append(unknown, opt)
			if arg != "" {
				unknown = append(unknown, arg)
			}
		}
	}
	return unknown, nil
}

// optionsText is how Ice quotes an endpoint in its option errors:
// "`tcp  -h x -p 1'" (sic: two spaces).
func optionsText(proto string, args []string) string {
	var b strings.Builder
	b.WriteString("`")
	b.WriteString(proto)
	b.WriteString(" ")
	for _, a := range args {
		if strings.ContainsAny(a, argDelims) {
			b.WriteString(` "`)
			b.WriteString(a)
			b.WriteString(`"`)
		} else {
			b.WriteString(" ")
			b.WriteString(a)
		}
	}
	b.WriteString("'")
	return b.String()
}

// parseIPEndpoint parses the options of a tcp, ssl, udp, ws or wss endpoint
// and returns the words it did not recognize.
func (d Defaults) parseIPEndpoint(t int16, args []string, adapter bool) (Endpoint, []string, error) {
	proto := protocolNames[t]
	ep := Endpoint{Type: t}
	if t != UDPEndpoint {
		ep.Timeout = d.timeout()
	}
	x := ipExtras{ttl: -1}
	errf := func(format string, args ...any) (bool, error) {
		return false, parseErr(ExcEndpointParse, format, args...)
	}
	rest, err := eachOption(proto, args, func(opt, arg, where string) (bool, error) {
		switch opt {
		case "-h":
			if arg == "" {
				return errf("no argument provided for -h option in endpoint %s", where)
			}
			ep.Host = arg
			return true, nil
		case "-p":
			if arg == "" {
				return errf("no argument provided for -p option in endpoint %s", where)
			}
			port, ok := streamInt(arg)
			if !ok {
				return errf("invalid port value `%s' in endpoint %s", arg, where)
			}
			if port < 0 || port > 65535 {
				return errf("port value `%s' out of range in endpoint %s", arg, where)
			}
			ep.Port = port
			return true, nil
		case "--sourceAddress":
			if arg == "" {
				return errf("no argument provided for --sourceAddress option in endpoint %s", where)
			}
			addr, ok := numericAddress(arg)
			if !ok {
				return errf("invalid IP address provided for --sourceAddress option in endpoint %s", where)
			}
			x.sourceAddress = addr
			return true, nil
		}
		if t == UDPEndpoint {
			switch opt {
			case "-c", "-z":
				if arg != "" {
					return errf("unexpected argument `%s' provided for %s option in %s", arg, opt, where)
				}
				if opt == "-c" {
					x.connect = true
				} else {
					ep.Compress = true
				}
			case "-v", "-e":
				// Deprecated and ignored, but still checked.
				if arg == "" {
					return errf("no argument provided for %s option in endpoint %s", opt, where)
				}
				if _, err := parseIceVersion(arg); err != nil {
					return errf("invalid version `%s' in endpoint %s:\n%v", arg, where, err)
				}
			case "--interface":
				if arg == "" {
					return errf("no argument provided for --interface option in endpoint %s", where)
				}
				x.iface = arg
			case "--ttl":
				if arg == "" {
					return errf("no argument provided for --ttl option in endpoint %s", where)
				}
				ttl, ok := streamInt(arg)
				if !ok {
					return errf("invalid TTL value `%s' in endpoint %s", arg, where)
				}
				x.ttl = ttl
			default:
				return false, nil
			}
			return true, nil
		}
		// Ice's tcp endpoint looks only at the option's second character.
		switch opt[1] {
		case 't':
			if arg == "" {
				return errf("no argument provided for -t option in endpoint %s", where)
			}
			if arg == "infinite" {
				ep.Timeout = -1
				return true, nil
			}
			timeout, ok := streamInt(arg)
			if !ok || timeout < 1 {
				return errf("invalid timeout value `%s' in endpoint %s", arg, where)
			}
			ep.Timeout = timeout
			return true, nil
		case 'z':
			if arg != "" {
				return errf("unexpected argument `%s' provided for -z option in %s", arg, where)
			}
			ep.Compress = true
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return Endpoint{}, nil, err
	}

	if ep.Host == "" {
		ep.Host = d.Host
	} else if ep.Host == "*" {
		if !adapter {
			return Endpoint{}, nil, parseErr(ExcEndpointParse, "`-h *' not valid for proxy endpoint `%s'", ep.text(&x, false))
		}
		ep.Host = ""
	}
	if x.sourceAddress != "" && adapter {
		return Endpoint{}, nil, parseErr(ExcEndpointParse, "`--sourceAddress' not valid for object adapter endpoint `%s'", ep.text(&x, false))
	}
	if t == UDPEndpoint && x.iface == "*" {
		if !adapter {
			return Endpoint{}, nil, parseErr(ExcEndpointParse, "`--interface *' not valid for proxy endpoint `%s'", ep.text(&x, false))
		}
		x.iface = ""
	}

	if t == WSEndpoint || t == WSSEndpoint {
		// A ws endpoint is a tcp (or ssl) one plus the options left over.
		rest, err = eachOption(proto, rest, func(opt, arg, where string) (bool, error) {
			if opt[1] != 'r' {
				return false, nil
			}
			if arg == "" {
				tcp := ep.text(&x, false)
				return errf("no argument provided for -r option in endpoint %s%s", where, tcp[len(proto):])
			}
			ep.Resource = arg
			return true, nil
		})
		if err != nil {
			return Endpoint{}, nil, err
		}
		if ep.Resource == "" {
			ep.Resource = "/"
		}
	}
	return ep, rest, nil
}

func (e *Endpoint) text(x *ipExtras, withResource bool) string {
	var b strings.Builder
	e.format(&b, x, withResource)
	return b.String()
}

// parseOpaqueEndpoint parses "opaque -t type -e encoding -v base64". The
// endpoint keeps its type even when it is a known one; parseEndpoint then
// decodes the bytes into that endpoint, as Ice does.
func parseOpaqueEndpoint(args []string) (Endpoint, []string, error) {
	typ := -1
	enc := Encoding10
	var raw []byte
	errf := func(format string, args ...any) (bool, error) {
		return false, parseErr(ExcEndpointParse, format, args...)
	}
	rest, err := eachOption("opaque", args, func(opt, arg, where string) (bool, error) {
		switch opt[1] {
		case 't':
			if typ > -1 {
				return errf("multiple -t options in endpoint %s", where)
			}
			if arg == "" {
				return errf("no argument provided for -t option in endpoint %s", where)
			}
			t, ok := streamInt(arg)
			if !ok {
				return errf("invalid type value `%s' in endpoint %s", arg, where)
			}
			if t < 0 || t > 65535 {
				return errf("type value `%s' out of range in endpoint %s", arg, where)
			}
			// Ice keeps the type in a short: 32768 and up turn negative,
			// and so count as no type at all.
			typ = int(int16(uint16(t)))
		case 'v':
			if len(raw) > 0 {
				return errf("multiple -v options in endpoint %s", where)
			}
			if arg == "" {
				return errf("no argument provided for -v option in endpoint %s", where)
			}
			for i := 0; i < len(arg); i++ {
				if !isBase64(arg[i]) {
					return errf("invalid base64 character `%c' (ordinal %d) in endpoint %s", arg[i], int8(arg[i]), where)
				}
			}
			raw = iceBase64Decode(arg)
		case 'e':
			if arg == "" {
				return errf("no argument provided for -e option in endpoint %s", where)
			}
			v, err := parseIceVersion(arg)
			if err != nil {
				return errf("invalid encoding version `%s' in endpoint %s:\n%v", arg, where, err)
			}
			enc = v
		default:
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return Endpoint{}, nil, err
	}
	if typ < 0 || len(raw) == 0 {
		var b strings.Builder
		b.WriteString("opaque")
		writeOpaqueOptions(&b, typ, enc, raw)
		missing := "-t"
		if typ >= 0 {
			missing = "-v"
		}
		return Endpoint{}, nil, parseErr(ExcEndpointParse, "no %s option in endpoint %s", missing, b.String())
	}
	return Endpoint{Type: int16(typ), Encoding: enc, Raw: raw}, rest, nil
}

// opaqueToKnown decodes the bytes of an opaque endpoint whose type is a
// known one into that endpoint, reading them exactly as Ice's endpoint
// factories and InputStream do (port and timeout unchecked, trailing bytes
// read as 1.1 optional members or, in 1.0, one tolerated byte).
func opaqueToKnown(op Endpoint, str string) (Endpoint, error) {
	proto := protocolNames[op.Type]
	fail := func(exc, format string, args ...any) (Endpoint, error) {
		return Endpoint{}, parseErr(exc, "invalid endpoint `%s': %s", str, fmt.Sprintf(format, args...))
	}
	if op.Encoding.Major != 1 || op.Encoding.Minor > 1 {
		return fail(ExcUnsupportedEncoding, "encoding %v of the %s endpoint is not supported (1.0 and 1.1 are)", op.Encoding, proto)
	}
	r := iceReader{b: op.Raw}
	ep := Endpoint{Type: op.Type}
	var err error
	if ep.Host, err = r.string(); err == nil {
		ep.Port, err = r.int32()
	}
	if err == nil {
		if op.Type == UDPEndpoint {
			if op.Encoding == Encoding10 {
				err = r.skip(4)
			}
		} else {
			ep.Timeout, err = r.int32()
		}
	}
	if err == nil {
		var c byte
		c, err = r.byte()
		ep.Compress = c != 0
	}
	if err == nil && (op.Type == WSEndpoint || op.Type == WSSEndpoint) {
		ep.Resource, err = r.string()
	}
	if err == nil && op.Encoding != Encoding10 {
		err = r.skipOptionals()
	}
	if err != nil {
		if pe, ok := err.(*ParseError); ok {
			return fail(pe.Exception, "%s endpoint in the -v bytes: %s", proto, pe.Reason)
		}
		return fail(ExcUnmarshalOutOfBounds, "the -v bytes end inside the %s endpoint", proto)
	}
	left := len(r.b) - r.pos
	if left > 1 || (left == 1 && op.Encoding != Encoding10) {
		return fail(ExcEncapsulation, "%d bytes follow the %s endpoint in the -v bytes", left, proto)
	}
	return ep, nil
}

// iceReader reads an endpoint's bytes as Ice's InputStream does; any read
// past the end fails.
type iceReader struct {
	b   []byte
	pos int
}

var errReadPastEnd = fmt.Errorf("read past the end")

func (r *iceReader) skip(n int) error {
	if n < 0 || n > len(r.b)-r.pos {
		return errReadPastEnd
	}
	r.pos += n
	return nil
}

func (r *iceReader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, errReadPastEnd
	}
	r.pos++
	return r.b[r.pos-1], nil
}

func (r *iceReader) int32() (int32, error) {
	if err := r.skip(4); err != nil {
		return 0, err
	}
	b := r.b[r.pos-4:]
	return int32(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24), nil
}

func (r *iceReader) size() (int, error) {
	c, err := r.byte()
	if err != nil || c < 255 {
		return int(c), err
	}
	n, err := r.int32()
	if err == nil && n < 0 {
		err = errReadPastEnd
	}
	return int(n), err
}

func (r *iceReader) string() (string, error) {
	n, err := r.size()
	if err != nil {
		return "", err
	}
	if err := r.skip(n); err != nil {
		return "", err
	}
	return string(r.b[r.pos-n : r.pos]), nil
}

// skipOptionals skips what is left as 1.1 optional members, up to the end
// or an end marker (0xFF).
func (r *iceReader) skipOptionals() error {
	for r.pos < len(r.b) {
		v, _ := r.byte()
		if v == 0xFF {
			return nil
		}
		if v>>3 == 30 {
			if err := r.skipSize(); err != nil {
				return err
			}
		}
		var err error
		switch OptionalFormat(v & 7) {
		case OptionalF1:
			err = r.skip(1)
		case OptionalF2:
			err = r.skip(2)
		case OptionalF4:
			err = r.skip(4)
		case OptionalF8:
			err = r.skip(8)
		case OptionalSize:
			err = r.skipSize()
		case OptionalVSize:
			var n int
			if n, err = r.size(); err == nil {
				err = r.skip(n)
			}
		case OptionalFSize:
			var n int32
			if n, err = r.int32(); err == nil {
				if n < 0 {
					err = errReadPastEnd
				} else {
					err = r.skip(int(n))
				}
			}
		case OptionalClass:
			// An instance index: 0 is null and 2 and up refer to
			// instances Ice never looks for here, so Ice accepts them;
			// 1 starts an instance, which floe does not read (Ice fails
			// on all we tried too, with various exceptions).
			var n int
			if n, err = r.size(); err == nil && n == 1 {
				if r.pos == len(r.b) {
					return errReadPastEnd
				}
				return parseErr(ExcMarshal, "a class instance among its optional members is not supported")
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *iceReader) skipSize() error {
	c, err := r.byte()
	if err == nil && c == 255 {
		err = r.skip(4)
	}
	return err
}

// iceBase64Encode is Ice's Base64::encode: standard base64 with padding,
// and a CRLF after every 76 characters but the last ones.
func iceBase64Encode(raw []byte) string {
	s := base64.StdEncoding.EncodeToString(raw)
	if len(s) <= 76 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/76*2)
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString("\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}

func base64Value(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c - 'A'
	case c >= 'a' && c <= 'z':
		return c - 'a' + 26
	case c >= '0' && c <= '9':
		return c - '0' + 52
	case c == '+':
		return 62
	}
	return 63 // '/', and '=' too, as in Ice
}

// iceBase64Decode is Ice's lenient Base64::decode: it skips characters that
// are not base64, pads a short last group with 'A', and drops the bytes of
// '=' only in the third and fourth places of a group.
func iceBase64Decode(s string) []byte {
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if isBase64(s[i]) {
			clean = append(clean, s[i])
		}
	}
	out := make([]byte, 0, len(clean)*3/4+3)
	for i := 0; i < len(clean); i += 4 {
		c := [4]byte{clean[i], 'A', 'A', 'A'}
		copy(c[1:], clean[i+1:min(i+4, len(clean))])
		b1, b2, b3, b4 := base64Value(c[0]), base64Value(c[1]), base64Value(c[2]), base64Value(c[3])
		out = append(out, b1<<2|b2>>4)
		if c[2] != '=' {
			out = append(out, (b2&0xf)<<4|b3>>2)
		}
		if c[3] != '=' {
			out = append(out, (b3&0x3)<<6|b4)
		}
	}
	return out
}

// streamInt parses an int as C++'s `istringstream >> int' followed by an
// eof() check does: leading white space, an optional sign, decimal digits
// that fit an int32, and nothing after them.
func streamInt(s string) (int32, bool) {
	i := 0
	for i < len(s) && strings.IndexByte(" \t\n\v\f\r", s[i]) >= 0 {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i == len(s) {
		return 0, false
	}
	var v int64
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		v = v*10 + int64(s[i]-'0')
		if v > 1<<31 {
			return 0, false
		}
	}
	if neg {
		v = -v
	}
	if v > 1<<31-1 {
		return 0, false
	}
	return int32(v), true
}

// parseIceVersion parses "major.minor" as Ice's stringToEncodingVersion and
// stringToProtocolVersion do; its error is Ice's VersionParseException text.
func parseIceVersion(s string) (Version, error) {
	dot := strings.IndexByte(s, '.')
	if dot < 0 {
		return Version{}, fmt.Errorf("malformed version value `%s'", s)
	}
	major, ok := streamInt(s[:dot])
	if !ok {
		return Version{}, fmt.Errorf("invalid major version value `%s'", s)
	}
	minor, ok := streamInt(s[dot+1:])
	if !ok {
		return Version{}, fmt.Errorf("invalid minor version value `%s'", s)
	}
	if major < 1 || major > 255 || minor < 0 || minor > 255 {
		return Version{}, fmt.Errorf("range error in version `%s'", s)
	}
	return Version{byte(major), byte(minor)}, nil
}

// numericAddress checks a --sourceAddress value as Ice does (a numeric
// address, IPv4 in any form inet_aton takes, or IPv6) and returns it as Ice
// prints it.
func numericAddress(s string) (string, bool) {
	if v4, ok := inetAton(s); ok {
		return netip.AddrFrom4(v4).String(), true
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Is6() {
		return a.String(), true
	}
	return "", false
}

// inetAton parses an IPv4 address the way glibc's inet_aton does with
// nothing allowed after it: one to four parts, each decimal, octal (leading
// 0) or hex (0x), the last one filling the bytes left.
func inetAton(s string) ([4]byte, bool) {
	var parts [3]uint64
	n, i := 0, 0
	var last uint64
	for {
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return [4]byte{}, false
		}
		var v uint64
		v, i = strtoul(s, i)
		if i < len(s) && s[i] == '.' {
			if n > 2 || v > 0xff {
				return [4]byte{}, false
			}
			parts[n] = v
			n++
			i++
			continue
		}
		last = v
		break
	}
	if i != len(s) || last > [...]uint64{0xffffffff, 0xffffff, 0xffff, 0xff}[n] {
		return [4]byte{}, false
	}
	v := uint32(last)
	for k := 0; k < n; k++ {
		v |= uint32(parts[k]) << (24 - 8*k)
	}
	return [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}, true
}

// strtoul reads an unsigned number at s[i:] as C's strtoul with base 0
// does, saturating past 32 bits, and returns it with the index after it.
func strtoul(s string, i int) (uint64, int) {
	base := uint64(10)
	if s[i] == '0' {
		base = 8
		if i+2 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') && isHex(s[i+2]) {
			base = 16
			i += 2
		}
	}
	var v uint64
	for ; i < len(s); i++ {
		d, ok := hexDigit(s[i])
		if !ok || uint64(d) >= base {
			break
		}
		v = min(v*base+uint64(d), 1<<33)
	}
	return v, i
}

func isHex(c byte) bool { _, ok := hexDigit(c); return ok }

func indexAny(s string, from int, chars string) int {
	if from >= len(s) {
		return -1
	}
	if i := strings.IndexAny(s[from:], chars); i >= 0 {
		return from + i
	}
	return -1
}

func indexNotAny(s string, from int, chars string) int {
	for i := from; i < len(s); i++ {
		if strings.IndexByte(chars, s[i]) < 0 {
			return i
		}
	}
	return -1
}
