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

// reasonNames are the reasons' kebab-case names, the one list String,
// MarshalText and UnmarshalText read.
var reasonNames = [...]string{
	ReasonUnset:         "",
	ReasonPeerUntrusted: "peer-untrusted",
	ReasonNoPeer:        "no-peer",
	ReasonNoHeader:      "no-header",
	ReasonHeader:        "header",
	ReasonAllTrusted:    "all-trusted",
	ReasonBroken:        "broken",
}

// String returns the kebab-case name used in logs, JSON and the contract,
// or "" for ReasonUnset.
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// MarshalText implements encoding.TextMarshaler with the kebab-case name;
// ReasonUnset is the empty text.
func (r Reason) MarshalText() ([]byte, error) {
	if int(r) >= len(reasonNames) {
		return nil, fmt.Errorf("core: cannot marshal %v", r)
	}
	return []byte(r.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler for String's form, so
// that a Result read back from JSON or a log keeps its Reason.
func (r *Reason) UnmarshalText(b []byte) error {
	for i, name := range reasonNames {
		if string(b) == name {
			*r = Reason(i)
			return nil
		}
	}
	return fmt.Errorf("core: unknown reason %q", b)
}
