//go:build !unix

package netconn

import (
	"errors"
	"fmt"
	"syscall"
)

// querySocket has no portable way to ask for the socket's addresses here;
// socketInfo falls back to the addresses the runtime recorded at accept,
// which it took from the same system calls.
func querySocket(syscall.RawConn, *ConnInfo) error {
	return fmt.Errorf("socket query: %w", errors.ErrUnsupported)
}
