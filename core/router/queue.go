package router

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/ice"
	"github.com/floe-router/floe/core/transport"
)

// Glacier2's buffered mode. Without a sleep time, a request is handed to
// its connection's write queue at once, and a oneway with an _ovrd context
// value replaces one with the same value for the same object that is still
// waiting there (transport.Message.Override). With a sleep time, a session's
// requests in one direction wait in a requestQueue that is flushed, then
// paused for the sleep time, so overrides and batching have something to
// work on. The queue is bounded: a full queue stops reading from the sender.

// outbound is one forwarded request ready to send.
type outbound struct {
	// b is the batch of the reader goroutine sending it, nil elsewhere.
	b      *transport.Batch
	conn   *transport.Conn
	m      *transport.Message
	target transport.ReplyTarget // nil for a oneway
	tag    int32
}

// overrideKey is what makes two oneways interchangeable for Glacier2: the
// same _ovrd value sent to the same object (identity and facet). It is ""
// when the request carries no _ovrd or buffering is off.
func overrideKey(req *ice.Request, b config.Buffering) string {
	if b.Disabled || req.ContextLen() == 0 {
		return ""
	}
	v, ok := req.ContextValue("_ovrd")
	if !ok || v == "" {
		return ""
	}
	return v + "\x00" + string(req.IdentityBytes()) + string(req.FacetBytes())
}

// send hands o to its connection, or to q when the direction is paced.
func send(q *requestQueue, o outbound) error {
	if q != nil {
		q.add(o)
		return nil
	}
	return dispatch(o)
}

func dispatch(o outbound) error {
	if o.target != nil {
		if err := o.conn.SendRequestVia(o.b, o.m, o.target, o.tag); err != nil {
			o.target.Reply(o.b, o.tag, nil, err)
		}
		return nil
	}
	return o.conn.SendVia(o.b, o.m)
}

// Bounds of a paced queue.
const (
	maxQueuedRequests = 10000
	maxQueuedBytes    = 16 << 20
)

// requestQueue is one session's paced queue for one direction.
type requestQueue struct {
	sleep       time.Duration
	alwaysBatch bool

	mu      sync.Mutex
	cond    sync.Cond
	items   []outbound
	bytes   int
	running bool
	closed  bool
}

func newRequestQueue(b config.Buffering) *requestQueue {
	if b.Disabled || b.SleepTime <= 0 {
		return nil
	}
	q := &requestQueue{sleep: b.SleepTime, alwaysBatch: b.AlwaysBatch}
	q.cond.L = &q.mu
	return q
}

// add queues o, replacing a queued oneway it overrides, and waits while the
// queue is full.
func (q *requestQueue) add(o outbound) {
	// Queued requests are sent by the runner goroutine, never through the
	// batch of the reader that queued them; only an immediate send may.
	first := o
	o.b = nil
	q.mu.Lock()
	defer q.mu.Unlock()
	if o.target == nil && o.m.Override != "" {
		for i := len(q.items) - 1; i >= 0; i-- {
			if old := q.items[i]; old.target == nil && old.m.Override == o.m.Override && old.conn == o.conn {
				q.bytes += len(o.m.Buf) - len(old.m.Buf)
				old.m.Release()
				q.items[i] = o
				return
			}
		}
	}
	for !q.closed && (len(q.items) >= maxQueuedRequests || q.bytes >= maxQueuedBytes) {
		q.cond.Wait()
	}
	if q.closed {
		q.fail(o)
		return
	}
	if !q.running {
		// An idle queue sends at once, then pauses: what arrives during the
		// pause waits, and may be overridden, until the next flush.
		q.running = true
		q.mu.Unlock()
		_ = dispatch(first)
		go q.run()
		q.mu.Lock()
		return
	}
	q.items = append(q.items, o)
	q.bytes += len(o.m.Buf)
}

func (q *requestQueue) fail(o outbound) {
	if o.target != nil {
		o.target.Reply(nil, o.tag, nil, transport.ErrClosed)
	}
	o.m.Release()
}

// run sleeps, flushes what arrived meanwhile, and repeats while there is
// work; it exits when a pause ends with nothing queued, so an idle session
// has no goroutine.
func (q *requestQueue) run() {
	var batch []outbound
	for {
		time.Sleep(q.sleep)
		q.mu.Lock()
		if len(q.items) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		batch, q.items = q.items, batch[:0]
		q.bytes = 0
		q.cond.Broadcast()
		q.mu.Unlock()
		q.flush(batch)
		clear(batch)
	}
}

func (q *requestQueue) flush(batch []outbound) {
	if !q.alwaysBatch {
		for _, o := range batch {
			_ = dispatch(o)
		}
		return
	}
	// AlwaysBatch: consecutive oneways for one connection travel as one
	// batch request message.
	for i := 0; i < len(batch); {
		o := batch[i]
		j := i + 1
		if o.target == nil {
			for j < len(batch) && batch[j].target == nil && batch[j].conn == o.conn {
				j++
			}
		}
		if j-i > 1 {
			_ = o.conn.Send(batchMessage(batch[i:j]))
		} else {
			_ = dispatch(o)
		}
		i = j
	}
}

// batchMessage joins oneway request messages into one batch request.
func batchMessage(os []outbound) *transport.Message {
	n := ice.HeaderSize + 4
	for _, o := range os {
		n += len(o.m.Buf) - ice.HeaderSize - 4
	}
	out := transport.NewMessage(n)
	ice.PutHeader(out.Buf, ice.BatchRequestMsg, ice.Uncompressed, n)
	binary.LittleEndian.PutUint32(out.Buf[ice.HeaderSize:], uint32(len(os)))
	b := out.Buf[ice.HeaderSize+4:]
	for _, o := range os {
		b = b[copy(b, o.m.Buf[ice.HeaderSize+4:]):]
		o.m.Release()
	}
	return out
}

// close refuses new requests once the session is gone; what is queued is
// still sent, as Glacier2 drains a destroyed session's queue.
func (q *requestQueue) close() {
	if q == nil {
		return
	}
	q.mu.Lock()
	q.closed = true
	q.cond.Broadcast()
	q.mu.Unlock()
}
