package core

import (
	"net"
	"net/netip"
	"strings"
)

// Peer is the socket peer of a request: an IP endpoint, a Unix socket, or
// unknown. It is a small value type, compared with ==.
//
// The distinction matters for trust: a Unix-socket peer is usually a local
// reverse proxy and may be trusted (Config.TrustUnixSocket), but it has no
// address to fall back on. An unknown peer is never trusted, because
// nothing about it can be verified.
//
// A Peer also carries its Provenance: how its address reached the program.
// The constructors below give ProvenanceSocket, for callers that hold the
// connection or vouch for the address; WithProvenance says otherwise.
type Peer struct {
	addr netip.Addr
	port uint16
	kind peerKind
	prov Provenance
}

type peerKind uint8

const (
	peerUnknown peerKind = iota
	peerIP
	peerUnix
)

// UnixPeer returns the peer of a connection accepted on a Unix socket.
// It has no address: whatever name the client bound its socket to is its
// own choice, and says nothing about who it is.
func UnixPeer() Peer { return Peer{kind: peerUnix, prov: ProvenanceSocket} }

// PeerFromAddrPort returns an IP peer, normalised: v4-mapped addresses are
// unmapped and zones dropped. An invalid or unspecified address gives the
// unknown peer.
//
// Unmapping is right for a source that can only be IPv4 when it is
// v4-mapped: a TCP peer, since Linux drops IPv6 SYNs from v4-mapped
// sources, or any peer of an IPv4 socket. For a datagram that arrived over
// IPv6 use PeerOverIPv6.
func PeerFromAddrPort(ap netip.AddrPort) Peer {
	a := ap.Addr().Unmap().WithZone("")
	if !a.IsValid() || a.IsUnspecified() {
		return Peer{}
	}
	return Peer{addr: a, port: ap.Port(), kind: peerIP, prov: ProvenanceSocket}
}

// PeerOverIPv6 returns the peer of a packet that arrived over IPv6. Its
// address stays IPv6 even when it is v4-mapped: ::ffff:127.0.0.1 in an
// IPv6 header is not the IPv4 loopback, which no packet from outside the
// host can come from, but an address anyone can write (such sources must
// not appear on the wire, RFC 4291 section 2.5.5.2, and a dual-stack UDP
// socket still receives them). Kept as IPv6, it matches no IPv4 prefix of
// a trusted set. The zone is dropped.
func PeerOverIPv6(ap netip.AddrPort) Peer {
	a := ap.Addr().WithZone("")
	if a.Is4() {
		a = netip.AddrFrom16(a.As16())
	}
	if !a.IsValid() || a.IsUnspecified() || a.Unmap().IsUnspecified() {
		return Peer{}
	}
	return Peer{addr: a, port: ap.Port(), kind: peerIP, prov: ProvenanceSocket}
}

// ParsePeer parses a peer in the form net/http puts in Request.RemoteAddr:
// "ip:port", "[ipv6]:port", or a bare address. "" and "@" are the forms a
// Unix socket takes there and give UnixPeer. Anything else gives the
// unknown peer, which Resolve answers with ReasonNoPeer.
//
// The peer has ProvenanceSocket: ParsePeer is for text the program vouches
// for, such as an operator's or a test's. Text a request carries is not
// that: on a Unix socket RemoteAddr is the name the client bound, and an
// earlier middleware may have written a client's header there. Adapters
// take the peer from the connection (netconn.PeerOf, netconn.PeerFromContext),
// and mark text they fall back on with WithProvenance(ProvenanceUnattested).
func ParsePeer(remoteAddr string) Peer {
	if remoteAddr == "" || remoteAddr == "@" {
		return UnixPeer()
	}
	return parseIPPeer(remoteAddr)
}

// parseIPPeer parses "ip:port", "[ipv6]:port" or a bare address, or gives
// the unknown peer.
func parseIPPeer(s string) Peer {
	h, ok := parseHop(s)
	if !ok {
		return Peer{}
	}
	return Peer{addr: h.addr, port: h.port, kind: peerIP, prov: ProvenanceSocket}
}

// PeerFromNetAddr converts a connection's net.Addr. *net.TCPAddr and
// *net.UDPAddr are converted without formatting; *net.UnixAddr, and any
// address whose Network is "unix", "unixgram" or "unixpacket", gives
// UnixPeer, whatever its name. Other types are parsed from their String
// form as an IP endpoint only: an empty String is the unknown peer, not a
// Unix socket, since only the address's type or network can say that.
func PeerFromNetAddr(a net.Addr) Peer {
	switch v := a.(type) {
	case nil:
		return Peer{}
	case *net.TCPAddr:
		if v == nil {
			return Peer{}
		}
		return peerFromIP(v.IP, v.Port)
	case *net.UDPAddr:
		if v == nil {
			return Peer{}
		}
		return peerFromIP(v.IP, v.Port)
	case *net.UnixAddr:
		return UnixPeer()
	}
	if strings.HasPrefix(a.Network(), "unix") {
		return UnixPeer()
	}
	return parseIPPeer(a.String())
}

// peerFromIP is PeerFromAddrPort for the net package's form of an
// endpoint: 4 bytes, or 16 with IPv4 v4-mapped. Its zone is never read.
func peerFromIP(ip net.IP, port int) Peer {
	var a netip.Addr
	switch len(ip) {
	case net.IPv4len:
		a = netip.AddrFrom4([4]byte(ip))
	case net.IPv6len:
		a = netip.AddrFrom16([16]byte(ip)).Unmap()
	default:
		return Peer{}
	}
	if a.IsUnspecified() || port < 0 || port > 0xffff {
		return Peer{}
	}
	return Peer{addr: a, port: uint16(port), kind: peerIP, prov: ProvenanceSocket}
}

// WithProvenance returns p with its provenance set to pv. The address is
// kept, so that a Result shows which peer was not believed.
func (p Peer) WithProvenance(pv Provenance) Peer {
	p.prov = pv
	return p
}

// Provenance returns how p's address reached the program.
func (p Peer) Provenance() Provenance { return p.prov }

// AddrPort returns the peer's address and port; it is invalid unless IsIP.
func (p Peer) AddrPort() netip.AddrPort { return netip.AddrPortFrom(p.addr, p.port) }

// Addr returns the peer's address; it is invalid unless IsIP.
func (p Peer) Addr() netip.Addr { return p.addr }

// IsIP reports whether the peer is an IP endpoint.
func (p Peer) IsIP() bool { return p.kind == peerIP }

// IsUnix reports whether the peer is a Unix socket.
func (p Peer) IsUnix() bool { return p.kind == peerUnix }

// String returns "ip:port" for an IP peer, "@" for a Unix socket and ""
// for an unknown peer: the forms ParsePeer reads.
func (p Peer) String() string {
	switch p.kind {
	case peerIP:
		return p.AddrPort().String()
	case peerUnix:
		return "@"
	}
	return ""
}

// MarshalText implements encoding.TextMarshaler with String's form, so a
// Peer is a string in JSON and in logs.
func (p Peer) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler for String's form, as
// ParsePeer reads it. Text does not carry provenance: the peer read back
// is ProvenanceSocket, as ParsePeer's are, so read back only text the
// program wrote or vouches for.
func (p *Peer) UnmarshalText(b []byte) error {
	*p = ParsePeer(string(b))
	return nil
}
