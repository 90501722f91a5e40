//go:build unix

package external

import (
	"os/exec"
	"syscall"
)

// setProcessGroup starts the tool in its own process group and kills the
// whole group when the run is cancelled, so children a tool starts (ESLint
// workers, semgrep-core) do not outlive it.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
