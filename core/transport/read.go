package transport

import (
	"fmt"
	"io"
	"sync"
	"syscall"

	"github.com/floe-router/floe/core/ice"
)

// The reader of a connection. On a plain socket it reads whatever has
// arrived into a pooled chunk, handles every complete message in it, then
// flushes the writes those messages caused (the connection's Batch) before
// waiting for more: pipelined requests cost one read and one write per
// connection, not one of each per message. The chunk is taken from the pool
// only once the socket is readable, so an idle connection holds no buffer.
// TLS and WebSocket connections read message by message.
//
// A chunk holds two 64 KB messages with room to spare: with 32 KB chunks a
// 64 KB echo took a read into the chunk and one or two more for the rest,
// and 128 KB chunks carry 1.07x as many (floe-bench, echo-4x4). A reader
// that waits for the rest of a small message keeps it in a 32 KB chunk, so
// a peer that sends part of one and stalls holds what it held before.
const (
	chunkSize     = 128 << 10
	heldChunkSize = 32 << 10
)

var (
	chunks     = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}
	heldChunks = sync.Pool{New: func() any { b := make([]byte, heldChunkSize); return &b }}
)

func (c *Conn) readLoop() {
	if c.raw != nil {
		c.readLoopRaw()
	} else {
		c.readLoopStream()
	}
}

// readLoopStream reads one message at a time. Between messages an idle
// TLS or ws connection may park (park.go): its reader returns and a new
// one starts when the socket is readable.
func (c *Conn) readLoopStream() {
	var hdr [ice.HeaderSize]byte
	for {
		if c.waiter != nil {
			if parked, err := c.waitQuietly(); parked || err != nil {
				if err != nil {
					c.failRead(err)
				}
				return
			}
		}
		parked, err := c.readFullStream(hdr[:], true)
		if parked {
			return
		}
		if err != nil {
			c.failRead(err)
			return
		}
		h, err := ice.ParseHeader(hdr[:], c.opts.MessageSizeMax)
		if err != nil {
			c.fail(fmt.Errorf("%w: %w", ErrProtocol, err))
			return
		}
		m := NewMessage(h.Size)
		copy(m.Buf, hdr[:])
		m.Header = h
		if h.Size > ice.HeaderSize {
			if _, err := c.readFullStream(m.Buf[ice.HeaderSize:], false); err != nil {
				m.Release()
				c.failRead(err)
				return
			}
		}
		c.touch()
		ok := c.dispatch(m)
		c.batch.Flush()
		if !ok {
			return
		}
	}
}

// readFullStream fills buf, as io.ReadFull does, through the deadline
// that asks an idle reader to park: with nothing of a message read yet
// (atStart) the reader parks if it may and reports parked, else it goes on
// reading where it was. A TLS read that ran into the deadline had no whole
// record left to decrypt, so whatever the connection still has to say
// arrives on the socket, where the parker waits for it.
func (c *Conn) readFullStream(buf []byte, atStart bool) (parked bool, err error) {
	for n := 0; n < len(buf); {
		k, err := c.nc.Read(buf[n:])
		n += k
		switch {
		case err == nil:
		case n == len(buf):
			return false, nil
		case c.isParkTimeout(err):
			if atStart && n == 0 && c.park() {
				return true, nil
			}
			c.cancelPark()
		default:
			return false, err
		}
	}
	return false, nil
}

// readStop is why the reader's callback gave the socket back to readLoopRaw.
type readStop uint8

const (
	stopNone    readStop = iota
	stopDone             // the connection is finished
	stopBig              // a message larger than its chunk is to be read (rawIO.big)
	stopReadErr          // the socket failed or reached its end (rawIO.rerr)
)

