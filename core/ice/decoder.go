package ice

import (
	"encoding/binary"
	"math"
	"unicode/utf8"
)

// Decoder reads Ice-encoded values from a byte slice. Every read is checked
// against the bytes left, and sizes are checked against what is left before
// anything is allocated, so hostile input cannot make it over-allocate.
// A Decoder is a small value; declare it on the stack where it matters.
type Decoder struct {
	b   []byte
	pos int
	// Encoding is the encoding of the encapsulation being read; it decides
	// how proxies and exceptions are laid out.
	Encoding Version
}

// NewDecoder returns a decoder over b, reading encoding 1.1 by default.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b, Encoding: Encoding11} }

// Reset points the decoder at b from its start.
func (d *Decoder) Reset(b []byte) { d.b, d.pos = b, 0 }

// Pos is the offset of the next byte to be read.
func (d *Decoder) Pos() int { return d.pos }

// Remaining is the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.b) - d.pos }

// Rest returns the unread bytes without copying them.
func (d *Decoder) Rest() []byte { return d.b[d.pos:] }

func (d *Decoder) need(what string, n int) error {
	if n < 0 || n > len(d.b)-d.pos {
		return truncated(what, n, len(d.b)-d.pos)
	}
	return nil
}

// Skip advances over n bytes.
func (d *Decoder) Skip(n int) error {
	if err := d.need("skip", n); err != nil {
		return err
	}
	d.pos += n
	return nil
}

// Bytes returns the next n bytes without copying them.
func (d *Decoder) Bytes(n int) ([]byte, error) {
	if err := d.need("bytes", n); err != nil {
		return nil, err
	}
	b := d.b[d.pos : d.pos+n : d.pos+n]
	d.pos += n
	return b, nil
}

func (d *Decoder) Byte() (byte, error) {
	if d.pos >= len(d.b) {
		return 0, truncated("byte", 1, 0)
	}
	v := d.b[d.pos]
	d.pos++
	return v, nil
}

func (d *Decoder) Bool() (bool, error) {
	v, err := d.Byte()
	if err != nil {
		return false, err
	}
	// Ice writes 0 or 1; any non-zero byte reads as true, as in Ice.
	return v != 0, nil
}

func (d *Decoder) Int16() (int16, error) {
	if err := d.need("short", 2); err != nil {
		return 0, err
	}
	v := int16(binary.LittleEndian.Uint16(d.b[d.pos:]))
	d.pos += 2
	return v, nil
}

func (d *Decoder) Int32() (int32, error) {
	if err := d.need("int", 4); err != nil {
		return 0, err
	}
	v := int32(binary.LittleEndian.Uint32(d.b[d.pos:]))
	d.pos += 4
	return v, nil
}

func (d *Decoder) Int64() (int64, error) {
	if err := d.need("long", 8); err != nil {
		return 0, err
	}
	v := int64(binary.LittleEndian.Uint64(d.b[d.pos:]))
	d.pos += 8
	return v, nil
}

func (d *Decoder) Float32() (float32, error) {
	v, err := d.Int32()
	return math.Float32frombits(uint32(v)), err
}

func (d *Decoder) Float64() (float64, error) {
	v, err := d.Int64()
	return math.Float64frombits(uint64(v)), err
}

// Size reads an Ice size: one byte below 255, else 255 and an int32.
func (d *Decoder) Size() (int, error) {
	b, err := d.Byte()
	if err != nil {
		return 0, err
	}
	if b < 255 {
		return int(b), nil
	}
	v, err := d.Int32()
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, malformed("negative size %d", v)
	}
	return int(v), nil
}

// SeqSize reads a sequence size and checks that n elements of at least
// minElemSize bytes each can fit in what is left, so a caller may allocate
// n elements safely.
func (d *Decoder) SeqSize(minElemSize int) (int, error) {
	n, err := d.Size()
	if err != nil {
		return 0, err
	}
	if minElemSize > 0 && n > d.Remaining()/minElemSize {
		return 0, malformed("sequence of %d elements cannot fit in %d bytes", n, d.Remaining())
	}
	return n, nil
}

