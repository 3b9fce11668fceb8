package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/floe-router/floe/core/ice"
	"golang.org/x/sys/unix"
)

// The twoway load on a plain TCP connection, driven from inside the
// runtime poller's read callback. The bench shares the machine's two CPUs
// with the backend and the router it measures, so every microsecond the
// client spends per request is taken from them: through net.Conn a
// request cost the client a write, the read of its reply, and one more
// read that found the socket empty before the goroutine slept, each with
// the scheduler's bookkeeping around it. Here a read shorter than the
// buffer is taken as the sign of an empty socket (safe only while the
// loop stays inside one RawConn.Read call, whose wait consumes any
// readiness that came since), and the system calls are made raw on a
// non-blocking socket. The bytes on the wire and the moment each request
// is sent are exactly those of twowayWorker.run.

// rawTwoway is the state runRaw's callback works on.
type rawTwoway struct {
	tw         *twowayWorker
	phase      *atomic.Int32
	fd         uintptr
	buf        []byte
	start, end int
	started    bool
	err        error
}

// runRaw is twowayWorker.run for empty calls on a connection whose socket
// the bench can reach (plain TCP); false means it does not apply, and run
// must be used. Echo payloads keep run: a 64 KB reply arrives in pieces,
// and waiting for the poller after each short piece, rather than reading
// again at once, cost the direct echo a third of its bytes/s.
func (tw *twowayWorker) runRaw(phase *atomic.Int32) (bool, error) {
	tc, ok := tw.c.nc.(*net.TCPConn)
	if !ok || tw.echo > 0 {
		return false, nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return false, nil
	}
	s := &rawTwoway{tw: tw, phase: phase, buf: make([]byte, loadReadBuffer)}
	// Whatever the session's setup left read ahead (a heartbeat) comes first.
	if n := tw.c.r.Buffered(); n > 0 {
		b, _ := tw.c.r.Peek(n)
		s.end = copy(s.buf, b)
	}
	for !s.done() {
		if err := rc.Read(s.pump); err != nil {
			return true, err
		}
	}
	return true, s.err
}

func (s *rawTwoway) done() bool { return s.err != nil || (s.started && s.tw.outstanding == 0) }

// pump is the poller callback: true when the load on this connection is
// over (or failed), false to wait for the socket to become readable.
func (s *rawTwoway) pump(fd uintptr) bool {
	s.fd = fd
	if !s.started {
		s.started = true
		for i := range s.tw.sent {
			if s.err = s.send(int32(i + 1)); s.err != nil {
				return true
			}
		}
		if s.handle(); s.done() {
			return true
		}
	}
	for {
		if s.end == len(s.buf) {
			s.grow()
		}
		want := len(s.buf) - s.end
		n, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&s.buf[s.end])), uintptr(want))
		switch {
		case e == unix.EINTR:
			continue
		case e == unix.EAGAIN:
			return false
		case e != 0:
			s.err = e
			return true
		case n == 0:
			s.err = io.ErrUnexpectedEOF
			return true
		}
		s.end += int(n)
		if s.handle(); s.done() {
			return true
		}
		if int(n) < want {
			return false
		}
	}
}

// handle takes every complete message in the buffer, sending each slot's
// next request as its reply arrives.
func (s *rawTwoway) handle() {
	for s.end-s.start >= ice.HeaderSize && s.err == nil {
		h, err := ice.ParseHeader(s.buf[s.start:s.start+ice.HeaderSize], messageSizeMax)
		if err != nil {
			s.err = err
			return
		}
		if h.Compression == ice.Compressed {
			s.err = errors.New("compressed message (the bench never asks for compression)")
			return
		}
		if s.end-s.start < h.Size {
			break
		}
		body := s.buf[s.start+ice.HeaderSize : s.start+h.Size]
		s.start += h.Size
		id, send, err := s.tw.reply(h, body, s.phase)
		if err != nil {
			s.err = err
			return
		}
		if send {
			s.err = s.send(id)
		}
	}
	if s.start == s.end {
		s.start, s.end = 0, 0
	}
}

// grow makes room for the rest of the message at start: moved to the
// front, and the buffer enlarged when the message is larger than it.
func (s *rawTwoway) grow() {
	if s.start > 0 {
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
		return
	}
	size := len(s.buf) * 2
	if s.end >= ice.HeaderSize {
		if h, err := ice.ParseHeader(s.buf[:ice.HeaderSize], messageSizeMax); err == nil && h.Size > size {
			size = h.Size
		}
	}
	s.buf = append(s.buf, make([]byte, size-len(s.buf))...)
}

// send writes the slot's request whole; a full socket (a large echo
// payload) is waited for with poll, which lets the scheduler run others.
func (s *rawTwoway) send(id int32) error {
	msg := s.tw.stamp(id)
	for len(msg) > 0 {
		n, _, e := unix.RawSyscall(unix.SYS_WRITE, s.fd, uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)))
		switch {
		case e == unix.EINTR:
		case e == unix.EAGAIN:
			fds := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLOUT}}
			if _, err := unix.Poll(fds, -1); err != nil && err != unix.EINTR {
				return fmt.Errorf("waiting to write: %w", err)
			}
		case e != 0:
			return syscall.Errno(e)
		default:
			msg = msg[n:]
		}
	}
	s.tw.outstanding++
	return nil
}
