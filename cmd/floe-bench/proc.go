package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is a child the bench started: a router, the relay or the backend.
// Its output is kept (the last lines) for error messages; stop kills its
// whole process group.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}

	mu    sync.Mutex
	lines []string      // the last maxLines lines of stdout and stderr
	seen  chan struct{} // closed and replaced when a line arrives
}

const maxLines = 50

// startProcess starts path with args in its own process group; on Linux
// the kernel kills it if the bench dies.
func startProcess(name, path string, args ...string) (*process, error) {
	p := &process{name: name, cmd: exec.Command(path, args...), done: make(chan struct{}), seen: make(chan struct{})}
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go p.collect(pr)
	go func() {
		_ = p.cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) collect(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		if len(p.lines) > 2*maxLines {
			p.lines = append(p.lines[:0], p.lines[len(p.lines)-maxLines:]...)
		}
		close(p.seen)
		p.seen = make(chan struct{})
		p.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, r)
}

// pid is the process id, which is also its process group id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// tail is the end of the process's output, for error messages.
func (p *process) tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.lines
	if len(l) > 15 {
		l = l[len(l)-15:]
	}
	if len(l) == 0 {
		return "(no output)"
	}
	return strings.Join(l, "\n")
}

// waitLine waits for an output line starting with prefix and returns it.
// Lines seen by an earlier waitLine count too, so the order of several
// waits does not matter.
func (p *process) waitLine(prefix string, timeout time.Duration) (string, error) {
	deadline := time.After(timeout)
	for {
		p.mu.Lock()
		for _, l := range p.lines {
			if strings.HasPrefix(l, prefix) {
				p.mu.Unlock()
				return l, nil
			}
		}
		seen := p.seen
		p.mu.Unlock()
		select {
		case <-seen:
		case <-p.done:
			time.Sleep(50 * time.Millisecond) // the last lines may still be in the pipe
			p.mu.Lock()
			for _, l := range p.lines {
				if strings.HasPrefix(l, prefix) {
					p.mu.Unlock()
					return l, nil
				}
			}
			p.mu.Unlock()
			return "", fmt.Errorf("%s exited (%v) before printing %q:\n%s", p.name, p.cmd.ProcessState, prefix, p.tail())
		case <-deadline:
			return "", fmt.Errorf("%s did not print %q within %s:\n%s", p.name, prefix, timeout, p.tail())
		}
	}
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process group: SIGTERM, then SIGKILL if it is still there
// after a grace period.
func (p *process) stop() {
	if p == nil {
		return
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
		<-p.done
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL) // anything it left in its group
}

// usage is a process's CPU time and resident memory, from /proc.
type usage struct {
	cpu   time.Duration // utime + stime of all its threads
	rssKB int64         // VmRSS
}

// userHZ is the unit of the times in /proc/PID/stat (USER_HZ, 100 on every
// Linux architecture Go supports).
const userHZ = 100

// readUsage reads /proc/PID/stat and /proc/PID/status.
func readUsage(pid int) (usage, error) {
	var u usage
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return u, err
	}
	// The command name (field 2) may contain spaces: count from the ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return u, errors.New("unexpected /proc/PID/stat format")
	}
	f := strings.Fields(string(stat[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return u, errors.New("short /proc/PID/stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return u, err
	}
	u.cpu = time.Duration(ut+st) * time.Second / userHZ
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return u, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			u.rssKB, _ = strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return u, nil
}

// loadAverage is the 1-minute load average from /proc/loadavg (-1 when
// unreadable).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// raiseFileLimit lifts the limit on open files as far as it goes: the soft
// limit to the hard one, and both to fs.nr_open where the bench may (as
// root). It is an explicit setrlimit, so the processes the bench starts
// (routers, relay, backend) inherit the raised limit: Go restores the
// original soft limit in children only when the runtime raised it on its
// own. It returns the limit now in force.
func raiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if b, err := os.ReadFile("/proc/sys/fs/nr_open"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && n > l.Max {
			if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n}) == nil {
				return n, nil
			}
		}
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	return l.Cur, nil
}

// others is the CPU time of what shares the machine with the measured
// router: the process making the load, the backend, and every CPU's busy
// time (other tenants' included). Where the CPUs are all busy, their sum
// per request is what sets the requests per second, not the router's share
// alone.
type others struct {
	client, backend time.Duration
	busy, total     time.Duration // all CPUs, from /proc/stat
}

// readOthers samples others; clientPID 0 is this process (the Go load
// generator). What cannot be read stays zero.
func readOthers(e *env, clientPID int) others {
	var o others
	if clientPID == 0 {
		clientPID = os.Getpid()
	}
	if u, err := readUsage(clientPID); err == nil {
		o.client = u.cpu
	}
	if e.backendPID != 0 {
		if u, err := readUsage(e.backendPID); err == nil {
			o.backend = u.cpu
		}
	}
	o.busy, o.total, _ = readMachineCPU()
	return o
}

func (o others) sub(before others) others {
	return others{client: o.client - before.client, backend: o.backend - before.backend,
		busy: o.busy - before.busy, total: o.total - before.total}
}

// readMachineCPU reads the busy and total time of all CPUs from the first
// line of /proc/stat (user nice system idle iowait irq softirq steal ...;
// guest time is already in user).
func readMachineCPU() (busy, total time.Duration, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	return parseMachineCPU(b)
}

func parseMachineCPU(stat []byte) (busy, total time.Duration, err error) {
	line, _, _ := strings.Cut(string(stat), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, errors.New("unexpected /proc/stat format")
	}
	var v [8]int64
	for i := range v {
		if v[i], err = strconv.ParseInt(f[i+1], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
	}
	idle := v[3] + v[4]
	all := v[0] + v[1] + v[2] + v[5] + v[6] + v[7] + idle
	return time.Duration(all-idle) * time.Second / userHZ, time.Duration(all) * time.Second / userHZ, nil
}
