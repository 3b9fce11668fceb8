package testutil

import "syscall"

// sysProcAttr puts the child in its own process group, so that Kill reaches
// whatever it starts in turn, and has the kernel kill it when the test binary
// dies (a test timeout panics without running cleanups). The kernel ties
// Pdeathsig to the OS thread that started the child, which Go keeps alive
// unless a goroutine locked to it exits.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
