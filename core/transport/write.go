package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/floe-router/floe/core/ice"
	"golang.org/x/sys/unix"
)

// The writer of a connection. Messages join a bounded queue; whoever finds
// the connection idle becomes its writer: a reader goroutine that caused
// the messages flushes them itself once it has handled everything it read
// (its Batch), writing with a non-blocking writev, and hands what the
// socket does not take to a writer goroutine that exists only while there
// is a backlog. So a forwarded request usually costs no goroutine switch,
// and a slow peer never blocks the goroutine that feeds it.

// Batch is the set of connections a reader goroutine queued messages on and
// still has to flush. Only that goroutine uses it.
type Batch struct {
	conns []*Conn
}

// Flush writes what the batch's connections have queued.
func (b *Batch) Flush() {
	if b == nil {
		return
	}
	for i, c := range b.conns {
		c.flushNow()
		b.conns[i] = nil
	}
	b.conns = b.conns[:0]
}

// Batch is the batch of this connection's reader goroutine: writes made
// while handling a message from this connection go through it.
func (c *Conn) Batch() *Batch { return &c.batch }

// Send queues m for writing and gives up ownership of it. It waits while the
// write queue is over its bound, so a slow peer slows its senders down.
func (c *Conn) Send(m *Message) error { return c.enqueue(nil, m, true, nil, 0) }

// SendVia is Send from the reader goroutine that owns b.
func (c *Conn) SendVia(b *Batch, m *Message) error { return c.enqueue(b, m, true, nil, 0) }

// Post queues m without waiting for room; it is for replies and control
// messages, whose number is bounded by the requests that caused them.
func (c *Conn) Post(m *Message) error { return c.enqueue(nil, m, false, nil, 0) }

// PostVia is Post from the reader goroutine that owns b.
func (c *Conn) PostVia(b *Batch, m *Message) error { return c.enqueue(b, m, false, nil, 0) }

// SendRequest sends the twoway request m (header and a request id slot
// included), giving it a fresh request id on this connection; its reply,
// or the connection's failure, is delivered to target with tag. An error is
// returned (and target not called) only when the connection was not open.
func (c *Conn) SendRequest(m *Message, target ReplyTarget, tag int32) error {
	return c.enqueue(nil, m, true, target, tag)
}

// SendRequestVia is SendRequest from the reader goroutine that owns b.
func (c *Conn) SendRequestVia(b *Batch, m *Message, target ReplyTarget, tag int32) error {
	return c.enqueue(b, m, true, target, tag)
}

func (c *Conn) enqueue(b *Batch, m *Message, wait bool, target ReplyTarget, tag int32) error {
	c.mu.Lock()
	if wait {
		for c.queued+c.queuedMsgs*messageOverhead >= c.opts.maxQueued() && c.state == stateActive {
			if b != nil && len(b.conns) > 0 {
				// Waiting while holding unflushed writes could wait for
				// ourselves: flush first.
				c.mu.Unlock()
				b.Flush()
				c.mu.Lock()
				continue
			}
			c.cond.Wait()
		}
	}
	if c.state == stateClosed || (target != nil && c.state != stateActive) {
		err := c.err
		if err == nil {
			err = ErrClosed
		}
		c.mu.Unlock()
		m.Release()
		return err
	}
	if target != nil {
		if c.pending == nil {
			c.pending = make(map[int32]pendingCall)
		}
		id := c.nextRequestID()
		c.pending[id] = pendingCall{target: target, tag: tag}
		binary.LittleEndian.PutUint32(m.Buf[ice.HeaderSize:], uint32(id))
	}
	if m.CompressLevel > 0 {
		// Compression covers the request id, so it comes after it; it runs
		// unlocked, and a close meanwhile has already failed the request.
		c.mu.Unlock()
		m = compressMessage(m)
		c.mu.Lock()
		if c.state == stateClosed {
			c.mu.Unlock()
			m.Release()
			if target != nil {
				return nil
			}
			return c.err
		}
	}
	if m.Override != "" && c.override(m) {
		c.mu.Unlock()
		return nil
	}
	c.queue = append(c.queue, m)
	c.queued += len(m.Buf)
	c.queuedMsgs++
	if c.writing {
		c.mu.Unlock()
		return nil
	}
	c.writing = true
	c.mu.Unlock()
	if b != nil {
		b.conns = append(b.conns, c)
	} else {
		c.flushNow()
	}
	return nil
}

