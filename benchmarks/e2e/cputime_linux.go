//go:build linux

package e2e

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// processCPU returns the CPU time every thread of process pid has run,
// from /proc/PID/task/*/schedstat, whose first field is nanoseconds on a
// CPU: finer than the clock ticks of /proc/PID/stat.
func processCPU(pid int) (time.Duration, bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, false
	}
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if err != nil {
			continue // the thread has exited
		}
		f, _, _ := strings.Cut(string(b), " ")
		ns, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, false
		}
		total += time.Duration(ns)
	}
	return total, true
}
