//go:build !unix

package trustlist

import "os"

// openNoWait opens path for reading. Outside Unix, opening a file does not
// wait for a writer.
func openNoWait(path string) (*os.File, error) {
	return os.Open(path)
}

// blocking does nothing: openNoWait opened f in blocking mode.
func blocking(*os.File) error { return nil }