// flushNow writes the queue from the calling goroutine as far as the socket
// takes it without blocking, and leaves the rest to a writer goroutine. The
// caller holds the writer role (c.writing).
//
// A connection we dialled (to a server, shared by every session) that has
// other twoway requests in flight is flushed a little later instead: by a
// goroutine that first yields, so that the readers of other clients the
// poller woke at the same time queue their requests too and one writev
// carries them all. Each writev on loopback costs the sender the whole
// delivery to the receiver, and without this nearly every request from a
// client with one request in flight took one (at 256 sessions × 1, writevs
// per request 1.7 → 1.1 and CPU per request 0.85×). With nothing else in
// flight the request goes out at once, so a lone call waits for nothing;
// nor do large messages, whose cost is in their bytes.
func (c *Conn) flushNow() { c.flush(false) }

// coalesceBelow is the queued size up to which a flush may wait.
const coalesceBelow = 16 << 10

func (c *Conn) flushLater() {
	runtime.Gosched()
	c.flush(true)
}

func (c *Conn) flush(later bool) {
	if c.raw == nil {
		go c.writeLoop()
		return
	}
	c.mu.Lock()
	if !later && !c.incoming && len(c.pending) > 1 && c.queued < coalesceBelow {
		if c.flushLaterFn == nil {
			// Bound once: a go statement on a method allocates each time.
			c.flushLaterFn = c.flushLater
		}
		f := c.flushLaterFn
		c.mu.Unlock()
		go f()
		return
	}
	batch := c.queue
	c.queue = c.spare[:0]
	c.spare = nil
	c.mu.Unlock()

	written, err := c.writeNonBlocking(batch)
	left := c.settle(batch, written)
	if err != nil {
		c.putBack(left)
		c.failWrite(err)
		return
	}
	c.mu.Lock()
	if len(left) > 0 || len(c.queue) > 0 {
		c.queue = append(left, c.queue...)
		c.mu.Unlock()
		go c.writeLoop()
		return
	}
	c.spare = batch[:0]
	c.writing = false
	c.cond.Broadcast()
	c.mu.Unlock()
}

// settle releases the messages of batch fully written by n bytes, trims
// the one written in part, and returns those left (a new slice).
func (c *Conn) settle(batch []*Message, n int) []*Message {
	done := n
	i := 0
	for ; i < len(batch) && n >= len(batch[i].Buf); i++ {
		n -= len(batch[i].Buf)
		batch[i].Release()
		batch[i] = nil
	}
	var left []*Message
	if i < len(batch) {
		if n > 0 {
			// A message written in part can no longer be overridden.
			batch[i].Buf = batch[i].Buf[n:]
			batch[i].Override = ""
		}
		left = append(left, batch[i:]...)
		clear(batch[i:])
	}
	if done > 0 {
		c.wrote(done, i)
	}
	return left
}

// messageOverhead is what a queued message holds beyond its bytes: its
// pooled buffer is at least 256 bytes, and the Message itself. Counting
// only bytes, 4 MiB of 60-byte oneways was 70,000 messages and 26 MB held
// in one backend connection's queue under a oneway flood.
const messageOverhead = 256

// wrote accounts for n bytes of the queue written, which finished msgs
// messages, waking senders waiting for room.
func (c *Conn) wrote(n, msgs int) {
	c.touch()
	c.mu.Lock()
	c.queued -= n
	c.queuedMsgs -= msgs
	c.cond.Broadcast()
	c.mu.Unlock()
}

func (c *Conn) putBack(left []*Message) {
	for _, m := range left {
		m.Release()
	}
}

// maxIovecs bounds one writev (Linux's IOV_MAX is 1024).
const maxIovecs = 512

