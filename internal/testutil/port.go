package testutil

import (
	"context"
	"net"
	"testing"
	"time"
)

// FreePort returns a TCP port on 127.0.0.1 that the OS reported free a moment
// ago, for a program that must be told its port because it cannot report the
// one it bound (glacier2router). Another process may take the port before the
// program binds it; callers that can tell "address in use" apart retry with a
// new port.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free loopback port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreePorts is FreePort for n ports at once: they are held until all are
// chosen, so they differ (two FreePort calls in a row may well get the same
// port back from the OS).
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("finding a free loopback port: %v", err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// PollTCP connects to addr every few milliseconds until a connection is
// accepted (it is closed at once) or ctx ends, in which case it returns the
// context's error.
func PollTCP(ctx context.Context, addr string) error {
	const interval = 20 * time.Millisecond
	var d net.Dialer
	for {
		attempt, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := d.DialContext(attempt, "tcp", addr)
		cancel()
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}
