package ice

import (
	"encoding/binary"
	"math"
	"slices"
)

// Encoder appends Ice-encoded values to a byte slice. The zero value is ready
// to use and writes encoding 1.1.
type Encoder struct {
	b []byte
	// Encoding is the encoding of the encapsulation being written; it
	// decides how proxies and exceptions are laid out. Zero means 1.1.
	Encoding Version
}

// NewEncoder returns an encoder appending to buf (which may be nil).
func NewEncoder(buf []byte) *Encoder { return &Encoder{b: buf, Encoding: Encoding11} }

// Bytes returns everything written so far.
func (e *Encoder) Bytes() []byte { return e.b }

// Len is the number of bytes written so far.
func (e *Encoder) Len() int { return len(e.b) }

// Reset empties the encoder, keeping its buffer.
func (e *Encoder) Reset() { e.b = e.b[:0] }

func (e *Encoder) encoding() Version {
	if e.Encoding == (Version{}) {
		return Encoding11
	}
	return e.Encoding
}

func (e *Encoder) WriteRaw(b []byte) { e.b = append(e.b, b...) }

// WriteByte appends one byte; it never fails (it satisfies io.ByteWriter).
func (e *Encoder) WriteByte(v byte) error { e.b = append(e.b, v); return nil }
func (e *Encoder) WriteInt16(v int16)     { e.b = binary.LittleEndian.AppendUint16(e.b, uint16(v)) }
func (e *Encoder) WriteInt32(v int32)     { e.b = binary.LittleEndian.AppendUint32(e.b, uint32(v)) }
func (e *Encoder) WriteInt64(v int64)     { e.b = binary.LittleEndian.AppendUint64(e.b, uint64(v)) }
func (e *Encoder) WriteFloat32(v float32) {
	e.WriteInt32(int32(math.Float32bits(v)))
}
func (e *Encoder) WriteFloat64(v float64) {
	e.WriteInt64(int64(math.Float64bits(v)))
}

func (e *Encoder) WriteBool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// WriteSize writes an Ice size.
func (e *Encoder) WriteSize(n int) {
	if n < 255 {
		e.b = append(e.b, byte(n))
		return
	}
	e.b = append(e.b, 255)
	e.WriteInt32(int32(n))
}

func (e *Encoder) WriteString(s string) {
	e.WriteSize(len(s))
	e.b = append(e.b, s...)
}

func (e *Encoder) WriteStringBytes(s []byte) {
	e.WriteSize(len(s))
	e.b = append(e.b, s...)
}

func (e *Encoder) WriteStringSeq(s []string) {
	e.WriteSize(len(s))
	for _, v := range s {
		e.WriteString(v)
	}
}

// WriteIdentity writes name, then category.
func (e *Encoder) WriteIdentity(id Identity) {
	e.WriteString(id.Name)
	e.WriteString(id.Category)
}

// WriteFacet writes a facet as the zero- or one-element sequence Ice uses.
func (e *Encoder) WriteFacet(facet string) {
	if facet == "" {
		e.WriteSize(0)
		return
	}
	e.WriteSize(1)
	e.WriteString(facet)
}

// WriteContext writes a context with its entries in key order, as Ice's
// C++ runtime (a std::map) does, so the bytes are deterministic and match
// what Ice itself sends for the same context.
func (e *Encoder) WriteContext(ctx Context) {
	e.WriteSize(len(ctx))
	for _, k := range sortedKeys(ctx) {
		e.WriteString(k)
		e.WriteString(ctx[k])
	}
}

// sortedKeys returns the keys of ctx in order.
func sortedKeys(ctx Context) []string {
	keys := make([]string, 0, len(ctx))
	for k := range ctx {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// StartEncapsulation writes an encapsulation header with a placeholder size
// and returns the position to pass to EndEncapsulation. The encoder's
// Encoding is switched to enc until EndEncapsulation.
func (e *Encoder) StartEncapsulation(enc Version) Encaps {
	m := Encaps{start: len(e.b), outer: e.Encoding}
	e.b = append(e.b, 0, 0, 0, 0, enc.Major, enc.Minor)
	e.Encoding = enc
	return m
}

// Encaps marks an encapsulation being written.
type Encaps struct {
	start int
	outer Version
}

// EndEncapsulation patches the size of the encapsulation started at m.
func (e *Encoder) EndEncapsulation(m Encaps) {
	binary.LittleEndian.PutUint32(e.b[m.start:], uint32(len(e.b)-m.start))
	e.Encoding = m.outer
}

// WriteEmptyEncapsulation writes an encapsulation with no body.
func (e *Encoder) WriteEmptyEncapsulation(enc Version) {
	e.b = append(e.b, 6, 0, 0, 0, enc.Major, enc.Minor)
}

// WriteEncapsulation writes body as an encapsulation of encoding enc.
func (e *Encoder) WriteEncapsulation(enc Version, body []byte) {
	e.WriteInt32(int32(6 + len(body)))
	e.b = append(e.b, enc.Major, enc.Minor)
	e.b = append(e.b, body...)
}

// OptionalFormat is the format part of a 1.1 optional member's tag byte.
type OptionalFormat byte

const (
	OptionalF1    OptionalFormat = 0
	OptionalF2    OptionalFormat = 1
	OptionalF4    OptionalFormat = 2
	OptionalF8    OptionalFormat = 3
	OptionalSize  OptionalFormat = 4
	OptionalVSize OptionalFormat = 5
	OptionalFSize OptionalFormat = 6
	OptionalClass OptionalFormat = 7
)

// WriteOptionalTag writes the tag byte(s) of an optional member (1.1 only).
func (e *Encoder) WriteOptionalTag(tag int, f OptionalFormat) {
	if tag < 30 {
		e.b = append(e.b, byte(tag<<3)|byte(f))
		return
	}
	e.b = append(e.b, 30<<3|byte(f))
	e.WriteSize(tag)
}
