package ice

import (
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"fmt"
	"io"

	bzip2w "github.com/dsnet/compress/bzip2"
)

// HeaderSize is the size of every Ice protocol message header.
const HeaderSize = 14

// DefaultMessageSizeMax is Ice's default Ice.MessageSizeMax (1 MiB).
const DefaultMessageSizeMax = 1 << 20

// MessageType is the message type byte of the header.
type MessageType byte

const (
	RequestMsg            MessageType = 0
	BatchRequestMsg       MessageType = 1
	ReplyMsg              MessageType = 2
	ValidateConnectionMsg MessageType = 3
	CloseConnectionMsg    MessageType = 4
)

func (t MessageType) String() string {
	switch t {
	case RequestMsg:
		return "request"
	case BatchRequestMsg:
		return "batch request"
	case ReplyMsg:
		return "reply"
	case ValidateConnectionMsg:
		return "validate connection"
	case CloseConnectionMsg:
		return "close connection"
	}
	return fmt.Sprintf("unknown message type %d", byte(t))
}

// Compression status byte of the header.
const (
	// Uncompressed: the body is plain and the sender does not want a
	// compressed reply.
	Uncompressed byte = 0
	// AcceptsCompressedReply: the body is plain, but the reply may be
	// compressed.
	AcceptsCompressedReply byte = 1
	// Compressed: the body is a bzip2 stream preceded by the uncompressed
	// message size.
	Compressed byte = 2
)

// Header is a decoded message header.
type Header struct {
	Type        MessageType
	Compression byte
	// Size is the whole message size, header included, as on the wire
	// (for a compressed message, the compressed size).
	Size int
}

var magic = [4]byte{'I', 'c', 'e', 'P'}

// ParseHeader decodes and checks a 14-byte header: magic, protocol and
// encoding versions, a known message type and compression status, and a
// size between the header size and max (max <= 0 means the Ice default).
// It is called before any buffer for the body is allocated.
func ParseHeader(b []byte, max int) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, truncated("message header", HeaderSize, len(b))
	}
	if [4]byte(b[0:4]) != magic {
		return Header{}, malformed("bad magic % x", b[0:4])
	}
	// Like Ice, accept only protocol 1.0: a higher minor is a protocol this
	// side does not speak.
	if b[4] != 1 || b[5] != 0 {
		return Header{}, malformed("unsupported protocol version %d.%d", b[4], b[5])
	}
	if b[6] != 1 || b[7] != 0 {
		return Header{}, malformed("unsupported protocol encoding %d.%d", b[6], b[7])
	}
	h := Header{Type: MessageType(b[8]), Compression: b[9]}
	if h.Type > CloseConnectionMsg {
		return Header{}, malformed("unknown message type %d", b[8])
	}
	if h.Compression > Compressed {
		return Header{}, malformed("unknown compression status %d", b[9])
	}
	size := int32(binary.LittleEndian.Uint32(b[10:14]))
	if size < HeaderSize {
		return Header{}, malformed("message size %d is smaller than its header", size)
	}
	if max <= 0 {
		max = DefaultMessageSizeMax
	}
	if int(size) > max {
		return Header{}, fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, size, max)
	}
	h.Size = int(size)
	if (h.Type == ValidateConnectionMsg || h.Type == CloseConnectionMsg) && h.Size != HeaderSize {
		return Header{}, malformed("%s message with %d bytes of body", h.Type, h.Size-HeaderSize)
	}
	return h, nil
}

// PutHeader writes a header into b[0:14].
func PutHeader(b []byte, t MessageType, compression byte, size int) {
	copy(b, magic[:])
	b[4], b[5], b[6], b[7] = 1, 0, 1, 0
	b[8] = byte(t)
	b[9] = compression
	binary.LittleEndian.PutUint32(b[10:14], uint32(size))
}

// AppendHeader appends a header to b.
func AppendHeader(b []byte, t MessageType, compression byte, size int) []byte {
	var h [HeaderSize]byte
	PutHeader(h[:], t, compression, size)
	return append(b, h[:]...)
}

// SetMessageSize patches the size field of the header at the start of msg
// to len(msg).
func SetMessageSize(msg []byte) {
	binary.LittleEndian.PutUint32(msg[10:14], uint32(len(msg)))
}

// ValidateConnectionMessage and CloseConnectionMessage are complete
// messages; they have no body. Ice 3.7 sends CloseConnection with
// compression status 1, and so does floe, byte for byte.
var (
	ValidateConnectionMessage = AppendHeader(nil, ValidateConnectionMsg, 0, HeaderSize)
	CloseConnectionMessage    = AppendHeader(nil, CloseConnectionMsg, AcceptsCompressedReply, HeaderSize)
)

// Decompress turns a compressed message (header included) into the
// equivalent uncompressed one: the body after the header is the
// uncompressed total size (int32) and then a bzip2 stream. The declared size
// is checked against max before anything is allocated, and the stream must
// produce exactly that many bytes.
func Decompress(msg []byte, max int) ([]byte, error) {
	if len(msg) < HeaderSize+4 {
		return nil, truncated("compressed message", HeaderSize+4, len(msg))
	}
	if size := int(binary.LittleEndian.Uint32(msg[10:14])); size != len(msg) {
		return nil, malformed("compressed message of %d bytes has header size %d", len(msg), size)
	}
	if max <= 0 {
		max = DefaultMessageSizeMax
	}
	total := int(int32(binary.LittleEndian.Uint32(msg[HeaderSize:])))
	if total < HeaderSize {
		return nil, malformed("uncompressed size %d is smaller than a header", total)
	}
	if total > max {
		return nil, fmt.Errorf("%w: uncompressed %d bytes > %d", ErrTooLarge, total, max)
	}
	out := make([]byte, total)
	copy(out, msg[:HeaderSize])
	out[9] = Uncompressed
	binary.LittleEndian.PutUint32(out[10:14], uint32(total))
	r := bzip2.NewReader(bytes.NewReader(msg[HeaderSize+4:]))
	if _, err := io.ReadFull(r, out[HeaderSize:]); err != nil {
		return nil, malformed("bzip2 body: %v", err)
	}
	// The stream must end where the declared size says, and end whole: the
	// end-of-stream marker carries the checksum of everything inflated.
	var one [1]byte
	switch n, err := r.Read(one[:]); {
	case n != 0:
		return nil, malformed("bzip2 body is longer than the declared %d bytes", total)
	case err != io.EOF:
		return nil, malformed("bzip2 body does not end properly: %v", err)
	}
	return out, nil
}

// CompressThreshold is the size from which Ice compresses a message that
// may be compressed; smaller ones only set status 1.
const CompressThreshold = 100

// Compress returns msg (header included, uncompressed) as Ice sends a
// compressed message: status 2, the size field holding the compressed
// size, then the uncompressed size and the bzip2 stream of the body. level
// is bzip2's block size in 100 kB units (Ice.Compression.Level, default 1).
func Compress(msg []byte, level int) ([]byte, error) {
	if level < 1 || level > 9 {
		level = 1
	}
	var buf bytes.Buffer
	buf.Grow(len(msg)/2 + HeaderSize + 4)
	buf.Write(msg[:HeaderSize])
	var size [4]byte
	binary.LittleEndian.PutUint32(size[:], uint32(len(msg)))
	buf.Write(size[:])
	w, err := bzip2w.NewWriter(&buf, &bzip2w.WriterConfig{Level: level})
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(msg[HeaderSize:]); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	out := buf.Bytes()
	out[9] = Compressed
	binary.LittleEndian.PutUint32(out[10:14], uint32(len(out)))
	return out, nil
}
