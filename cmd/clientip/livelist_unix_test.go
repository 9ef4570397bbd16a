//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestServeTrustedFileDevZero: a --trusted-file replaced by a symbolic
// link to /dev/zero is refused before a byte is read; serve grew to 23 GB
// reading it before.
func TestServeTrustedFileDevZero(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trusted.txt")
	writeAtomically(t, path, listA)
	var log syncBuffer
	s := startOneServe(t, &log, "--trusted-file", path, "--refresh", "5ms")
	link := path + ".link"
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	replaceAndRefuse(t, &log, link, path, "not a regular file but a character device")
	if w := s.ask(t, viaList); w.IP != "203.0.113.7" {
		t.Errorf("after /dev/zero: %+v", w)
	}
}

// TestServeTrustedFileFIFO: a --trusted-file replaced by a named pipe is
// refused at once; before, the refresh blocked in open(2) for good and
// serve then ignored SIGTERM. serve is stopped after the refusal, with the
// pipe still in place, and must return.
func TestServeTrustedFileFIFO(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "trusted.txt")
	writeAtomically(t, path, listA)
	var log syncBuffer
	s := startOneServe(t, &log, "--trusted-file", path, "--refresh", "5ms")
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(fifo, path); err != nil {
		t.Fatal(err)
	}
	waitLogged(t, &log, "not a regular file but a named pipe", 2)
	if w := s.ask(t, viaList); w.IP != "203.0.113.7" {
		t.Errorf("after the FIFO: %+v", w)
	}
	s.stop(t)
}
