package trustlist

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// File returns a source that reads the list at path.
//
// A file being rewritten in place can be read half written, and half a
// list may well parse, so each load reads the file twice and needs the
// same bytes both times; replace the file whole (write a new one, then
// rename it over the old) to change it. The second read is compared as it
// goes, so a load holds one copy of the list.
func File(path string, opts ...Option) *Source {
	return newSource("file "+path, newOptions(opts), func(_ context.Context, limit int64) ([]byte, error) {
		return readFileTwice(path, limit)
	})
}

// readFileTwice reads path, a regular file of at most limit bytes, and
// checks that a second read gives the same bytes.
func readFileTwice(path string, limit int64) ([]byte, error) {
	data, err := readRegular(path, limit, nil)
	if err != nil {
		return nil, err
	}
	if _, err := readRegular(path, limit, data); err != nil {
		return nil, err
	}
	return data, nil
}

// errChanged says that the second read of a file differed from the first.
var errChanged = errors.New("the file changed while it was read; it is read again at the next load (replace it whole, by renaming a new file over it)")

// readRegular reads path, refusing anything but a regular file of at most
// limit bytes. With want set it reads to compare with want, in chunks, and
// returns errChanged at the first difference.
func readRegular(path string, limit int64, want []byte) ([]byte, error) {
	// Refuse what is plainly not a list before opening it: opening some
	// devices does something. The descriptor is checked again below, as
	// the path may change in between.
	if fi, err := os.Stat(path); err != nil {
		return nil, err
	} else if err := checkRegular(fi, limit); err != nil {
		return nil, err
	}
	f, err := openNoWait(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkRegular(fi, limit); err != nil {
		return nil, err
	}
	if err := blocking(f); err != nil {
		return nil, err
	}
	// A file that grows or shrinks after the stat is changing: at most
	// one byte more than the stat gave is read, into a buffer of that
	// size, so memory never follows what the file holds.
	if want != nil {
		if fi.Size() != int64(len(want)) {
			return nil, errChanged
		}
		return nil, compareReader(io.LimitReader(f, fi.Size()+1), want)
	}
	data := make([]byte, fi.Size()+1)
	n, err := io.ReadFull(f, data)
	switch {
	case err == nil: // one byte more than the stat gave
		return nil, errChanged
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		if int64(n) != fi.Size() {
			return nil, errChanged
		}
	default:
		return nil, err
	}
	return data[:n], nil
}

// compareReader reads r to its end and reports errChanged unless it holds
// exactly want.
func compareReader(r io.Reader, want []byte) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > len(want) || !bytes.Equal(buf[:n], want[:n]) {
			return errChanged
		}
		want = want[n:]
		if errors.Is(err, io.EOF) {
			if len(want) > 0 {
				return errChanged
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// checkRegular refuses a file that is not a regular file of at most limit
// bytes.
func checkRegular(fi fs.FileInfo, limit int64) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("not a regular file but %s; a trust list is read only from a regular file", kindOf(fi.Mode()))
	}
	if fi.Size() > limit {
		return fmt.Errorf("the file is %d bytes, longer than the %d bytes that are read; no provider's list is near that size", fi.Size(), limit)
	}
	return nil
}

// kindOf names a file's type for an error.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO), whose read waits for a writer"
	case m&fs.ModeCharDevice != 0:
		return "a character device (such as /dev/zero, which never ends)"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}
