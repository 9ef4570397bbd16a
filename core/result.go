package core

import "net/netip"

// Result is the decision for one request. It is a value: returning it costs
// no allocation, and it holds no reference to the request's headers.
type Result struct {
	// Addr is the client address, normalised (unmapped, no zone). It is
	// invalid when there is none: an unknown peer, or a Unix-socket peer
	// that sent no usable header.
	Addr netip.Addr
	// Port is the client's port when HasPort is set: the peer's port, or a
	// port written in the header hop.
	Port    uint16
	HasPort bool
	// Reason says how Addr was chosen.
	Reason Reason
	// Peer is the socket peer the decision started from.
	Peer Peer
	// Header is the canonical name of the header Addr came from, or "" when
	// Addr is the peer's.
	Header string
	// Hop is the position of Addr in that header, counted from the right
	// starting at 1, across all of its lines; 0 when Addr is the peer's.
	Hop int
}

// AddrPort returns Addr with Port, or with port 0 when no port is known.
func (r Result) AddrPort() netip.AddrPort { return netip.AddrPortFrom(r.Addr, r.Port) }

// FromHeader reports whether Addr came from the header rather than the peer.
func (r Result) FromHeader() bool { return r.Hop > 0 }

// IsValid reports whether there is a client address.
func (r Result) IsValid() bool { return r.Addr.IsValid() }

// String returns the client address, or "" when there is none. It is the
// text netip.Addr.String writes. A client's text is kept between its
// requests (see text.go), so String allocates only for an address it has
// not seen lately.
func (r Result) String() string {
	if !r.Addr.IsValid() {
		return ""
	}
	return addrText(r.Addr)
}

// fill dresses what the rules decided as the Result for peer: the chosen
// hop and its position n, or n == 0 for the peer. The rules return these as
// separate values rather than a struct: small enough to stay in registers,
// where a larger struct would be copied through memory at every return. The
// Result is written field by field where the caller wants it, for the same
// reason.
func (r *Resolver) fill(res *Result, p Peer, h hop, n int, reason Reason) {
	res.Reason, res.Peer = reason, p
	switch {
	case n > 0:
		res.Addr, res.Port, res.HasPort = h.addr, h.port, h.hasPort
		res.Header, res.Hop = r.header, n
	case p.kind == peerIP:
		res.Addr, res.Port = p.addr, p.port
		res.HasPort = p.port != 0 // a bare-address peer carried no port
	}
}
