package netconn

import (
	"net/netip"
	"sync/atomic"
)

// Reason says why a connection was accepted or closed; Stats counts them.
type Reason uint8

const (
	// AcceptedWithHeader: a trusted peer sent a valid PROXY header.
	AcceptedWithHeader Reason = iota
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

	reasonCount
)

// String returns the kebab-case name, as used in metrics.
func (r Reason) String() string {
	switch r {
	case AcceptedWithHeader:
		return "accepted-with-header"
	case AcceptedTrustedNoHeader:
		return "accepted-trusted-no-header"
	case AcceptedUntrusted:
		return "accepted-untrusted"
	case RejectedUntrustedHeader:
		return "rejected-untrusted-header"
	case RejectedMissingHeader:
		return "rejected-missing-header"
	case RejectedMalformed:
		return "rejected-malformed"
	case RejectedUnsupported:
		return "rejected-unsupported"
	case RejectedTooLong:
		return "rejected-too-long"
	case RejectedChecksum:
		return "rejected-checksum"
	case RejectedTimeout:
		return "rejected-timeout"
	case RejectedClosed:
		return "rejected-closed"
	}
	return "unknown"
}

// Rejection is a connection a Listener closed, as WithRejectHook reports
// it.
type Rejection struct {
	Reason Reason
	Peer   netip.AddrPort // the socket peer; invalid for a Unix socket
	Err    error          // what was wrong, when more is known than Reason
}

// Rejected reports whether the reason closes the connection.
func (r Reason) Rejected() bool { return r >= RejectedUntrustedHeader && r < reasonCount }

// Stats is a snapshot of a Listener's counters: how many connections were
// accepted and rejected, by reason. Read it with Listener.Stats, for
// example to export as metrics.
type Stats struct {
	ByReason [reasonCount]uint64
}

// Count returns the counter for one reason.
func (s Stats) Count(r Reason) uint64 {
	if r < reasonCount {
		return s.ByReason[r]
	}
	return 0
}

// Accepted returns the number of connections handed to the application.
func (s Stats) Accepted() uint64 {
	return s.ByReason[AcceptedWithHeader] + s.ByReason[AcceptedTrustedNoHeader] + s.ByReason[AcceptedUntrusted]
}

// Rejected returns the number of connections closed by the listener.
func (s Stats) Rejected() uint64 {
	var n uint64
	for r := RejectedUntrustedHeader; r < reasonCount; r++ {
		n += s.ByReason[r]
	}
	return n
}

// Map returns the counters keyed by reason name.
func (s Stats) Map() map[string]uint64 {
	m := make(map[string]uint64, reasonCount)
	for r := Reason(0); r < reasonCount; r++ {
		m[r.String()] = s.ByReason[r]
	}
	return m
}

type counters struct {
	n [reasonCount]atomic.Uint64
}

func (c *counters) add(r Reason) { c.n[r].Add(1) }

func (c *counters) sub(r Reason) { c.n[r].Add(^uint64(0)) }

func (c *counters) snapshot() Stats {
	var s Stats
	for i := range c.n {
		s.ByReason[i] = c.n[i].Load()
	}
	return s
}
