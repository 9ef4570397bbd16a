package core

import "fmt"

// Reason says why Resolve chose the address it returned. Strict deployments
// act on it: rejecting ReasonBroken requests, or counting ReasonPeerUntrusted
// requests that carried a forwarding header they were not entitled to send
// (Result.HeaderIgnored).
type Reason uint8

const (
	// ReasonUnset is the zero Reason: no decision was made. Resolve never
	// returns it.
	ReasonUnset Reason = iota
	// ReasonPeerUntrusted: the socket peer is not a trusted proxy, so it is
	// the client and every header is ignored.
	ReasonPeerUntrusted
	// ReasonNoPeer: the peer is a Unix socket (not trusted) or could not be
	// parsed. There is no client address.
	ReasonNoPeer
	// ReasonNoHeader: no header is configured, or the trusted peer sent none
	// (or only empty elements). The peer is the client.
	ReasonNoHeader
	// ReasonHeader: the address came from the header, after every hop to its
	// right was verified.
	ReasonHeader
	// ReasonAllTrusted: every hop in the header is a trusted proxy; the
	// leftmost one is the best answer there is.
	ReasonAllTrusted
	// ReasonBroken: the header could not be read all the way to a client.
	// The answer is the last address that was verified.
	ReasonBroken
)

// String returns the kebab-case name used in logs, JSON and the contract,
// or "" for ReasonUnset.
func (r Reason) String() string {
	switch r {
	case ReasonUnset:
		return ""
	case ReasonPeerUntrusted:
		return "peer-untrusted"
	case ReasonNoPeer:
		return "no-peer"
	case ReasonNoHeader:
		return "no-header"
	case ReasonHeader:
		return "header"
	case ReasonAllTrusted:
		return "all-trusted"
	case ReasonBroken:
		return "broken"
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// MarshalText implements encoding.TextMarshaler with the kebab-case name;
// ReasonUnset is the empty text.
func (r Reason) MarshalText() ([]byte, error) {
	if r > ReasonBroken {
		return nil, fmt.Errorf("core: cannot marshal %v", r)
	}
	return []byte(r.String()), nil
}
