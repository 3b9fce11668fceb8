//go:build unix && !linux

package testutil

import "syscall"

// sysProcAttr puts the child in its own process group, so that Kill reaches
// whatever it starts in turn.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
