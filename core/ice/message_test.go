package ice

import (
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestHeaderFixtures parses the header of every captured message.
func TestHeaderFixtures(t *testing.T) {
	for _, w := range wires(t, func(*wireFixture) bool { return true }) {
		t.Run(w.Name, func(t *testing.T) {
			h, err := ParseHeader(w.data, 0)
			if err != nil {
				t.Fatalf("ParseHeader: %v", err)
			}
			if int(h.Type) != w.Type || int(h.Compression) != w.Compression || h.Size != len(w.data) {
				t.Fatalf("header %+v, message is type %d compression %d, %d bytes", h, w.Type, w.Compression, len(w.data))
			}
			// A header written from the parsed one is Ice's header.
			sameBytes(t, AppendHeader(nil, h.Type, h.Compression, h.Size), w.data[:HeaderSize])
		})
	}
}

// TestValidateAndCloseFixtures checks the bodiless messages against the
// package's ready-made ones. Ice sends CloseConnection with compression
// status 1 ("compression supported"), which ParseHeader must accept.
func TestValidateAndCloseFixtures(t *testing.T) {
	for _, w := range wires(t, ofType(ValidateConnectionMsg)) {
		sameBytes(t, ValidateConnectionMessage, w.data)
	}
	for _, w := range wires(t, ofType(CloseConnectionMsg)) {
		if _, err := ParseHeader(w.data, 0); err != nil {
			t.Fatalf("%s: %v", w.Name, err)
		}
		if !bytes.Equal(CloseConnectionMessage[:9], w.data[:9]) || !bytes.Equal(CloseConnectionMessage[10:], w.data[10:]) {
			t.Fatalf("%s: % x, ours % x", w.Name, w.data, CloseConnectionMessage)
		}
	}
}

func header(mutate func(b []byte)) []byte {
	b := AppendHeader(nil, RequestMsg, 0, 100)
	mutate(b)
	return b
}

func TestParseHeaderErrors(t *testing.T) {
	tests := []struct {
		name    string
		b       []byte
		max     int
		tooBig  bool
		wantErr string
	}{
		{name: "short", b: []byte("IceP\x01\x00\x01\x00\x00\x00\x0e\x00\x00"), wantErr: "header"},
		{name: "empty", b: nil, wantErr: "header"},
		{name: "magic", b: header(func(b []byte) { b[3] = 'Q' }), wantErr: "magic"},
		{name: "magic lower", b: header(func(b []byte) { copy(b, "icep") }), wantErr: "magic"},
		{name: "protocol 2.0", b: header(func(b []byte) { b[4] = 2 }), wantErr: "protocol"},
		{name: "protocol 0.0", b: header(func(b []byte) { b[4] = 0 }), wantErr: "protocol"},
		// Ice rejects a protocol minor above its own (1.0).
		{name: "protocol 1.1", b: header(func(b []byte) { b[5] = 1 }), wantErr: "protocol"},
		{name: "encoding 1.1", b: header(func(b []byte) { b[7] = 1 }), wantErr: "encoding"},
		{name: "encoding 2.0", b: header(func(b []byte) { b[6] = 2 }), wantErr: "encoding"},
		{name: "type 5", b: header(func(b []byte) { b[8] = 5 }), wantErr: "message type"},
		{name: "type 255", b: header(func(b []byte) { b[8] = 255 }), wantErr: "message type"},
		{name: "compression 3", b: header(func(b []byte) { b[9] = 3 }), wantErr: "compression"},
		{name: "size 13", b: header(func(b []byte) { binary.LittleEndian.PutUint32(b[10:], 13) }), wantErr: "smaller"},
		{name: "size 0", b: header(func(b []byte) { binary.LittleEndian.PutUint32(b[10:], 0) }), wantErr: "smaller"},
		{name: "size negative", b: header(func(b []byte) { binary.LittleEndian.PutUint32(b[10:], 0x80000000) }), wantErr: "smaller"},
		{name: "size over default max", b: header(func(b []byte) { binary.LittleEndian.PutUint32(b[10:], DefaultMessageSizeMax+1) }), tooBig: true},
		{name: "size over max", b: header(func(b []byte) {}), max: 99, tooBig: true},
		{name: "size 2^31-1", b: header(func(b []byte) { binary.LittleEndian.PutUint32(b[10:], 0x7fffffff) }), tooBig: true},
		{name: "validate with body", b: header(func(b []byte) { b[8] = byte(ValidateConnectionMsg) }), wantErr: "body"},
		{name: "close with body", b: header(func(b []byte) { b[8] = byte(CloseConnectionMsg) }), wantErr: "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseHeader(tt.b, tt.max)
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.tooBig {
				if !errors.Is(err, ErrTooLarge) || errors.Is(err, ErrMalformed) {
					t.Fatalf("%v, want ErrTooLarge", err)
				}
				return
			}
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("%v, want ErrMalformed mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseHeaderLimits(t *testing.T) {
	b := header(func(b []byte) {})
	if h, err := ParseHeader(b, 100); err != nil || h.Size != 100 {
		t.Fatalf("size == max: %+v %v", h, err)
	}
	// Trailing bytes after the header are the caller's business.
	if _, err := ParseHeader(append(b, 1, 2, 3), 0); err != nil {
		t.Fatal(err)
	}
	big := AppendHeader(nil, ReplyMsg, 0, 4<<20)
	if _, err := ParseHeader(big, 8<<20); err != nil {
		t.Fatalf("configured max above the default: %v", err)
	}
	for _, mt := range []MessageType{RequestMsg, BatchRequestMsg, ReplyMsg, ValidateConnectionMsg, CloseConnectionMsg, 9} {
		if mt.String() == "" {
			t.Fatal("empty String")
		}
	}
}

func TestSetMessageSize(t *testing.T) {
	msg := append(AppendHeader(nil, ReplyMsg, 0, 0), 1, 2, 3)
	SetMessageSize(msg)
	if h, err := ParseHeader(msg, 0); err != nil || h.Size != 17 {
		t.Fatalf("%+v %v", h, err)
	}
}

// TestDecompressFixtures inflates the bzip2 messages Ice sent and checks
// the result against the message decoded by the peer.
func TestDecompressFixtures(t *testing.T) {
	ws := wires(t, func(w *wireFixture) bool { return w.Compression == int(Compressed) })
	if len(ws) < 2 {
		t.Fatalf("want a compressed request and reply, have %d", len(ws))
	}
	for _, w := range ws {
		t.Run(w.Name, func(t *testing.T) {
			plain, err := Decompress(w.data, 0)
			if err != nil {
				t.Fatal(err)
			}
			h, err := ParseHeader(plain, 0)
			if err != nil || h.Compression != Uncompressed || h.Size != len(plain) || int(h.Type) != w.Type {
				t.Fatalf("inflated header %+v %v", h, err)
			}
			if got := int(binary.LittleEndian.Uint32(w.data[HeaderSize:])); got != len(plain) {
				t.Fatalf("declared %d, inflated %d", got, len(plain))
			}
			// Ice's bzip2 stream inflates to exactly the body.
			r := bzip2.NewReader(bytes.NewReader(w.data[HeaderSize+4:]))
			body, _ := io.ReadAll(r)
			sameBytes(t, plain[HeaderSize:], body)
			// The declared size is a limit like the header's.
			if _, err := Decompress(w.data, len(plain)-1); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("max below the inflated size: %v", err)
			}
		})
	}
}

// compressed builds a compressed message from a plain one with the system
// bzip2 tool (Go has no bzip2 writer), declaring size declared.
func compressed(t testing.TB, plain []byte, declared int) []byte {
	t.Helper()
	cmd := exec.Command("bzip2", "-c", "-9")
	cmd.Stdin = bytes.NewReader(plain[HeaderSize:])
	z, err := cmd.Output()
	if err != nil {
		t.Skipf("bzip2 tool: %v", err)
	}
	msg := AppendHeader(nil, MessageType(plain[8]), Compressed, 0)
	msg = binary.LittleEndian.AppendUint32(msg, uint32(declared))
	msg = append(msg, z...)
	SetMessageSize(msg)
	return msg
}

func TestDecompressErrors(t *testing.T) {
	ok := wire(t, "request_compressed")
	plain, err := Decompress(ok.data, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := len(plain)
	// A bomb: 16 MiB of zeros compress to a few dozen bytes.
	bomb := append(AppendHeader(nil, RequestMsg, 0, 0), make([]byte, 16<<20)...)
	tests := []struct {
		name   string
		msg    []byte
		max    int
		tooBig bool
	}{
		{name: "short", msg: ok.data[:HeaderSize+3]},
		{name: "declared below header", msg: patchDeclared(ok.data, 13)},
		{name: "declared negative", msg: patchDeclared(ok.data, -1)},
		{name: "declared over max", msg: patchDeclared(ok.data, DefaultMessageSizeMax+1), tooBig: true},
		{name: "declared 2^31-1", msg: patchDeclared(ok.data, 0x7fffffff), tooBig: true},
		{name: "lying short", msg: patchDeclared(ok.data, n-1)},
		{name: "lying long", msg: patchDeclared(ok.data, n+1)},
		{name: "truncated stream", msg: ok.data[:len(ok.data)-10]},
		{name: "not bzip2", msg: append(patchDeclared(ok.data, n)[:HeaderSize+4], "BZh9garbage-garbage"...)},
		{name: "empty stream", msg: patchDeclared(ok.data, n)[:HeaderSize+4]},
		{name: "bomb under a small declared size", msg: compressed(t, bomb, 1000)},
		{name: "bomb declared honestly", msg: compressed(t, bomb, len(bomb)), tooBig: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Decompress(tt.msg, tt.max)
			if err == nil {
				t.Fatalf("accepted (%d bytes)", len(out))
			}
			if tt.tooBig != errors.Is(err, ErrTooLarge) || tt.tooBig == errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v (tooBig %v)", err, tt.tooBig)
			}
		})
	}
}

func patchDeclared(msg []byte, n int) []byte {
	b := bytes.Clone(msg)
	binary.LittleEndian.PutUint32(b[HeaderSize:], uint32(int32(n)))
	return b
}

// TestDecompressRoundTrip compresses captured messages with the bzip2 tool
// and inflates them back.
func TestDecompressRoundTrip(t *testing.T) {
	for _, name := range []string{"request_context_len300", "reply_ok_long_string", "batch_request"} {
		w := wire(t, name)
		out, err := Decompress(compressed(t, w.data, len(w.data)), 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sameBytes(t, out, w.data)
	}
}

// TestDecompressAllocation checks that a declared size over the limit is
// rejected before anything is allocated for it.
func TestDecompressAllocation(t *testing.T) {
	w := wire(t, "request_compressed")
	huge := patchDeclared(w.data, 0x7fffffff)
	limitAlloc(t, "2 GiB declared size", func() { _, _ = Decompress(huge, 0) })
	big := patchDeclared(w.data, DefaultMessageSizeMax+1)
	limitAlloc(t, "declared size over max", func() { _, _ = Decompress(big, 0) })
}
