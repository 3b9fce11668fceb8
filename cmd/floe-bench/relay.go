package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"sync/atomic"
)

// relayMain is "floe-bench relay -to HOST:PORT": the floor for any extra
// hop. It accepts on a loopback port from the OS (printed as "READY
// HOST:PORT"), dials the target for each connection and copies bytes both
// ways with two copy loops, parsing nothing. It runs as its own process so
// its CPU time and memory are measured as a router's are.
func relayMain(args []string) int {
	fs := flag.NewFlagSet("relay", flag.ContinueOnError)
	to := fs.String("to", "", "the address to relay to")
	if err := fs.Parse(args); err != nil || *to == "" {
		fmt.Fprintln(os.Stderr, "usage: floe-bench relay -to HOST:PORT")
		return 2
	}
	if _, err := raiseFileLimit(); err != nil {
		fmt.Fprintln(os.Stderr, "relay: raising the open file limit:", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		return 1
	}
	fmt.Println("READY", l.Addr().String())
	for {
		c, err := l.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "relay:", err)
			return 1
		}
		go relayConn(c.(*net.TCPConn), *to)
	}
}

// relayConn relays one connection with two goroutines, each a plain
// read/write loop with its own 32 KiB buffer (io.Copy's size; io.Copy
// itself would splice through a pipe, holding two more descriptors per
// direction while idle, which 10,000 idle sessions cannot afford).
func relayConn(client *net.TCPConn, to string) {
	nc, err := net.Dial("tcp", to)
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay: dial:", err)
		client.Close()
		return
	}
	server := nc.(*net.TCPConn)
	var finished atomic.Int32
	pipe := func(dst, src *net.TCPConn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		_ = dst.CloseWrite() // pass the half-close on
		if finished.Add(1) == 2 {
			client.Close()
			server.Close()
		}
	}
	go pipe(server, client)
	pipe(client, server)
}
