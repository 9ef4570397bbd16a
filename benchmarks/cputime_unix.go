//go:build unix

package benchmarks

import (
	"time"

	"golang.org/x/sys/unix"
)

// processCPU is the CPU time every thread of this process has run
// (CLOCK_PROCESS_CPUTIME_ID), the garbage collector's included; false
// where the clock cannot be read.
func processCPU() (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