// readLoopRaw reads a plain socket. Its work is done inside the poller's
// read callback (pump): it reads, handles every complete message, and after
// a read that did not fill the chunk tells the poller to wait for the next
// readiness edge instead of reading once more to see EAGAIN. A later call
// to the poller would forget an edge that came in the meantime, so only
// staying inside one call makes the short read a safe sign of an empty
// socket: at one request in flight per client that extra read was one of
// the three system calls a request cost its client connection.
//
// While the callback runs the runtime holds a reference to the socket that
// Close waits for, so a reader that owns the connection (claimReader)
// closes its socket itself when it ends; fail only wakes it.
func (c *Conn) readLoopRaw() {
	if !c.claimReader() {
		return
	}
	r := c.rawio
	owned := true
	defer func() {
		if owned {
			r.dropChunk()
			c.releaseReader()
		}
	}()
	for {
		r.stop = stopNone
		err := c.raw.Read(r.pumpFn)
		switch {
		case c.closed.Load():
			return
		case err != nil && c.isParkTimeout(err):
			if r.buf == nil && !c.probing.Load() {
				// Parked, another reader may start at once: this one
				// touches nothing of the connection's any more.
				c.releaseReader()
				owned = false
				if c.park() {
					return
				}
				if !c.claimReader() {
					return
				}
				owned = true
			}
			c.cancelPark()
		case err != nil:
			c.failRead(err)
			return
		case r.stop == stopReadErr:
			c.failRead(r.rerr)
			return
		case r.stop == stopBig:
			if !c.readBig() {
				return
			}
		default:
			return
		}
	}
}

// pump is the reader's poller callback: true hands the socket back to
// readLoopRaw (rawIO.stop says why), false waits for it to be readable.
func (c *Conn) pump(fd uintptr) bool {
	r := c.rawio
	for {
		if c.closed.Load() {
			r.stop = stopDone
			return true
		}
		if r.buf == nil {
			// Taken only once the socket is readable, so an idle
			// connection holds no buffer.
			r.buf = chunks.Get().(*[]byte)
		}
		want := len(*r.buf) - r.end
		n, err := readSyscall(fd, (*r.buf)[r.end:])
		if err == syscall.EAGAIN {
			r.hold()
			return false
		}
		if err != nil {
			r.stop, r.rerr = stopReadErr, err
			return true
		}
		r.end += n
		c.touch()
		if r.stop = c.handleChunk(); r.stop != stopNone {
			return true
		}
		if n < want {
			r.hold()
			return false
		}
	}
}

// handleChunk dispatches every complete message in the chunk, flushes the
// writes they caused, and keeps what is left of an incomplete one.
func (c *Conn) handleChunk() readStop {
	r := c.rawio
	buf := *r.buf
	stop := stopNone
	r.next = 0
	for r.end-r.start >= ice.HeaderSize {
		h, err := ice.ParseHeader(buf[r.start:r.start+ice.HeaderSize], c.opts.MessageSizeMax)
		if err != nil {
			c.batch.Flush()
			c.fail(fmt.Errorf("%w: %w", ErrProtocol, err))
			return stopDone
		}
		if r.end-r.start < h.Size {
			if h.Size > len(buf) {
				r.big, stop = h, stopBig
			}
			r.next = h.Size
			break // the rest of it is on its way
		}
		m := NewMessage(h.Size)
		copy(m.Buf, buf[r.start:r.start+h.Size])
		m.Header = h
		r.start += h.Size
		if !c.dispatch(m) {
			c.batch.Flush()
			return stopDone
		}
	}
	// Everything complete is handled: send what it produced before
	// waiting for more.
	c.batch.Flush()
	if r.start == r.end {
		r.dropChunk()
	} else if r.start > 0 {
		r.end = copy(buf, buf[r.start:r.end])
		r.start = 0
	}
	return stop
}

// readBig reads the rest of a message larger than its chunk straight into
// its own buffer, outside the callback (readFullRaw waits on the poller
// itself), and dispatches it; false means the connection is finished.
func (c *Conn) readBig() bool {
	r := c.rawio
	h := r.big
	m := NewMessage(h.Size)
	n := copy(m.Buf, (*r.buf)[r.start:r.end])
	r.dropChunk()
	if err := c.readFullRaw(m.Buf[n:]); err != nil {
		m.Release()
		c.failRead(err)
		return false
	}
	m.Header = h
	ok := c.dispatch(m)
	c.batch.Flush()
	return ok
}

