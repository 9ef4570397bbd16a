//go:build unix

package trustlist

import (
	"os"
	"syscall"
)

// openNoWait opens path for reading without waiting: a named pipe opens at
// once even with no writer (a plain open would block until one comes),
// and a terminal does not become the process's controlling terminal. The
// caller refuses both after an fstat.
func openNoWait(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
}
