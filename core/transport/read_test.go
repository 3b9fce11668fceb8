package transport

import (
	"bytes"
	"testing"
	"time"

	"github.com/floe-router/floe/core/ice"
)

func TestHoldKeepsWhatIsLeftInTheSmallestChunk(t *testing.T) {
	tests := []struct {
		name       string
		chunk      int // the chunk read into
		start, end int
		next       int // the incomplete message's size, 0 before its header
		wantChunk  int // 0: none held
	}{
		{"empty chunk goes back", chunkSize, 0, 0, 0, 0},
		{"everything handled", chunkSize, 500, 500, 0, 0},
		{"part of a header moves", chunkSize, 0, ice.HeaderSize - 1, 0, heldChunkSize},
		{"part of a small message moves", chunkSize, 0, 100, 1000, heldChunkSize},
		{"what follows handled messages moves", chunkSize, 1000, 1000 + 4096, 8000, heldChunkSize},
		{"most of a message that fills a small chunk moves", chunkSize, 0, heldChunkSize - 1, heldChunkSize, heldChunkSize},
		{"part of a larger message stays", chunkSize, 0, 100, heldChunkSize + 1, chunkSize},
		{"part of a 64 KB message stays", chunkSize, 0, 20000, 65600, chunkSize},
		{"a small chunk stays small", heldChunkSize, 0, 100, 1000, heldChunkSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := make([]byte, tt.chunk)
			for i := range b {
				b[i] = byte(i * 7)
			}
			want := append([]byte(nil), b[tt.start:tt.end]...)
			r := &rawIO{buf: &b, start: tt.start, end: tt.end, next: tt.next}
			r.hold()
			if tt.wantChunk == 0 {
				if r.buf != nil {
					t.Fatalf("holds a chunk of %d bytes, want none", len(*r.buf))
				}
				return
			}
			if r.buf == nil || len(*r.buf) != tt.wantChunk {
				t.Fatalf("holds %v, want a chunk of %d bytes", r.buf, tt.wantChunk)
			}
			if got := (*r.buf)[r.start:r.end]; !bytes.Equal(got, want) {
				t.Fatalf("kept %d bytes that differ from the %d left", len(got), len(want))
			}
			r.dropChunk()
		})
	}
}

// A message that arrives in two parts, with the reader waiting between
// them, is read whole whatever chunk its first part was kept in.
func TestMessagesSplitAcrossWaitsAreReadWhole(t *testing.T) {
	tests := []struct {
		name    string
		payload int
		first   int // bytes of the message sent before the pause
	}{
		{"small, header split", 100, 10},
		{"small, body split", 100, 60},
		{"fits a small chunk", heldChunkSize - 200, heldChunkSize / 2},
		{"larger than a small chunk, small first part", heldChunkSize + 5000, 1000},
		{"larger than a small chunk, large first part", heldChunkSize + 5000, heldChunkSize + 100},
		{"larger than a small chunk, a small chunk's worth first", heldChunkSize + 5000, heldChunkSize},
		{"fits a chunk, small first part", chunkSize - 200, 20},
		{"larger than a chunk", chunkSize + 5000, heldChunkSize / 2},
		{"larger than a chunk, most of it first", chunkSize + 5000, chunkSize},
	}
	opts := &Options{MessageSizeMax: 1 << 20}
	l := listen(t, opts, &echoHandler{}, nil)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nc := dialPlain(t, l, 10*time.Second)
			payload := make([]byte, tt.payload)
			for j := range payload {
				payload[j] = byte(j + i)
			}
			m := request(int32(i+1), payload)
			// A second message right behind the first one's end.
			both := append(append([]byte(nil), m.Buf...), request(int32(i+100), payload[:50]).Buf...)
			if _, err := nc.Write(both[:tt.first]); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			if _, err := nc.Write(both[tt.first:]); err != nil {
				t.Fatal(err)
			}
			for _, want := range []struct {
				id      int32
				payload []byte
			}{{int32(i + 1), payload}, {int32(i + 100), payload[:50]}} {
				_, body, err := readMessage(nc)
				if err != nil {
					t.Fatalf("reply %d: %v", want.id, err)
				}
				rep, err := ice.ParseReply(body)
				if err != nil || rep.ID != want.id || rep.Status != ice.ReplyOK {
					t.Fatalf("reply %+v (%v), want OK for request %d", rep, err, want.id)
				}
				// The echo handler sends back the request's
				// encapsulation: 6 bytes of header, then the payload.
				if got := rep.Payload[6:]; !bytes.Equal(got, want.payload) {
					t.Fatalf("request %d: echoed %d bytes that differ from the %d sent", want.id, len(got), len(want.payload))
				}
			}
		})
	}
}
