package ice

import "fmt"

// ProxyMode is the invocation mode byte of a proxy.
type ProxyMode byte

const (
	ModeTwoway        ProxyMode = 0
	ModeOneway        ProxyMode = 1
	ModeBatchOneway   ProxyMode = 2
	ModeDatagram      ProxyMode = 3
	ModeBatchDatagram ProxyMode = 4
)

// Endpoint types Ice assigns; anything else is kept opaque.
const (
	TCPEndpoint int16 = 1
	SSLEndpoint int16 = 2
	UDPEndpoint int16 = 3
	WSEndpoint  int16 = 4
	WSSEndpoint int16 = 5
)

// Endpoint is one proxy or adapter endpoint. Known types (tcp, ssl, udp, ws,
// wss) are decoded into fields; any other type keeps its body in Raw and is
// written back byte for byte.
type Endpoint struct {
	Type int16
	// Encoding is the encoding of the endpoint's encapsulation, kept so a
	// decoded endpoint is re-encoded byte-exact.
	Encoding Version

	Host string
	Port int32
	// Timeout in milliseconds; -1 means infinite (tcp, ssl, ws, wss).
	Timeout  int32
	Compress bool
	// Resource is the HTTP resource of ws and wss endpoints.
	Resource string
	// UDPProtocol and UDPEncoding are only on the wire for udp endpoints
	// encoded with 1.0.
	UDPProtocol, UDPEncoding Version

	// Raw is the body of an opaque endpoint.
	Raw []byte
}

// Known reports whether floe understands this endpoint type.
func (e *Endpoint) Known() bool { return e.Type >= TCPEndpoint && e.Type <= WSSEndpoint }

// Secure reports whether the transport is TLS.
func (e *Endpoint) Secure() bool { return e.Type == SSLEndpoint || e.Type == WSSEndpoint }

// Proxy is a decoded object proxy.
type Proxy struct {
	Identity Identity
	Facet    string
	Mode     ProxyMode
	Secure   bool
	// Protocol and Encoding are only on the wire in encoding 1.1; they
	// default to 1.0 and 1.1.
	Protocol  Version
	Encoding  Version
	Endpoints []Endpoint
	// AdapterID is set for indirect proxies (no endpoints).
	AdapterID string
}

// IsWellKnown reports whether the proxy has neither endpoints nor an adapter
// id, and so needs a locator to be reached.
func (p *Proxy) IsWellKnown() bool { return len(p.Endpoints) == 0 && p.AdapterID == "" }

// IsIndirect reports whether the proxy has no endpoints.
func (p *Proxy) IsIndirect() bool { return len(p.Endpoints) == 0 }

