//go:build !linux

package integration

import "syscall"

// sysProcAttr: only Linux can tie a child's life to ours; elsewhere
// TestMain's cleanup and the tests' own t.Cleanup have to do.
func sysProcAttr() *syscall.SysProcAttr { return nil }
