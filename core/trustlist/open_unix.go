//go:build unix

package trustlist

import (
	"os"
	"syscall"
)

// openNoWait opens path for reading without waiting: a named pipe opens at
// once even with no writer (a plain open would block until one comes),
// and a terminal does not become the process's controlling terminal. The
// caller refuses both after an fstat, and calls blocking on a regular
// file.
func openNoWait(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
}

// blocking clears the O_NONBLOCK that openNoWait set, so that a regular
// file is read as any file is (most file systems ignore the flag on one;
// a FUSE file system may not).
func blocking(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var setErr error
	if err := rc.Control(func(fd uintptr) { setErr = syscall.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return setErr
}
