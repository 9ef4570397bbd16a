package proxyproto

import (
	"fmt"
	"net/netip"
)

// Header is a decoded PROXY protocol header, for a listener to learn the
// client a load balancer relayed. It is a value: it holds no
// reference into the bytes it was parsed from, nothing in it can be
// modified through its methods, and two Headers compare equal with == when
// they say the same thing.
//
// Source and Destination are what the load balancer claims. They mean
// something only when the socket peer that sent the header is a load
// balancer the operator trusts, and only when Command is Proxy and Family
// is FamilyINET or FamilyINET6: for Local, and for v1 UNKNOWN (Family
// FamilyUnspec), the socket's own endpoints are the connection's.
type Header struct {
	// Version is 1 for the text format and 2 for the binary one.
	Version int
	// Command is Proxy for a relayed connection (every version 1 header,
	// UNKNOWN included) and Local for one the load balancer opened itself,
	// such as a health check.
	Command Command
	// Family is the address family of the relayed connection: FamilyINET
	// (v1 TCP4), FamilyINET6 (v1 TCP6), FamilyUnix (v2 only) or
	// FamilyUnspec (v1 UNKNOWN, v2 AF_UNSPEC).
	Family Family
	// Transport is TransportStream (TCP, and every v1 TCP4/TCP6 line),
	// TransportDatagram (UDP), or TransportUnspec.
	Transport Transport
	// Source and Destination are the client's address and port and the
	// address and port it connected to. They are set for Command Proxy
	// with FamilyINET (IPv4 addresses) or FamilyINET6 (IPv6 addresses,
	// which may be IPv4-mapped: they are reported as sent, not unmapped),
	// and invalid otherwise.
	Source      netip.AddrPort
	Destination netip.AddrPort
	// SourceUnix and DestinationUnix are the socket paths of a version 2
	// FamilyUnix header with Command Proxy: the 108-byte fields with their
	// trailing NUL bytes removed. A leading NUL (a Linux abstract socket)
	// is kept.
	SourceUnix, DestinationUnix string

	// tlvs holds the version 2 TLVs as they were sent, in order, minus the
	// NOOP and CRC32C ones. A string, so that the Header stays comparable
	// and immutable.
	tlvs string
	// checksummed records that a CRC32C TLV was present and matched.
	checksummed bool
}

// NamesClient reports whether the header names the client behind the load
// balancer: Command Proxy with family INET or INET6. Version 1 UNKNOWN,
// version 2 LOCAL, and version 2 families UNSPEC and UNIX name none: the
// load balancer could not say who is behind it, though the bytes that
// follow still come from that unknown party.
func (h Header) NamesClient() bool {
	return h.Command == Proxy && (h.Family == FamilyINET || h.Family == FamilyINET6) && h.Source.IsValid()
}

// Checksummed reports whether the header carried a CRC32C TLV. Parse only
// returns such a header when the checksum matched, so this is also whether
// the header's integrity was verified.
func (h Header) Checksummed() bool { return h.checksummed }

// Command is the version 2 command: whether the connection was relayed
// (Proxy) or opened by the load balancer itself (Local). Its values are
// the ones on the wire.
type Command uint8

const (
	// Local: the load balancer opened the connection itself, typically
	// for a health check. The socket's own endpoints are the
	// connection's; the header's addresses are ignored.
	Local Command = 0
	// Proxy: the load balancer relays a client's connection, described by
	// the header's addresses.
	Proxy Command = 1
)

// String returns "LOCAL" or "PROXY".
func (c Command) String() string {
	switch c {
	case Local:
		return "LOCAL"
	case Proxy:
		return "PROXY"
	}
	return fmt.Sprintf("Command(%d)", uint8(c))
}

// Family is the address family of the relayed connection, which says
// whether Source and Destination hold addresses. Its values are
// the ones in the high nibble of a version 2 header's 14th byte.
type Family uint8

const (
	// FamilyUnspec: unknown or unsupported; there are no addresses.
	FamilyUnspec Family = 0
	// FamilyINET: IPv4 (v1 TCP4).
	FamilyINET Family = 1
	// FamilyINET6: IPv6 (v1 TCP6).
	FamilyINET6 Family = 2
	// FamilyUnix: a Unix socket (version 2 only).
	FamilyUnix Family = 3
)

// String returns "UNSPEC", "INET", "INET6" or "UNIX".
func (f Family) String() string {
	switch f {
	case FamilyUnspec:
		return "UNSPEC"
	case FamilyINET:
		return "INET"
	case FamilyINET6:
		return "INET6"
	case FamilyUnix:
		return "UNIX"
	}
	return fmt.Sprintf("Family(%d)", uint8(f))
}

// Transport is the socket type of the relayed connection, for a
// listener that serves more than one. Its values are
// the ones in the low nibble of a version 2 header's 14th byte.
type Transport uint8

const (
	// TransportUnspec: unknown or unsupported.
	TransportUnspec Transport = 0
	// TransportStream: TCP, or a SOCK_STREAM Unix socket.
	TransportStream Transport = 1
	// TransportDatagram: UDP, or a SOCK_DGRAM Unix socket.
	TransportDatagram Transport = 2
)

// String returns "UNSPEC", "STREAM" or "DGRAM".
func (t Transport) String() string {
	switch t {
	case TransportUnspec:
		return "UNSPEC"
	case TransportStream:
		return "STREAM"
	case TransportDatagram:
		return "DGRAM"
	}
	return fmt.Sprintf("Transport(%d)", uint8(t))
}

// addrLen returns the size of the version 2 address block for family f,
// and whether the family/transport byte is one the specification defines.
// Only seven bytes are: UNSPEC with UNSPEC, and each of INET, INET6 and
// UNIX with STREAM or DGRAM. Anything else "must be rejected as invalid",
// even for LOCAL, so a byte that pairs a known family with an unspecified
// transport never gets as far as an address parser.
func addrLen(f Family, t Transport) (int, bool) {
	if f == FamilyUnspec {
		return 0, t == TransportUnspec
	}
	if t != TransportStream && t != TransportDatagram {
		return 0, false
	}
	switch f {
	case FamilyINET:
		return 12, true
	case FamilyINET6:
		return 36, true
	case FamilyUnix:
		return 216, true
	}
	return 0, false
}
