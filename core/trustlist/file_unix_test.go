//go:build unix

package trustlist

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFileDevZero: a list replaced by a symbolic link to /dev/zero, which
// never ends, is refused before it is read.
func TestFileDevZero(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	if err := os.Symlink("/dev/zero", path); err != nil {
		t.Fatal(err)
	}
	var err error
	grew := allocatedBy(func() { _, err = File(path).Load(context.Background()) })
	if err == nil || !strings.Contains(err.Error(), "not a regular file but a character device") {
		t.Errorf("/dev/zero: %v", err)
	}
	if grew > 1<<20 {
		t.Errorf("refusing /dev/zero allocated %d bytes", grew)
	}
}

// TestFileFIFO: a named pipe is refused at once, with no writer (where a
// plain open would wait for one) and with a writer that never writes
// (where a read would wait).
func TestFileFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	// No timeout of the source's own: only the FIFO check can end these
	// loads, and the test's deadline catches one that hangs.
	src := File(path, WithTimeout(time.Hour))
	if _, err := src.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "not a regular file but a named pipe") {
		t.Errorf("FIFO without a writer: %v", err)
	}
	w, err := os.OpenFile(path, os.O_RDWR, 0) // a writer (and reader) that never writes
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := src.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("FIFO with a silent writer: %v", err)
	}
}
