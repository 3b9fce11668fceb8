package testutil

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
)

// output collects what a process writes to one of its streams: all the bytes,
// and the complete lines among them for WaitLine.
type output struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	lineStart int // offset in buf of the first byte not yet part of a complete line
	lines     []string
	changed   chan struct{} // closed (and replaced) whenever a line completes
}

func newOutput() *output { return &output{changed: make(chan struct{})} }

func (o *output) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(b)
	added := false
	for {
		rest := o.buf.Bytes()[o.lineStart:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		o.lines = append(o.lines, strings.TrimSuffix(string(rest[:i]), "\r"))
		o.lineStart += i + 1
		added = true
	}
	if added {
		close(o.changed)
		o.changed = make(chan struct{})
	}
	return len(b), nil
}

// linesFrom returns the complete lines from index from on, and a channel that
// is closed when more arrive.
func (o *output) linesFrom(from int) ([]string, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if from > len(o.lines) {
		from = len(o.lines)
	}
	return o.lines[from:], o.changed
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// maxLineLen bounds each line that tail returns.
const maxLineLen = 2000

// tail returns the last n lines written (an unfinished last line included),
// each cut to maxLineLen bytes.
func (o *output) tail(n int) string {
	s := strings.TrimRight(o.String(), "\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	for i, line := range lines {
		if len(line) > maxLineLen {
			lines[i] = fmt.Sprintf("%s… (%d more bytes)", line[:maxLineLen], len(line)-maxLineLen)
		}
	}
	return strings.Join(lines, "\n")
}
