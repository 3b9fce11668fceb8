package transport

import (
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawIO holds what a plain socket's reader and writer pass to the runtime's
// poller callbacks. The callbacks are made once per connection, so a read
// or a write allocates nothing; the reader and the (single) writer each use
// only their own half.
type rawIO struct {
	// Reading: the chunk pointer of the reader and where to read into it,
	// or (into) the rest of a message larger than a chunk.
	chunk  **[]byte
	at     int
	into   []byte
	rn     int
	rerr   error
	readFn func(fd uintptr) bool

	// Writing: a pooled iovec array while a write is in progress; block
	// has a full socket waited for rather than reported.
	iov     *[maxIovecs]unix.Iovec
	iovN    int
	block   bool
	wn      int
	werr    error
	writeFn func(fd uintptr) bool
}

var iovecs = sync.Pool{New: func() any { return new([maxIovecs]unix.Iovec) }}

// The callbacks make their system calls with RawSyscall, without telling
// the scheduler: the socket is non-blocking, so a read or writev returns at
// once, and the scheduler's bookkeeping for a call that might block
// (entersyscall, and sysmon polling every 20 µs to hand a "blocked"
// thread's P to another) buys nothing here: without it floe's CPU per
// request fell 28% at one request in flight and 11% at 16×8 (floe-bench
// -baseline, 5 paired runs).
func newRawIO() *rawIO {
	r := &rawIO{}
	r.readFn = func(fd uintptr) bool {
		buf := r.into
		if buf == nil {
			if *r.chunk == nil {
				*r.chunk = chunks.Get().(*[]byte)
			}
			buf = (**r.chunk)[r.at:]
		}
		for {
			n, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
			if e == unix.EINTR {
				continue
			}
			r.rn, r.rerr = int(n), nil
			if e != 0 {
				r.rn, r.rerr = -1, e
			}
			break
		}
		if r.rerr == syscall.EAGAIN {
			if r.into == nil && r.at == 0 {
				// Nothing buffered: wait without holding a chunk.
				chunks.Put(*r.chunk)
				*r.chunk = nil
			}
			return false
		}
		return true
	}
	r.writeFn = func(fd uintptr) bool {
		for {
			n, _, e := unix.RawSyscall(unix.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&r.iov[0])), uintptr(r.iovN))
			if e == unix.EINTR {
				continue
			}
			if e == unix.EAGAIN && r.block {
				return false
			}
			r.wn, r.werr = int(n), nil
			if e != 0 {
				r.wn, r.werr = 0, e
			}
			return true
		}
	}
	return r
}

// setIovec points one iovec at b (which is not empty).
func setIovec(v *unix.Iovec, b []byte) {
	v.Base = &b[0]
	v.SetLen(len(b))
}