// Proxy reads a proxy; a null proxy reads as nil with no error.
func (d *Decoder) Proxy() (*Proxy, error) {
	id, err := d.Identity()
	if err != nil {
		return nil, err
	}
	if id.Name == "" {
		return nil, nil
	}
	p := &Proxy{Identity: id, Protocol: Protocol10, Encoding: Encoding11}
	if p.Facet, err = d.Facet(); err != nil {
		return nil, err
	}
	mode, err := d.Byte()
	if err != nil {
		return nil, err
	}
	if mode > byte(ModeBatchDatagram) {
		return nil, malformed("invalid proxy mode %d", mode)
	}
	p.Mode = ProxyMode(mode)
	if p.Secure, err = d.Bool(); err != nil {
		return nil, err
	}
	if d.Encoding != Encoding10 {
		v, err := d.Bytes(4)
		if err != nil {
			return nil, err
		}
		p.Protocol = Version{v[0], v[1]}
		p.Encoding = Version{v[2], v[3]}
	} else {
		p.Encoding = Encoding10
	}
	// An endpoint is at least a type and an empty encapsulation.
	n, err := d.SeqSize(8)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		if p.AdapterID, err = d.String(); err != nil {
			return nil, err
		}
		return p, nil
	}
	p.Endpoints = make([]Endpoint, n)
	for i := range p.Endpoints {
		if err := d.endpoint(&p.Endpoints[i]); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// ProxySeq reads a sequence of proxies; null proxies are kept as nil.
func (d *Decoder) ProxySeq() ([]*Proxy, error) {
	// A proxy is at least a two-byte null identity.
	n, err := d.SeqSize(2)
	if err != nil || n == 0 {
		return nil, err
	}
	s := make([]*Proxy, n)
	for i := range s {
		if s[i], err = d.Proxy(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Endpoint reads one endpoint (type and encapsulation).
func (d *Decoder) Endpoint() (Endpoint, error) {
	var e Endpoint
	err := d.endpoint(&e)
	return e, err
}

func (d *Decoder) endpoint(e *Endpoint) error {
	t, err := d.Int16()
	if err != nil {
		return err
	}
	enc, body, err := d.Encapsulation()
	if err != nil {
		return err
	}
	// Ice checks the encoding of every endpoint encapsulation, opaque ones
	// included, and rejects what it does not support (1.0 and 1.1 only).
	if !supportedEncoding(enc) {
		return malformed("endpoint of type %d in unsupported encoding %v", t, enc)
	}
	*e = Endpoint{Type: t, Encoding: enc}
	if !e.Known() {
		e.Raw = body
		return nil
	}
	b := Decoder{b: body, Encoding: enc}
	if e.Host, err = b.String(); err != nil {
		return fmt.Errorf("endpoint type %d: %w", t, err)
	}
	if e.Port, err = b.Int32(); err != nil {
		return err
	}
	if e.Port < 0 || e.Port > 65535 {
		return malformed("endpoint port %d out of range", e.Port)
	}
	if t == UDPEndpoint {
		if enc == Encoding10 {
			v, err := b.Bytes(4)
			if err != nil {
				return err
			}
			e.UDPProtocol = Version{v[0], v[1]}
			e.UDPEncoding = Version{v[2], v[3]}
		}
	} else {
		if e.Timeout, err = b.Int32(); err != nil {
			return err
		}
	}
	if e.Compress, err = b.Bool(); err != nil {
		return err
	}
	if t == WSEndpoint || t == WSSEndpoint {
		if e.Resource, err = b.String(); err != nil {
			return err
		}
	}
	if b.Remaining() != 0 {
		return malformed("%d trailing bytes in endpoint of type %d", b.Remaining(), t)
	}
	return nil
}

// WriteProxy writes p, or a null proxy when p is nil.
func (e *Encoder) WriteProxy(p *Proxy) {
	if p == nil {
		e.WriteIdentity(Identity{})
		return
	}
	e.WriteIdentity(p.Identity)
	e.WriteFacet(p.Facet)
	_ = e.WriteByte(byte(p.Mode))
	e.WriteBool(p.Secure)
	if e.encoding() != Encoding10 {
		proto, enc := p.Protocol, p.Encoding
		if proto == (Version{}) {
			proto = Protocol10
		}
		if enc == (Version{}) {
			enc = Encoding11
		}
		e.b = append(e.b, proto.Major, proto.Minor, enc.Major, enc.Minor)
	}
	e.WriteSize(len(p.Endpoints))
	if len(p.Endpoints) == 0 {
		e.WriteString(p.AdapterID)
		return
	}
	for i := range p.Endpoints {
		e.WriteEndpoint(&p.Endpoints[i])
	}
}

// WriteProxySeq writes a sequence of proxies.
func (e *Encoder) WriteProxySeq(s []*Proxy) {
	e.WriteSize(len(s))
	for _, p := range s {
		e.WriteProxy(p)
	}
}

// WriteEndpoint writes one endpoint. Its encapsulation uses the endpoint's
// own Encoding when set (so decoded endpoints round-trip), else the
// encoder's current encoding, as Ice does.
func (e *Encoder) WriteEndpoint(ep *Endpoint) {
	e.WriteInt16(ep.Type)
	enc := ep.Encoding
	if enc == (Version{}) {
		enc = e.encoding()
	}
	m := e.StartEncapsulation(enc)
	if !ep.Known() {
		e.WriteRaw(ep.Raw)
		e.EndEncapsulation(m)
		return
	}
	e.WriteString(ep.Host)
	e.WriteInt32(ep.Port)
	if ep.Type == UDPEndpoint {
		if enc == Encoding10 {
			p, v := ep.UDPProtocol, ep.UDPEncoding
			if p == (Version{}) {
				p = Protocol10
			}
			if v == (Version{}) {
				v = Encoding10
			}
			e.b = append(e.b, p.Major, p.Minor, v.Major, v.Minor)
		}
	} else {
		e.WriteInt32(ep.Timeout)
	}
	e.WriteBool(ep.Compress)
	if ep.Type == WSEndpoint || ep.Type == WSSEndpoint {
		e.WriteString(ep.Resource)
	}
	e.EndEncapsulation(m)
}
