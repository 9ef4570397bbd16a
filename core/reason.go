package core

import "fmt"

// Reason says why Resolve chose the address it returned. Strict deployments
// act on it: rejecting Broken requests, or logging PeerUntrusted requests
// that carried a forwarding header they were not entitled to send.
type Reason uint8

const (
	// ReasonUnset is the zero Reason; Resolve never returns it.
	ReasonUnset Reason = iota
	// PeerUntrusted: the socket peer is not a trusted proxy, so it is the
	// client and every header is ignored.
	PeerUntrusted
	// NoPeer: the peer is a Unix socket (not trusted) or could not be
	// parsed. There is no client address.
	NoPeer
	// NoHeader: no header is configured, or the trusted peer sent none (or
	// only empty elements). The peer is the client.
	NoHeader
	// Header: the address came from the header, after every hop to its
	// right was verified.
	Header
	// AllTrusted: every hop in the header is a trusted proxy; the leftmost
	// one is the best answer there is.
	AllTrusted
	// Broken: the header could not be read all the way to a client. The
	// answer is the last address that was verified.
	Broken
)

var reasonNames = [...]string{
	ReasonUnset:   "",
	PeerUntrusted: "peer-untrusted",
	NoPeer:        "no-peer",
	NoHeader:      "no-header",
	Header:        "header",
	AllTrusted:    "all-trusted",
	Broken:        "broken",
}

// String returns the kebab-case name used in logs, JSON and the contract.
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// MarshalText implements encoding.TextMarshaler with the kebab-case name.
func (r Reason) MarshalText() ([]byte, error) {
	if r == ReasonUnset || int(r) >= len(reasonNames) {
		return nil, fmt.Errorf("core: cannot marshal %v", r)
	}
	return []byte(r.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler for the kebab-case name.
func (r *Reason) UnmarshalText(b []byte) error {
	for i, n := range reasonNames {
		if i != 0 && n == string(b) {
			*r = Reason(i)
			return nil
		}
	}
	return fmt.Errorf("core: unknown reason %q", b)
}
