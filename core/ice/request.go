package ice

import "encoding/binary"

// Request is a decoded view of one request in a message body. It holds
// offsets into the body rather than copies, so the router can look at the
// header fields and forward everything else untouched; the accessor methods
// that return strings allocate, the ones returning bytes do not.
type Request struct {
	// ID is the request id; 0 for oneways and batched requests.
	ID int32
	// Raw is the body bytes the request spans, from the identity (just after
	// the request id, if any) to the end of its params encapsulation.
	Raw []byte

	identityEnd int // end of identity, relative to Raw
	facetEnd    int
	opStart     int // first byte of the operation string (after its size)
	opEnd       int
	modeAt      int
	ctxStart    int // context size byte(s)
	ctxEnd      int
	ctxCount    int
}

// ParseRequest decodes the body of a request message (everything after the
// 14-byte header).
func ParseRequest(body []byte) (Request, error) {
	if len(body) < 4 {
		return Request{}, truncated("request id", 4, len(body))
	}
	id := int32(binary.LittleEndian.Uint32(body))
	r, n, err := parseRequestFields(body[4:])
	if err != nil {
		return Request{}, err
	}
	if n != len(body)-4 {
		return Request{}, malformed("%d trailing bytes after request", len(body)-4-n)
	}
	r.ID = id
	return r, nil
}

// parseRequestFields decodes identity .. params from b and returns the
// request and the number of bytes it spans.
func parseRequestFields(b []byte) (Request, int, error) {
	d := Decoder{b: b}
	var r Request
	if _, err := d.StringBytes(); err != nil { // name
		return r, 0, err
	}
	if _, err := d.StringBytes(); err != nil { // category
		return r, 0, err
	}
	r.identityEnd = d.pos
	if _, err := d.Facet(); err != nil {
		return r, 0, err
	}
	r.facetEnd = d.pos
	op, err := d.StringBytes()
	if err != nil {
		return r, 0, err
	}
	r.opEnd = d.pos
	r.opStart = d.pos - len(op)
	r.modeAt = d.pos
	mode, err := d.Byte()
	if err != nil {
		return r, 0, err
	}
	if mode > byte(Idempotent) {
		return r, 0, malformed("invalid operation mode %d", mode)
	}
	r.ctxStart = d.pos
	n, err := d.SeqSize(2)
	if err != nil {
		return r, 0, err
	}
	for i := 0; i < n; i++ {
		if _, err := d.StringBytes(); err != nil {
			return r, 0, err
		}
		if _, err := d.StringBytes(); err != nil {
			return r, 0, err
		}
	}
	r.ctxCount = n
	r.ctxEnd = d.pos
	if _, _, err := d.Encapsulation(); err != nil {
		return r, 0, err
	}
	r.Raw = b[:d.pos:d.pos]
	return r, d.pos, nil
}