// writeNonBlocking writes as much of msgs as the socket takes now and
// returns the number of bytes written; a full socket is not an error.
func (c *Conn) writeNonBlocking(msgs []*Message) (int, error) {
	r := c.rawio
	r.iov = iovecs.Get().(*[maxIovecs]unix.Iovec)
	used := 0
	defer func() {
		// Only what was set: clearing all 512 entries (8 KB) on every
		// write costs more than a small write's own work.
		clear(r.iov[:used])
		iovecs.Put(r.iov)
		r.iov = nil
	}()
	total := 0
	for len(msgs) > 0 {
		k, want := 0, 0
		for ; k < len(msgs) && k < maxIovecs; k++ {
			setIovec(&r.iov[k], msgs[k].Buf)
			want += len(msgs[k].Buf)
		}
		used = max(used, k)
		r.iovN = k
		err := c.raw.Write(r.writeFn)
		if err != nil {
			return total, err
		}
		if r.werr == syscall.EAGAIN {
			return total, nil
		}
		if r.werr != nil {
			return total, r.werr
		}
		total += r.wn
		if r.wn < want {
			return total, nil
		}
		msgs = msgs[k:]
	}
	return total, nil
}

// writeLoop is the writer goroutine: it drains the queue with blocking
// writes and exits when the queue is empty.
func (c *Conn) writeLoop() {
	var batch []*Message
	var bufs net.Buffers
	for {
		c.mu.Lock()
		if len(c.queue) == 0 || c.state == stateClosed {
			c.writing = false
			c.cond.Broadcast()
			c.mu.Unlock()
			return
		}
		batch, c.queue = c.queue, batch[:0]
		c.mu.Unlock()

		if c.opts.WriteTimeout > 0 {
			_ = c.nc.SetWriteDeadline(time.Now().Add(c.opts.WriteTimeout))
		}
		var err error
		if c.raw != nil {
			err = c.writeAllRaw(batch)
		} else {
			err = c.writeAllStream(batch, &bufs)
		}
		if err != nil {
			c.failWrite(err)
			c.mu.Lock()
			c.writing = false
			c.mu.Unlock()
			return
		}
	}
}

// writeAllRaw writes msgs to the raw socket completely, waiting while it
// is full (under the write deadline), and settles them as flushNow does.
func (c *Conn) writeAllRaw(msgs []*Message) error {
	c.rawio.block = true
	defer func() { c.rawio.block = false }()
	for len(msgs) > 0 {
		n, err := c.writeNonBlocking(msgs)
		msgs = c.settle(msgs, n)
		if err != nil {
			c.putBack(msgs)
			return err
		}
	}
	return nil
}

// writeAllStream writes msgs to a connection without a socket of its own
// (TLS, WebSocket), and releases them. A batch of small messages goes out
// with one write: through TLS one record, not one per message (a
// WebSocket connection keeps them separate messages: batchWriter).
func (c *Conn) writeAllStream(msgs []*Message, bufs *net.Buffers) error {
	*bufs = (*bufs)[:0]
	n := 0
	for _, m := range msgs {
		*bufs = append(*bufs, m.Buf)
		n += len(m.Buf)
	}
	var err error
	if bw, ok := c.nc.(batchWriter); ok {
		err = bw.writeBatch(*bufs, n)
	} else if len(msgs) > 1 && n <= coalesceBelow {
		b := batchBufs.Get().(*[]byte)
		for _, m := range msgs {
			*b = append(*b, m.Buf...)
		}
		_, err = c.nc.Write(*b)
		*b = (*b)[:0]
		batchBufs.Put(b)
	} else {
		w := *bufs // WriteTo consumes the slice it is called on
		_, err = w.WriteTo(c.nc)
	}
	for i, m := range msgs {
		m.Release()
		msgs[i] = nil
	}
	clear(*bufs)
	c.wrote(n, len(msgs))
	return err
}

// batchWriter is a connection that sends a batch of messages itself.
type batchWriter interface {
	writeBatch(bufs [][]byte, size int) error
}

// batchBufs hold a batch of small messages joined for one write (TLS) or
// the frames of one (the ws cork).
var batchBufs = sync.Pool{New: func() any { b := make([]byte, 0, coalesceBelow+1024); return &b }}

func (c *Conn) failWrite(err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		err = fmt.Errorf("%w: write made no progress for %s", ErrTimeout, c.opts.WriteTimeout)
	} else {
		err = readError(err)
	}
	c.fail(err)
}
