package netconn

import (
	"errors"
	"fmt"
)

var (
	errNoSocket = fmt.Errorf("no socket descriptor to query: %w", errors.ErrUnsupported)
	errNotIP    = errors.New("not an IP socket")
)

// RejectedError is returned by Read on a connection from an untrusted peer
// that began with a PROXY protocol signature. The connection is closed.
type RejectedError struct {
	Reason Reason
}

// Error names the reason.
func (e *RejectedError) Error() string { return "netconn: connection rejected: " + e.Reason.String() }