// dropChunk gives the reader's chunk, if it holds one, back to its pool.
func (r *rawIO) dropChunk() {
	if r.buf == nil {
		return
	}
	if len(*r.buf) == chunkSize {
		chunks.Put(r.buf)
	} else {
		heldChunks.Put(r.buf)
	}
	r.buf, r.start, r.end, r.next = nil, 0, 0, 0
}

// hold readies the chunk for a wait on the socket: an empty one goes back
// to the pool, and the start of a message moves to a smaller chunk if the
// whole message fits it (what has arrived is less, so there is room to read
// into), or if its header has not arrived. A message announced larger keeps
// the chunk and is read whole into it, as a pipelined 64 KB echo is. Its
// stalled peer holds 128 KB where with 32 KB chunks it held a buffer of the
// message's own size, which was already up to Ice.MessageSizeMax.
func (r *rawIO) hold() {
	switch {
	case r.end == r.start:
		r.dropChunk()
	case r.next <= heldChunkSize && len(*r.buf) == chunkSize:
		held := heldChunks.Get().(*[]byte)
		end := copy(*held, (*r.buf)[r.start:r.end])
		r.dropChunk()
		r.buf, r.end = held, end
	}
}

// claimReader makes the calling goroutine the reader that closes the
// socket (see readLoopRaw); false if the connection is closed already.
func (c *Conn) claimReader() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateClosed {
		return false
	}
	c.readerOwns = true
	return true
}

// releaseReader ends the claim, closing the socket if the connection
// failed meanwhile.
func (c *Conn) releaseReader() {
	c.mu.Lock()
	c.readerOwns = false
	closed := c.state == stateClosed
	c.mu.Unlock()
	if closed {
		_ = c.nc.Close()
	}
}

// readFullRaw fills buf from the socket, waiting as needed.
func (c *Conn) readFullRaw(buf []byte) error {
	r := c.rawio
	defer func() { r.into = nil }()
	for len(buf) > 0 {
		r.into, r.rn, r.rerr = buf, 0, nil
		err := c.raw.Read(r.fillFn)
		buf = buf[r.rn:]
		switch {
		case c.closed.Load():
			return ErrClosed
		case err != nil && c.isParkTimeout(err):
			// A message arriving slowly is no idle connection.
			c.cancelPark()
		case err != nil:
			return err
		case r.rerr == io.EOF:
			return io.ErrUnexpectedEOF
		case r.rerr != nil:
			return r.rerr
		}
	}
	return nil
}

// fill is readFullRaw's poller callback: it reads into r.into until it is
// full, waiting for readiness after a short read as pump does.
func (c *Conn) fill(fd uintptr) bool {
	r := c.rawio
	n, err := readSyscall(fd, r.into[r.rn:])
	switch {
	case err == syscall.EAGAIN:
		return false
	case err != nil:
		r.rerr = err
		return true
	}
	r.rn += n
	// Each part counts as activity: a large message arriving slowly is no
	// idle connection to ACM.
	c.touch()
	return r.rn == len(r.into)
}

// dispatch hands a received message to whoever it is for; it reports false
// when the connection is finished.
func (c *Conn) dispatch(m *Message) bool {
	h := m.Header
	if h.Compression == ice.Compressed {
		raw, err := ice.Decompress(m.Buf, c.opts.MessageSizeMax)
		m.Release()
		if err != nil {
			c.fail(fmt.Errorf("%w: %w", ErrProtocol, err))
			return false
		}
		m = &Message{Buf: raw, class: -1, Compressed: true}
		m.Header, _ = ice.ParseHeader(raw, len(raw))
	}
	switch h.Type {
	case ice.ValidateConnectionMsg:
		m.Release()
		c.handler.Heartbeat(c)
	case ice.CloseConnectionMsg:
		m.Release()
		c.fail(ErrClosedByPeer)
		return false
	case ice.RequestMsg, ice.BatchRequestMsg:
		c.handler.Request(c, m)
	case ice.ReplyMsg:
		c.reply(m)
	}
	return true
}
