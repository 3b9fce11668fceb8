package testutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options describe a process to start.
type Options struct {
	Name  string   // shown in messages and logs; the base name of Path when empty
	Path  string   // the executable
	Args  []string // its arguments, without the program name
	Env   []string // KEY=VALUE entries added to the test's own environment
	Dir   string   // working directory; the test's own when empty
	Stdin bool     // keep a pipe to its stdin open for Send
}

// Process is a child process started by Start. Its methods are safe for
// concurrent use.
type Process struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *output
	stderr *output
	done   chan struct{} // closed once the process has exited and its output is in
	err    error         // what cmd.Wait returned; read only after done

	mu   sync.Mutex
	next int // index of the first stdout line WaitLine has not consumed yet
}

// logLines bounds how much of each stream a failed test shows.
const logLines = 200

// tailLines is how much of a process's output goes into an error message.
const tailLines = 20

// Start starts a process and ties it to the test: when the test ends the
// process and its process group are killed and reaped, and if the test failed
// its stdout and stderr are written to the test log. A process that cannot be
// started fails the test.
func Start(t testing.TB, opts Options) *Process {
	t.Helper()
	name := opts.Name
	if name == "" {
		name = filepath.Base(opts.Path)
	}
	cmd := exec.Command(opts.Path, opts.Args...)
	cmd.Dir = opts.Dir
	if len(opts.Env) > 0 {
		cmd.Env = append(os.Environ(), opts.Env...)
	}
	p := &Process{name: name, cmd: cmd, stdout: newOutput(), stderr: newOutput(), done: make(chan struct{})}
	cmd.Stdout = p.stdout
	cmd.Stderr = p.stderr
	cmd.SysProcAttr = sysProcAttr()
	// If something the process started keeps its stdout open, do not wait
	// for it forever once the process itself is gone.
	cmd.WaitDelay = 2 * time.Second
	if opts.Stdin {
		w, err := cmd.StdinPipe()
		if err != nil {
			t.Fatalf("starting %s: %v", name, err)
		}
		p.stdin = w
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("%s (pid %d, %s)\n--- stdout:\n%s\n--- stderr:\n%s", name, p.Pid(), p.ExitStatus(),
				p.stdout.tail(logLines), p.stderr.tail(logLines))
		}
	})
	return p
}

// Name is the process's name in messages.
func (p *Process) Name() string { return p.name }

// Pid is the process id, which is also its process group id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stdout is everything the process wrote to stdout so far.
func (p *Process) Stdout() string { return p.stdout.String() }

// Stderr is everything the process wrote to stderr so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// Tail is the end of the process's stderr (or of its stdout when stderr is
// empty), for error messages.
func (p *Process) Tail() string {
	if s := p.stderr.tail(tailLines); s != "" {
		return s
	}
	if s := p.stdout.tail(tailLines); s != "" {
		return "(stderr empty; stdout:)\n" + s
	}
	return "(no output)"
}

// Exited is closed once the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.done }

// ExitStatus describes how the process ended ("running" while it runs).
func (p *Process) ExitStatus() string {
	select {
	case <-p.done:
		if p.err == nil {
			return "exit status 0"
		}
		return p.err.Error()
	default:
		return "running"
	}
}

// Wait waits up to timeout for the process to exit and returns nil when it
// exited with status 0. Otherwise the error wraps the exit error (an
// *exec.ExitError) and carries the end of the process's output. A process
// still running at the timeout is killed, and the error says so.
func (p *Process) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("%s: %w: %s", p.name, p.err, p.Tail())
		}
		return nil
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("%s did not exit within %s and was killed: %s", p.name, timeout, p.Tail())
	}
}

// Kill kills the process and everything in its process group with SIGKILL,
// and waits for it to be reaped. It may be called any number of times.
func (p *Process) Kill() {
	// The group id stays valid while any member lives, even once the leader
	// has been reaped, so this reaches only processes this test started.
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// Signal sends sig to the process alone (not its group), for tests of how a
// program shuts down.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Send writes line and a newline to the process's stdin (Options.Stdin).
func (p *Process) Send(line string) error {
	if p.stdin == nil {
		return fmt.Errorf("%s was started without Options.Stdin", p.name)
	}
	_, err := io.WriteString(p.stdin, line+"\n")
	return err
}

// WaitLine waits up to timeout for a stdout line that starts with prefix, and
// returns it. Lines are consumed: the next WaitLine looks only at the lines
// after the one returned. It fails early when the process exits first.
func (p *Process) WaitLine(prefix string, timeout time.Duration) (string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	exited := false
	for {
		p.mu.Lock()
		lines, changed := p.stdout.linesFrom(p.next)
		for i, line := range lines {
			if strings.HasPrefix(line, prefix) {
				p.next += i + 1
				p.mu.Unlock()
				return line, nil
			}
		}
		p.mu.Unlock()
		if exited {
			return "", fmt.Errorf("%s exited (%s) before printing a line starting with %q: %s",
				p.name, p.ExitStatus(), prefix, p.Tail())
		}
		select {
		case <-changed:
		case <-p.done:
			// All output is in once the process has been reaped: look once more.
			exited = true
		case <-deadline.C:
			return "", fmt.Errorf("%s did not print a line starting with %q within %s: %s",
				p.name, prefix, timeout, p.Tail())
		}
	}
}

// WaitPort waits up to timeout for the process to accept TCP connections on
// 127.0.0.1:port. It fails early when the process exits first.
func (p *Process) WaitPort(port int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	go func() {
		select {
		case <-p.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := PollTCP(ctx, "127.0.0.1:"+strconv.Itoa(port))
	select {
	case <-p.done:
		return fmt.Errorf("%s exited (%s) before listening on port %d: %s", p.name, p.ExitStatus(), port, p.Tail())
	default:
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s did not become ready on port %d within %s: %s", p.name, port, timeout, p.Tail())
	}
	return err
}
