package testutil

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func sh(t *testing.T, script string, stdin bool) *Process {
	t.Helper()
	return Start(t, Options{Name: "sh", Path: "/bin/sh", Args: []string{"-c", script}, Stdin: stdin})
}

func TestWaitLineConsumesLines(t *testing.T) {
	p := sh(t, "echo one; echo READY a; echo READY b; sleep 30", false)
	for _, want := range []string{"READY a", "READY b"} {
		got, err := p.WaitLine("READY", 5*time.Second)
		if err != nil || got != want {
			t.Fatalf("WaitLine = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := p.WaitLine("READY", 100*time.Millisecond); err == nil || !strings.Contains(err.Error(), "within") {
		t.Fatalf("third WaitLine: want a timeout error, got %v", err)
	}
}

func TestWaitLineFailsEarlyWhenProcessExits(t *testing.T) {
	p := sh(t, "echo partial; echo 'boom: no config' >&2; exit 3", false)
	start := time.Now()
	_, err := p.WaitLine("READY", 10*time.Second)
	if err == nil {
		t.Fatal("WaitLine succeeded on a process that never printed READY")
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("WaitLine waited %s for a process that had exited", time.Since(start))
	}
	for _, want := range []string{"exit status 3", "boom: no config"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestWaitLineSeesLastLinesOfExitedProcess(t *testing.T) {
	p := sh(t, "echo RESULT 1", false)
	if err := p.Wait(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if got, err := p.WaitLine("RESULT", time.Second); err != nil || got != "RESULT 1" {
		t.Fatalf("WaitLine = %q, %v", got, err)
	}
}

func TestSendAndWait(t *testing.T) {
	p := sh(t, "read x; echo got $x", true)
	if err := p.Send("hello"); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if got := p.Stdout(); got != "got hello\n" {
		t.Fatalf("stdout = %q", got)
	}
}

func TestWaitReportsExitStatus(t *testing.T) {
	p := sh(t, "echo 'no such scenario' >&2; exit 2", false)
	err := p.Wait(5 * time.Second)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(err.Error(), "no such scenario") {
		t.Fatalf("Wait = %v; want exit status 2 and the stderr", err)
	}
}

func TestWaitKillsAtTimeout(t *testing.T) {
	p := sh(t, "sleep 30", false)
	if err := p.Wait(100 * time.Millisecond); err == nil {
		t.Fatal("Wait returned nil for a process that did not exit")
	}
	select {
	case <-p.Exited():
	default:
		t.Fatal("process still running after Wait timed out")
	}
}

func TestKillReachesProcessGroup(t *testing.T) {
	// The shell starts a grandchild and reports its pid; Kill must end both.
	p := sh(t, "sleep 30 & echo CHILD $!; wait", false)
	line, err := p.WaitLine("CHILD ", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	child, err := strconv.Atoi(strings.TrimPrefix(line, "CHILD "))
	if err != nil {
		t.Fatal(err)
	}
	p.Kill()
	deadline := time.Now().Add(5 * time.Second)
	for alive(child) {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d survived Kill", child)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid runs: it exists and is not a zombie waiting for
// whichever process inherited it to reap it.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no procfs: trust kill(2)
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) == 0 || fields[0] != "Z"
}

func TestWaitPort(t *testing.T) {
	port := FreePort(t)
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := sh(t, "sleep 30", false)
	if err := p.WaitPort(port, 5*time.Second); err != nil {
		t.Fatal(err)
	}

	free := FreePort(t)
	err = p.WaitPort(free, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not become ready on port "+strconv.Itoa(free)) {
		t.Fatalf("WaitPort on a closed port: %v", err)
	}

	q := sh(t, "echo 'cannot bind' >&2; exit 1", false)
	start := time.Now()
	err = q.WaitPort(free, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "cannot bind") || time.Since(start) > 5*time.Second {
		t.Fatalf("WaitPort on an exiting process: %v after %s", err, time.Since(start))
	}
}

func TestRequirePeerSkipsOutsideCI(t *testing.T) {
	t.Setenv("CI", "")
	ran := false
	t.Run("missing", func(t *testing.T) {
		defer func() { ran = true }()
		RequirePeer(t, "frobnicator", os.ErrNotExist)
		t.Error("RequirePeer returned for a missing peer")
	})
	if !ran {
		t.Fatal("subtest did not run")
	}
	RequirePeer(t, "present", nil)
}

func TestInCI(t *testing.T) {
	for v, want := range map[string]bool{"true": true, "1": true, "": false, "false": false, "yes": false} {
		t.Setenv("CI", v)
		if got := InCI(); got != want {
			t.Errorf("CI=%q: InCI() = %v", v, got)
		}
	}
}

func TestCheckCommand(t *testing.T) {
	if err := CheckCommand("/bin/sh", "-c", "exit 0"); err != nil {
		t.Fatal(err)
	}
	err := CheckCommand("/bin/sh", "-c", "echo no module named Ice >&2; exit 1")
	if err == nil || !strings.Contains(err.Error(), "no module named Ice") {
		t.Fatalf("CheckCommand = %v", err)
	}
}

func TestTreeFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.go", "sub/b.go", ".git/HEAD", "bin/floe", "sub/bin/c"} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := treeFiles(dir, []string{"bin"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.go"), filepath.Join(dir, "sub/b.go")}
	if !slices.Equal(files, want) {
		t.Errorf("treeFiles = %q; want %q", files, want)
	}
	if err := DependOnTree(filepath.Join(dir, "missing")); err == nil {
		t.Error("DependOnTree on a missing directory: no error")
	}
}

func TestFreePortsDiffer(t *testing.T) {
	for range 20 {
		seen := map[int]bool{}
		for _, p := range FreePorts(t, 4) {
			if seen[p] {
				t.Fatalf("port %d twice", p)
			}
			seen[p] = true
		}
	}
}
