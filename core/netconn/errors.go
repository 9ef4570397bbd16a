package netconn

import (
	"errors"
	"fmt"
)

var (
	errNoSocket = fmt.Errorf("no socket descriptor to query: %w", errors.ErrUnsupported)
	errNotIP    = errors.New("not an IP socket")
)

// RejectedError reports that a Listener closed a connection after Accept
// had handed it over: Read returns one when an untrusted peer's first
// bytes are a PROXY protocol signature. Its Outcome says why, as the kind
// of a proxyproto.Error does.
//
// Its field is unexported so that the errors are preallocated values, one
// per outcome that can reach Read: a hostile client costs no garbage.
// Branch on errors.Is with ErrUntrustedHeader, or on Outcome.
type RejectedError struct {
	outcome Outcome
}

// ErrUntrustedHeader is what Read returns, and keeps returning, once it
// has closed a connection whose peer, outside the trusted set, began
// with a PROXY header (RejectedUntrustedHeader).
var ErrUntrustedHeader = &RejectedError{outcome: RejectedUntrustedHeader}

// Outcome returns why the connection was closed.
func (e *RejectedError) Outcome() Outcome { return e.outcome }

// Error names the outcome.
func (e *RejectedError) Error() string { return "netconn: connection rejected: " + e.outcome.String() }