// StringBytes reads a string and returns its bytes without copying.
func (d *Decoder) StringBytes() ([]byte, error) {
	n, err := d.Size()
	if err != nil {
		return nil, err
	}
	if err := d.need("string", n); err != nil {
		return nil, err
	}
	b := d.b[d.pos : d.pos+n : d.pos+n]
	d.pos += n
	return b, nil
}

// String reads a string. Ice strings are UTF-8; invalid UTF-8 is kept as is
// rather than rejected, since the router only relays it.
func (d *Decoder) String() (string, error) {
	b, err := d.StringBytes()
	if err != nil || len(b) == 0 {
		return "", err
	}
	return string(b), nil
}

// ValidString reads a string and rejects invalid UTF-8, for values the
// router interprets (user ids, passwords).
func (d *Decoder) ValidString() (string, error) {
	b, err := d.StringBytes()
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", malformed("string is not valid UTF-8")
	}
	return string(b), nil
}

// StringSeq reads a sequence of strings.
func (d *Decoder) StringSeq() ([]string, error) {
	n, err := d.SeqSize(1)
	if err != nil || n == 0 {
		return nil, err
	}
	s := make([]string, n)
	for i := range s {
		if s[i], err = d.String(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Identity reads an identity: name, then category.
func (d *Decoder) Identity() (Identity, error) {
	name, err := d.String()
	if err != nil {
		return Identity{}, err
	}
	cat, err := d.String()
	if err != nil {
		return Identity{}, err
	}
	return Identity{Name: name, Category: cat}, nil
}

// Facet reads the facet as Ice sends it in requests and proxies: a string
// sequence holding zero or one element.
func (d *Decoder) Facet() (string, error) {
	n, err := d.SeqSize(1)
	if err != nil {
		return "", err
	}
	switch n {
	case 0:
		return "", nil
	case 1:
		return d.String()
	}
	return "", malformed("facet sequence has %d elements", n)
}

// Context reads a request context.
func (d *Decoder) Context() (Context, error) {
	n, err := d.SeqSize(2)
	if err != nil || n == 0 {
		return nil, err
	}
	// The size is checked against the bytes left, but a map sized for it
	// up front would still cost far more than the input: hint a little and
	// let the map grow as entries really decode.
	ctx := make(Context, min(n, 16))
	for i := 0; i < n; i++ {
		k, err := d.String()
		if err != nil {
			return nil, err
		}
		v, err := d.String()
		if err != nil {
			return nil, err
		}
		ctx[k] = v
	}
	return ctx, nil
}

// Encapsulation reads an encapsulation and returns its encoding and body
// (the bytes after the 6-byte header), without copying.
func (d *Decoder) Encapsulation() (Version, []byte, error) {
	start := d.pos
	size, err := d.Int32()
	if err != nil {
		return Version{}, nil, err
	}
	if size < 6 {
		return Version{}, nil, malformed("encapsulation size %d is smaller than its header", size)
	}
	if int(size)-4 > d.Remaining() {
		d.pos = start
		return Version{}, nil, truncated("encapsulation", int(size), len(d.b)-start)
	}
	major, _ := d.Byte()
	minor, _ := d.Byte()
	body := d.b[d.pos : start+int(size) : start+int(size)]
	d.pos = start + int(size)
	return Version{major, minor}, body, nil
}

// EncapsulationBytes reads an encapsulation and returns it whole, header
// included, without copying; this is what the router forwards as params.
func (d *Decoder) EncapsulationBytes() ([]byte, error) {
	start := d.pos
	if _, _, err := d.Encapsulation(); err != nil {
		return nil, err
	}
	return d.b[start:d.pos:d.pos], nil
}
