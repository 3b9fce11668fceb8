package transport

import (
	"sync"

	"github.com/floe-router/floe/core/ice"
)

// Message is one framed Ice message, header included, in a buffer that may
// come from a pool. Whoever holds a Message either passes it on (to a Send,
// which releases it once written) or calls Release.
type Message struct {
	// Buf is the whole message, header included.
	Buf    []byte
	Header ice.Header
	// Override, when set on a oneway request, lets it replace a message
	// with the same Override still waiting in the write queue (Glacier2's
	// _ovrd): only the newest of such requests is worth sending.
	Override string
	// Compressed reports that the message arrived bzip2-compressed (Buf
	// holds it decompressed).
	Compressed bool
	// CompressLevel, when above zero, has the connection send the message
	// bzip2-compressed at that level, once its request id is in place.
	CompressLevel int8
	store         []byte // the pooled buffer at full capacity
	class         int8   // pool class, -1 when not pooled
}

// Body is the message after its header.
func (m *Message) Body() []byte { return m.Buf[ice.HeaderSize:] }

// Release returns the buffer to its pool. The Message must not be used
// after; releasing twice is a no-op as long as nobody took it from the pool
// in between.
func (m *Message) Release() {
	if m == nil || m.Buf == nil {
		return
	}
	m.Buf = nil
	m.Override = ""
	m.Compressed = false
	m.CompressLevel = 0
	if m.class >= 0 {
		classes[m.class].Put(m)
	}
}

// Pool classes are powers of two from 256 bytes to 1 MiB; larger messages
// (up to the configured maximum) are allocated and left to the GC.
const (
	minClassShift = 8
	maxClassShift = 20
)

var classes [maxClassShift - minClassShift + 1]sync.Pool

func classFor(n int) int {
	for i := 0; i <= maxClassShift-minClassShift; i++ {
		if n <= 1<<(minClassShift+i) {
			return i
		}
	}
	return -1
}

// NewMessage returns a Message whose Buf has length n, pooled when n is at
// most 1 MiB. Its contents are undefined.
func NewMessage(n int) *Message {
	c := classFor(n)
	if c < 0 {
		return &Message{Buf: make([]byte, n), class: -1}
	}
	if v := classes[c].Get(); v != nil {
		m := v.(*Message)
		m.Buf = m.store[:n]
		m.Header = ice.Header{}
		return m
	}
	store := make([]byte, 1<<(minClassShift+c))
	return &Message{Buf: store[:n], store: store, class: int8(c)}
}

// MessageFrom wraps bytes already framed (header included) as a Message that
// is not pooled.
func MessageFrom(b []byte) *Message {
	h, _ := ice.ParseHeader(b, len(b)+1)
	return &Message{Buf: b, Header: h, class: -1}
}

// Grow returns a Message of length n holding m's first min(n, len) bytes,
// reusing m when its buffer is large enough; m must not be used after.
func (m *Message) Grow(n int) *Message {
	if m.class >= 0 && n <= len(m.store) {
		m.Buf = m.store[:n]
		return m
	}
	if m.class < 0 && n <= cap(m.Buf) {
		m.Buf = m.Buf[:n]
		return m
	}
	g := NewMessage(n)
	copy(g.Buf, m.Buf)
	g.Header = m.Header
	m.Release()
	return g
}
