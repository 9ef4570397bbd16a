package netconn

import "net/netip"

// Outcome says how a Listener settled a connection, how it was accepted
// or why it was closed, for Stats to count and WithRejectHook to report.
//
// It is not core.Reason, which says why the resolver chose a request's
// address; an Outcome is decided once per connection, before any request
// is read from it.
type Outcome uint8

const (
	// AcceptedWithHeader: a trusted peer sent a valid PROXY header.
	AcceptedWithHeader Outcome = iota
	// AcceptedTrustedNoHeader: a trusted peer sent none and the header is
	// optional.
	AcceptedTrustedNoHeader
	// AcceptedUntrusted: the peer is not a trusted load balancer; its
	// socket address is the client.
	AcceptedUntrusted

	// RejectedUntrustedHeader: a peer outside the trusted set sent a PROXY
	// header, claiming to be a load balancer. An untrusted peer's first
	// bytes are read on the application's first Read, after Accept has
	// handed the connection over, so such a connection is also counted as
	// AcceptedUntrusted: counters only ever grow, as metrics expect.
	RejectedUntrustedHeader
	// RejectedMissingHeader: a trusted peer sent no header and one is
	// required.
	RejectedMissingHeader
	// RejectedMalformed: the header does not follow the spec.
	RejectedMalformed
	// RejectedUnsupported: a version, command or family the decoder does
	// not support.
	RejectedUnsupported
	// RejectedTooLong: a v1 header without CRLF within 107 bytes.
	RejectedTooLong
	// RejectedChecksum: the header's CRC32C does not match.
	RejectedChecksum
	// RejectedTimeout: the header did not arrive within the header timeout.
	RejectedTimeout
	// RejectedClosed: the peer closed the connection, or reading failed,
	// before the header was complete.
	RejectedClosed

	outcomeCount
)

var outcomeNames = [...]string{
	AcceptedWithHeader:      "accepted-with-header",
	AcceptedTrustedNoHeader: "accepted-trusted-no-header",
	AcceptedUntrusted:       "accepted-untrusted",
	RejectedUntrustedHeader: "rejected-untrusted-header",
	RejectedMissingHeader:   "rejected-missing-header",
	RejectedMalformed:       "rejected-malformed",
	RejectedUnsupported:     "rejected-unsupported",
	RejectedTooLong:         "rejected-too-long",
	RejectedChecksum:        "rejected-checksum",
	RejectedTimeout:         "rejected-timeout",
	RejectedClosed:          "rejected-closed",
}

// String returns the kebab-case name, as used in metrics and logs.
func (o Outcome) String() string {
	if o < outcomeCount {
		return outcomeNames[o]
	}
	return "unknown"
}

// Rejected reports whether the outcome closes the connection.
func (o Outcome) Rejected() bool { return o >= RejectedUntrustedHeader && o < outcomeCount }

// Rejection describes a connection a Listener closed, for the hook that
// WithRejectHook sets.
type Rejection struct {
	Outcome Outcome
	Peer    netip.AddrPort // the socket peer; invalid for a Unix socket
	Err     error          // what was wrong, when more is known than Outcome
}
