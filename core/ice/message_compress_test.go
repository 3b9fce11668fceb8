package ice

import (
	"bytes"
	"testing"
)

func TestCompressRoundTrip(t *testing.T) {
	for _, n := range []int{0, 10, 100, 5000, 300000} {
		body := bytes.Repeat([]byte("floe routes Ice "), n/16+1)[:n]
		msg := append(AppendHeader(nil, ReplyMsg, AcceptsCompressedReply, HeaderSize+len(body)), body...)
		c, err := Compress(msg, 1)
		if err != nil {
			t.Fatal(err)
		}
		h, err := ParseHeader(c, 1<<20)
		if err != nil || h.Compression != Compressed || h.Size != len(c) {
			t.Fatalf("%d: header %+v %v", n, h, err)
		}
		back, err := Decompress(c, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		want := append([]byte(nil), msg...)
		want[9] = Uncompressed
		if !bytes.Equal(back, want) {
			t.Fatalf("%d bytes: round trip differs", n)
		}
	}
}
