package transport

import "sync/atomic"

// Reader goroutines are kept for the next connection. A new goroutine
// starts on a small stack, and a reader handling its first requests (a
// createSession reaches the router's servant and its logger) grows that
// stack by copying it several times: with 8 clients opening sessions in a
// loop, that copying was 11% of floe's CPU. A reader whose connection
// ended waits for the next one with its grown stack instead of exiting, up
// to spareReaders of them; beyond that it exits, so a burst of closing
// connections leaves no more than that behind.
const spareReaders = 32

// readerPool hands work to reader goroutines that finished their last.
type readerPool struct {
	// handoff is unbuffered: a send succeeds only while a spare waits.
	handoff chan func()
	spares  atomic.Int32
	most    int32
}

var readers = newReaderPool(spareReaders)

func newReaderPool(most int32) *readerPool {
	return &readerPool{handoff: make(chan func()), most: most}
}

// goRead runs f on a spare reader goroutine, or on a new one if none waits.
func goRead(f func()) { readers.run(f) }

func (p *readerPool) run(f func()) {
	select {
	case p.handoff <- f:
	default:
		go p.serve(f)
	}
}

func (p *readerPool) serve(f func()) {
	for {
		f()
		if p.spares.Add(1) > p.most {
			p.spares.Add(-1)
			return
		}
		f = <-p.handoff
		p.spares.Add(-1)
	}
}
