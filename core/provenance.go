package core

import "fmt"

// Provenance says how a peer's address reached the program, and so how far
// it may be believed. The address of a socket the kernel accepted is a fact;
// the address a load balancer wrote in a PROXY header is as good as that
// load balancer; an address a transport has not yet validated, or text an
// earlier middleware could have written, is a claim.
//
// Resolve reads it before anything else. A peer that is not a fact never
// vouches for a header, so a client cannot reach the trusted-proxy rules
// through a peer it could have named itself.
type Provenance uint8

const (
	// ProvenanceUnattested is an address that nothing vouches for: the
	// text of http.Request.RemoteAddr without a record of the connection
	// (an earlier middleware, chi's RealIP or gorilla's ProxyHeaders, may
	// have written a client's header there), or gRPC's peer address
	// without the package's transport credentials. It is never the
	// answer: Resolve reports ReasonNoPeer, with the peer kept in the
	// Result for diagnosis. It is the zero value, so a Peer whose origin
	// nobody stated is never believed.
	ProvenanceUnattested Provenance = iota
	// ProvenanceSocket is the peer of a socket the kernel accepted
	// (getpeername, or a datagram's source read over its own IP version),
	// or an address the program itself vouches for, such as one an
	// operator typed.
	ProvenanceSocket
	// ProvenanceProxy is the client a trusted load balancer named in a
	// PROXY protocol header.
	ProvenanceProxy
	// ProvenanceNoClient is a load balancer whose PROXY protocol header
	// named no client (version 1 UNKNOWN, version 2 LOCAL, or family
	// UNSPEC or UNIX). The bytes that follow were written by whoever is
	// behind it, so its headers are never believed, even where its address
	// is a trusted proxy: the answer is its address, ReasonPeerUntrusted.
	ProvenanceNoClient
	// ProvenanceUnvalidated is a source address the transport has not
	// validated yet: a QUIC connection's, until its handshake completes
	// (0-RTT requests arrive before it does, from a source that need not
	// receive anything). Its headers are never believed; the answer is
	// its address, ReasonPeerUntrusted.
	ProvenanceUnvalidated
	numProvenances
)

var provenanceNames = [numProvenances]string{
	ProvenanceUnattested:  "unattested",
	ProvenanceSocket:      "socket",
	ProvenanceProxy:       "proxy-protocol",
	ProvenanceNoClient:    "proxy-no-client",
	ProvenanceUnvalidated: "unvalidated",
}

// String returns the provenance's kebab-case name: "socket",
// "proxy-protocol", "proxy-no-client", "unvalidated" or "unattested".
func (pv Provenance) String() string {
	if pv < numProvenances {
		return provenanceNames[pv]
	}
	return fmt.Sprintf("Provenance(%d)", uint8(pv))
}

// MarshalText implements encoding.TextMarshaler with String's form.
func (pv Provenance) MarshalText() ([]byte, error) {
	if pv >= numProvenances {
		return nil, fmt.Errorf("core: invalid Provenance %d", uint8(pv))
	}
	return []byte(pv.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler for String's form.
func (pv *Provenance) UnmarshalText(b []byte) error {
	for i, name := range provenanceNames {
		if string(b) == name {
			*pv = Provenance(i)
			return nil
		}
	}
	return fmt.Errorf("core: unknown provenance %q", b)
}

// vouches reports whether a peer of this provenance may send headers that
// are believed, when its address is trusted.
func (pv Provenance) vouches() bool {
	return pv == ProvenanceSocket || pv == ProvenanceProxy
}
