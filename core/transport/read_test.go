package transport

import (
	"bytes"
	"net"
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

// readEcho reads the next reply from nc and fails t unless it answers
// request id with the payload echoed.
func readEcho(t *testing.T, nc net.Conn, id int32, payload []byte) {
	t.Helper()
	_, body, err := readMessage(nc)
	if err != nil {
		t.Fatalf("reply %d: %v", id, err)
	}
	rep, err := ice.ParseReply(body)
	if err != nil || rep.ID != id || rep.Status != ice.ReplyOK {
		t.Fatalf("reply %+v (%v), want OK for request %d", rep, err, id)
	}
	// The echo handler sends back the request's encapsulation: 6 bytes of
	// header, then the payload.
	if got := rep.Payload[6:]; !bytes.Equal(got, payload) {
		t.Fatalf("request %d: echoed %d bytes that differ from the %d sent", id, len(got), len(payload))
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
			readEcho(t, nc, int32(i+1), payload)
			readEcho(t, nc, int32(i+100), payload[:50])
		})
	}
}

// FuzzSplitMessages sends echo requests whose payload sizes, and where the
// stream is cut within each, come from the input (three bytes a message:
// a size near a chunk boundary, an offset from it, and where to cut). The
// sender pauses at each cut so the reader waits there holding what it has;
// every request must come back whole, in order.
func FuzzSplitMessages(f *testing.F) {
	sizes := []int{0, 100, heldChunkSize - 64, heldChunkSize, 64 << 10, chunkSize - 64, chunkSize, chunkSize + 4096}
	f.Add([]byte{0, 128, 10})
	f.Add([]byte{1, 128, 200, 1, 0, 0})
	f.Add([]byte{2, 100, 255, 3, 128, 250, 2, 128, 0})
	f.Add([]byte{4, 128, 128, 4, 128, 128, 4, 128, 128, 4, 128, 128})
	f.Add([]byte{5, 200, 250, 6, 128, 64, 7, 0, 255})
	f.Add([]byte{7, 255, 1, 0, 128, 128, 6, 255, 254})
	opts := &Options{MessageSizeMax: 1 << 20}
	l := listen(f, opts, &echoHandler{}, nil)
	f.Fuzz(func(t *testing.T, in []byte) {
		const most = 6
		if len(in) > 3*most {
			in = in[:3*most]
		}
		var payloads [][]byte
		var stream []byte
		var cuts []int
		for i := 0; i+3 <= len(in); i += 3 {
			n := max(sizes[int(in[i])%len(sizes)]+int(in[i+1])-128, 0)
			p := make([]byte, n)
			for j := range p {
				p[j] = byte(j*31 + i)
			}
			m := request(int32(len(payloads)+1), p).Buf
			cuts = append(cuts, len(stream)+len(m)*int(in[i+2])/256)
			stream = append(stream, m...)
			payloads = append(payloads, p)
		}
		if len(payloads) == 0 {
			return
		}
		nc := dialPlain(t, l, 20*time.Second)
		written := make(chan error, 1)
		go func() {
			from := 0
			for _, cut := range append(cuts, len(stream)) {
				if _, err := nc.Write(stream[from:cut]); err != nil {
					written <- err
					return
				}
				from = cut
				time.Sleep(2 * time.Millisecond)
			}
			written <- nil
		}()
		for i, p := range payloads {
			readEcho(t, nc, int32(i+1), p)
		}
		if err := <-written; err != nil {
			t.Fatal(err)
		}
	})
}
