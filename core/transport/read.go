package transport

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/floe-router/floe/core/ice"
)

// The reader of a connection. On a plain socket it reads whatever has
// arrived into a pooled chunk, handles every complete message in it, then
// flushes the writes those messages caused (the connection's Batch) before
// waiting for more: pipelined requests cost one read and one write per
// connection, not one of each per message. The chunk is taken from the pool
// only once the socket is readable, so an idle connection holds no buffer.
// Connections without a socket (TLS, WebSocket) read message by message.

const chunkSize = 32 << 10

var chunks = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

func (c *Conn) readLoop() {
	if c.raw != nil {
		c.readLoopRaw()
	} else {
		c.readLoopStream()
	}
}

// readLoopStream reads one message at a time.
func (c *Conn) readLoopStream() {
	var hdr [ice.HeaderSize]byte
	for {
		if _, err := io.ReadFull(c.nc, hdr[:]); err != nil {
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
			if _, err := io.ReadFull(c.nc, m.Buf[ice.HeaderSize:]); err != nil {
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

// readLoopRaw reads chunks from the socket.
func (c *Conn) readLoopRaw() {
	var chunk *[]byte
	start, end := 0, 0
	defer func() {
		if chunk != nil {
			chunks.Put(chunk)
		}
	}()
	for {
		for chunk != nil && end-start >= ice.HeaderSize {
			buf := *chunk
			h, err := ice.ParseHeader(buf[start:start+ice.HeaderSize], c.opts.MessageSizeMax)
			if err != nil {
				c.batch.Flush()
				c.fail(fmt.Errorf("%w: %w", ErrProtocol, err))
				return
			}
			if end-start < h.Size {
				if h.Size <= chunkSize {
					break // the rest of it is on its way
				}
				// Larger than a chunk: read the rest straight into the
				// message's own buffer.
				m := NewMessage(h.Size)
				n := copy(m.Buf, buf[start:end])
				start, end = 0, 0
				c.batch.Flush()
				if err := c.readFullRaw(m.Buf[n:]); err != nil {
					m.Release()
					c.failRead(err)
					return
				}
				m.Header = h
				c.touch()
				if !c.dispatch(m) {
					c.batch.Flush()
					return
				}
				continue
			}
			m := NewMessage(h.Size)
			copy(m.Buf, buf[start:start+h.Size])
			m.Header = h
			start += h.Size
			if !c.dispatch(m) {
				c.batch.Flush()
				return
			}
		}
		// Everything complete is handled: send what it produced before
		// waiting for more.
		c.batch.Flush()
		if chunk != nil {
			if start == end {
				chunks.Put(chunk)
				chunk, start, end = nil, 0, 0
			} else if start > 0 {
				end = copy(*chunk, (*chunk)[start:end])
				start = 0
			}
		}
		n, err := c.readRaw(&chunk, end)
		if err != nil {
			if c.isParkTimeout(err) {
				if chunk == nil && c.park() {
					return // the epoll waiter starts a reader when data comes
				}
				c.parkRequested.Store(false)
				_ = c.nc.SetReadDeadline(time.Time{})
				continue
			}
			c.failRead(err)
			return
		}
		end += n
		c.touch()
	}
}

// readRaw waits until the socket is readable and reads into (*chunk)[at:],
// taking a chunk from the pool only then.
func (c *Conn) readRaw(chunk **[]byte, at int) (int, error) {
	r := c.rawio
	r.chunk, r.at = chunk, at
	n, err := c.rawRead()
	r.chunk = nil
	return n, err
}

// rawRead runs the reader's callback once it has its target (a chunk, or
// into) and returns what it read.
func (c *Conn) rawRead() (int, error) {
	r := c.rawio
	if err := c.raw.Read(r.readFn); err != nil {
		return 0, err
	}
	if r.rerr != nil {
		return 0, r.rerr
	}
	if r.rn <= 0 {
		return 0, io.EOF
	}
	return r.rn, nil
}

// readFullRaw fills buf from the socket, waiting as needed.
func (c *Conn) readFullRaw(buf []byte) error {
	r := c.rawio
	defer func() { r.into = nil }()
	for len(buf) > 0 {
		r.into = buf
		n, err := c.rawRead()
		switch {
		case c.isParkTimeout(err):
			// A message arriving slowly is no idle connection.
			c.parkRequested.Store(false)
			_ = c.nc.SetReadDeadline(time.Time{})
			continue
		case err == io.EOF:
			return io.ErrUnexpectedEOF
		case err != nil:
			return err
		}
		buf = buf[n:]
		c.touch()
	}
	return nil
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
