//go:build unix

package otelmw_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used, user and system,
// every thread (the garbage collector's too), and whether it could be
// read. On a loaded machine it varies far less than the wall clock, since
// time spent waiting for a CPU is not counted.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
