package host

import (
	"os/exec"
	"syscall"
)

// setPdeathsig has Linux kill the plugin if floe dies without stopping it
// (SIGKILL, a crash), so no plugin outlives its router.
func setPdeathsig(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
