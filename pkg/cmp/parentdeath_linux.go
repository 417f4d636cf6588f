package cmp

import (
	"os/exec"
	"syscall"
)

// endWithParent makes the runner end when capstan-apiserver ends, also when
// it is killed (SIGKILL runs no cleanup): the next server starts runners of
// its own, and orphans would hold their sockets and memory.
func endWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
