package ice

import (
	"errors"
	"testing"
)

// TestDecoderHostileSizes feeds every sized read a size far beyond the
// buffer: each must fail with ErrMalformed before allocating for it.
func TestDecoderHostileSizes(t *testing.T) {
	huge := bigSize(0x7fffffff)     // size 2^31-1
	billion := bigSize(1e9)         // count 10^9
	negative := bigSize(0xffffff00) // a negative int32 behind 0xff
	tests := []struct {
		name string
		b    []byte
		read func(d *Decoder) error
	}{
		{"string 2^31-1", append(huge, 'a'), func(d *Decoder) error { _, err := d.String(); return err }},
		{"string negative", negative, func(d *Decoder) error { _, err := d.String(); return err }},
		{"valid string 2^31-1", huge, func(d *Decoder) error { _, err := d.ValidString(); return err }},
		{"string bytes 2^31-1", huge, func(d *Decoder) error { _, err := d.StringBytes(); return err }},
		{"string seq 10^9", append(billion, 0, 0), func(d *Decoder) error { _, err := d.StringSeq(); return err }},
		{"context 10^9", append(billion, 0, 0), func(d *Decoder) error { _, err := d.Context(); return err }},
		{"facet 10^9", billion, func(d *Decoder) error { _, err := d.Facet(); return err }},
		{"identity name 2^31-1", huge, func(d *Decoder) error { _, err := d.Identity(); return err }},
		{"proxy seq 10^9", append(billion, 0, 0), func(d *Decoder) error { _, err := d.ProxySeq(); return err }},
		{"proxy endpoints 10^9", append([]byte{1, 'a', 0, 0, 0, 0, 1, 0, 1, 1}, billion...),
			func(d *Decoder) error { _, err := d.Proxy(); return err }},
		{"encapsulation 2^31-1", []byte{255, 255, 255, 127, 1, 1}, func(d *Decoder) error { _, _, err := d.Encapsulation(); return err }},
		{"encapsulation bytes 2^31-1", []byte{255, 255, 255, 127, 1, 1}, func(d *Decoder) error { _, err := d.EncapsulationBytes(); return err }},
		{"endpoint encaps 2^31-1", []byte{1, 0, 255, 255, 255, 127, 1, 1}, func(d *Decoder) error { _, err := d.Endpoint(); return err }},
		{"seq size 10^9", billion, func(d *Decoder) error { _, err := d.SeqSize(1); return err }},
		{"bytes 2^31-1", nil, func(d *Decoder) error { _, err := d.Bytes(0x7fffffff); return err }},
		{"bytes negative", nil, func(d *Decoder) error { _, err := d.Bytes(-1); return err }},
		{"skip negative", nil, func(d *Decoder) error { return d.Skip(-1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.read(NewDecoder(tt.b)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v, want ErrMalformed", err)
			}
			limitAlloc(t, tt.name, func() { _ = tt.read(NewDecoder(tt.b)) })
		})
	}
}

func TestDecoderTruncated(t *testing.T) {
	e := NewEncoder(nil)
	e.WriteBool(true)
	e.WriteInt16(-3)
	e.WriteInt32(1 << 20)
	e.WriteInt64(-1 << 40)
	e.WriteSize(300)
	e.WriteString("héllo")
	full := e.Bytes()
	read := func(d *Decoder) error {
		if _, err := d.Bool(); err != nil {
			return err
		}
		if _, err := d.Int16(); err != nil {
			return err
		}
		if _, err := d.Int32(); err != nil {
			return err
		}
		if _, err := d.Int64(); err != nil {
			return err
		}
		if n, err := d.Size(); err != nil || n != 300 {
			return errors.Join(err, errors.New("size"))
		}
		s, err := d.ValidString()
		if err == nil && s != "héllo" {
			return errors.New("string")
		}
		return err
	}
	if err := read(NewDecoder(full)); err != nil {
		t.Fatal(err)
	}
	for n := range len(full) {
		if err := read(NewDecoder(full[:n])); !errors.Is(err, ErrMalformed) {
			t.Fatalf("cut at %d: %v", n, err)
		}
	}
	if _, err := NewDecoder([]byte{2, 0xff, 0xfe}).ValidString(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	if s, err := NewDecoder([]byte{2, 0xff, 0xfe}).String(); err != nil || s != "\xff\xfe" {
		t.Fatalf("String keeps invalid UTF-8: %q %v", s, err)
	}
}

func TestSizeBoundary(t *testing.T) {
	for _, n := range []int{0, 1, 254, 255, 256, 1 << 20} {
		e := NewEncoder(nil)
		e.WriteSize(n)
		want := 1
		if n >= 255 {
			want = 5
		}
		if e.Len() != want {
			t.Fatalf("size %d takes %d bytes", n, e.Len())
		}
		if got, err := NewDecoder(e.Bytes()).Size(); err != nil || got != n {
			t.Fatalf("size %d read back as %d %v", n, got, err)
		}
	}
	// Ice only writes the long form for 255 and more, but reads any.
	if got, err := NewDecoder(bigSize(3)).Size(); err != nil || got != 3 {
		t.Fatal(got, err)
	}
}

func TestEncapsulationHelpers(t *testing.T) {
	e := NewEncoder(nil)
	e.WriteEmptyEncapsulation(Encoding11)
	e.WriteEncapsulation(Encoding10, []byte{9})
	m := e.StartEncapsulation(Encoding10)
	if e.Encoding != Encoding10 {
		t.Fatal("StartEncapsulation does not switch the encoding")
	}
	inner := e.StartEncapsulation(Encoding11)
	e.EndEncapsulation(inner)
	e.EndEncapsulation(m)
	if e.Encoding != Encoding11 {
		t.Fatal("EndEncapsulation does not restore the encoding")
	}
	d := NewDecoder(e.Bytes())
	for i, want := range []struct {
		enc  Version
		size int
	}{{Encoding11, 0}, {Encoding10, 1}, {Encoding10, 6}} {
		enc, body, err := d.Encapsulation()
		if err != nil || enc != want.enc || len(body) != want.size {
			t.Fatalf("encapsulation %d: %v %d %v", i, enc, len(body), err)
		}
	}
	var zero Encoder
	zero.WriteProxy(&Proxy{Identity: Identity{Name: "a"}})
	if d := NewDecoder(zero.Bytes()); true {
		p, err := d.Proxy()
		if err != nil || p.Encoding != Encoding11 || p.Protocol != Protocol10 || !p.IsWellKnown() {
			t.Fatalf("zero-value encoder writes 1.1 proxies: %+v %v", p, err)
		}
	}
}

// TestContextAllocation checks that a context count that fits the buffer
// does not size a map far beyond the input.
func TestContextAllocation(t *testing.T) {
	// 400000 entries claimed, room for them, but the first key is malformed.
	b := append(bigSize(400000), make([]byte, 800000)...)
	copy(b[5:], bigSize(0x7fffffff))
	limitAlloc(t, "context of 400000 claimed entries", func() { _, _ = NewDecoder(b).Context() })
}