// ParseBatchRequest decodes the body of a batch request message and calls fn
// for each request in it, in order (each with ID 0). It checks the whole
// batch before calling fn, so a malformed batch forwards nothing.
func ParseBatchRequest(body []byte, fn func(Request) error) error {
	d := Decoder{b: body}
	count, err := d.Int32()
	if err != nil {
		return err
	}
	if count < 0 {
		return malformed("negative batch request count %d", count)
	}
	// The smallest request is 2+1+1+1+1+6 bytes.
	if int(count) > d.Remaining()/12 {
		return malformed("batch of %d requests cannot fit in %d bytes", count, d.Remaining())
	}
	start := d.pos
	for i := int32(0); i < count; i++ {
		_, n, err := parseRequestFields(body[d.pos:])
		if err != nil {
			return err
		}
		d.pos += n
	}
	if d.pos != len(body) {
		return malformed("%d trailing bytes after batch request", len(body)-d.pos)
	}
	d.pos = start
	for i := int32(0); i < count; i++ {
		r, n, _ := parseRequestFields(body[d.pos:])
		d.pos += n
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// IdentityBytes returns the identity as encoded on the wire (name then
// category, with their sizes). It is a canonical key for the identity.
func (r *Request) IdentityBytes() []byte { return r.Raw[:r.identityEnd] }

// Identity decodes the identity.
func (r *Request) Identity() Identity {
	d := Decoder{b: r.Raw[:r.identityEnd]}
	id, _ := d.Identity()
	return id
}

// CategoryBytes returns the identity category without copying.
func (r *Request) CategoryBytes() []byte {
	d := Decoder{b: r.Raw[:r.identityEnd]}
	_, _ = d.StringBytes()
	c, _ := d.StringBytes()
	return c
}

// NameBytes returns the identity name without copying.
func (r *Request) NameBytes() []byte {
	d := Decoder{b: r.Raw[:r.identityEnd]}
	n, _ := d.StringBytes()
	return n
}

// Facet decodes the facet ("" for none).
func (r *Request) Facet() string {
	d := Decoder{b: r.Raw[r.identityEnd:r.facetEnd]}
	f, _ := d.Facet()
	return f
}

// FacetBytes returns the encoded facet sequence.
func (r *Request) FacetBytes() []byte { return r.Raw[r.identityEnd:r.facetEnd] }

// OperationBytes returns the operation name without copying.
func (r *Request) OperationBytes() []byte { return r.Raw[r.opStart:r.opEnd] }

// Operation returns the operation name.
func (r *Request) Operation() string { return string(r.Raw[r.opStart:r.opEnd]) }

// Mode returns the operation mode.
func (r *Request) Mode() OperationMode { return OperationMode(r.Raw[r.modeAt]) }

// HeadBytes returns identity, facet, operation and mode as encoded: the part
// of a request that is forwarded unchanged before the context.
func (r *Request) HeadBytes() []byte { return r.Raw[:r.ctxStart] }

// ContextBytes returns the encoded context, its size included.
func (r *Request) ContextBytes() []byte { return r.Raw[r.ctxStart:r.ctxEnd] }

// ContextLen is the number of context entries.
func (r *Request) ContextLen() int { return r.ctxCount }

// Context decodes the context (nil when empty).
func (r *Request) Context() Context {
	d := Decoder{b: r.Raw[r.ctxStart:r.ctxEnd]}
	c, _ := d.Context()
	return c
}

// ContextValue looks up one context entry without decoding the others.
func (r *Request) ContextValue(key string) (string, bool) {
	if r.ctxCount == 0 {
		return "", false
	}
	d := Decoder{b: r.Raw[r.ctxStart:r.ctxEnd]}
	n, _ := d.Size()
	for i := 0; i < n; i++ {
		k, _ := d.StringBytes()
		v, _ := d.StringBytes()
		if string(k) == key {
			return string(v), true
		}
	}
	return "", false
}

// Params returns the params encapsulation, header included.
func (r *Request) Params() []byte { return r.Raw[r.ctxEnd:] }

// ParamsEncoding returns the encoding of the params encapsulation.
func (r *Request) ParamsEncoding() Version {
	p := r.Raw[r.ctxEnd:]
	return Version{p[4], p[5]}
}

// ParamsBody returns the params without the encapsulation header.
func (r *Request) ParamsBody() []byte { return r.Raw[r.ctxEnd+6:] }

// IdentityEquals reports whether the request's identity is id, without
// allocating.
func (r *Request) IdentityEquals(id Identity) bool {
	d := Decoder{b: r.Raw[:r.identityEnd]}
	n, _ := d.StringBytes()
	c, _ := d.StringBytes()
	return string(n) == id.Name && string(c) == id.Category
}

// RequestSpec describes a request to encode.
type RequestSpec struct {
	ID        int32
	Identity  Identity
	Facet     string
	Operation string
	Mode      OperationMode
	Context   Context
	// Params is the params encapsulation, header included; nil means an
	// empty 1.1 encapsulation.
	Params []byte
}

// AppendRequestMessage appends a complete request message (header included).
func AppendRequestMessage(b []byte, s RequestSpec) []byte {
	start := len(b)
	b = AppendHeader(b, RequestMsg, 0, 0)
	e := Encoder{b: b}
	e.WriteInt32(s.ID)
	e.WriteIdentity(s.Identity)
	e.WriteFacet(s.Facet)
	e.WriteString(s.Operation)
	_ = e.WriteByte(byte(s.Mode))
	e.WriteContext(s.Context)
	if s.Params == nil {
		e.WriteEmptyEncapsulation(Encoding11)
	} else {
		e.WriteRaw(s.Params)
	}
	b = e.b
	SetMessageSize(b[start:])
	return b
}

// AppendContext appends an encoded context built from the entries of the
// encoded context enc with the entries of set added or replaced and the keys
// of remove dropped. It is how patches are applied without decoding the
// whole context into a map.
func AppendContext(b []byte, enc []byte, set Context, remove []string) []byte {
	d := Decoder{b: enc}
	// enc is normally a context ParseRequest checked; SeqSize still keeps
	// a bad size from sizing the allocation below.
	n, _ := d.SeqSize(2)
	type kv struct{ k, v []byte }
	kept := make([]kv, 0, n+len(set))
	for i := 0; i < n; i++ {
		k, _ := d.StringBytes()
		v, _ := d.StringBytes()
		if _, ok := set[string(k)]; ok {
			continue
		}
		drop := false
		for _, r := range remove {
			if string(k) == r {
				drop = true
				break
			}
		}
		if !drop {
			kept = append(kept, kv{k, v})
		}
	}
	e := Encoder{b: b}
	e.WriteSize(len(kept) + len(set))
	for _, p := range kept {
		e.WriteStringBytes(p.k)
		e.WriteStringBytes(p.v)
	}
	for _, k := range sortedKeys(set) {
		e.WriteString(k)
		e.WriteString(set[k])
	}
	return e.b
}
