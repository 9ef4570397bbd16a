//go:build linux

package integration

import "syscall"

// sysProcAttr has the kernel kill a child when the test binary dies in a
// way it cannot clean up after (a panic, SIGKILL), so that no proxy
// outlives the tests.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
