package transport

import (
	"io"
	"sync"
	"unsafe"

	"github.com/floe-router/floe/core/ice"
	"golang.org/x/sys/unix"
)

// rawIO holds what a plain socket's reader and writer pass to the runtime's
// poller callbacks. The callbacks are made once per connection, so a read
// or a write allocates nothing; the reader and the (single) writer each use
// only their own half.
type rawIO struct {
	// Reading (read.go): the pooled chunk being filled, the part of it not
	// yet handled, and why the reader's callback stopped; or (into) the
	// rest of a message larger than the chunk it began in.
	buf        *[]byte
	start, end int
	next       int // the size of the incomplete message at start, 0 before its header
	stop       readStop
	big        ice.Header
	into       []byte
	rn         int
	rerr       error
	pumpFn     func(fd uintptr) bool
	fillFn     func(fd uintptr) bool

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

// readSyscall reads into buf (not empty); a closed socket reads as io.EOF.
func readSyscall(fd uintptr, buf []byte) (int, error) {
	for {
		n, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		switch {
		case e == unix.EINTR:
			continue
		case e != 0:
			return 0, e
		case n == 0:
			return 0, io.EOF
		}
		return int(n), nil
	}
}

// setIovec points one iovec at b (which is not empty).
func setIovec(v *unix.Iovec, b []byte) {
	v.Base = &b[0]
	v.SetLen(len(b))
}
