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
	// Reading: the chunk pointer of the reader and where to read into it.
	chunk  **[]byte
	at     int
	rn     int
	rerr   error
	readFn func(fd uintptr) bool

	// Writing: a pooled iovec array while a write is in progress.
	iov     *[maxIovecs]unix.Iovec
	iovN    int
	wn      int
	werr    error
	writeFn func(fd uintptr) bool
}

var iovecs = sync.Pool{New: func() any { return new([maxIovecs]unix.Iovec) }}

func newRawIO() *rawIO {
	r := &rawIO{}
	r.readFn = func(fd uintptr) bool {
		if *r.chunk == nil {
			*r.chunk = chunks.Get().(*[]byte)
		}
		for {
			r.rn, r.rerr = syscall.Read(int(fd), (**r.chunk)[r.at:])
			if r.rerr != syscall.EINTR {
				break
			}
		}
		if r.rerr == syscall.EAGAIN {
			if r.at == 0 {
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
			n, _, e := unix.Syscall(unix.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&r.iov[0])), uintptr(r.iovN))
			if e == unix.EINTR {
				continue
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
