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
type Peer struct {
	addr netip.Addr
	port uint16
	kind peerKind
	// headersIgnored: the peer speaks for a party nobody named, so its
	// headers are never believed (see WithoutHeaders).
	headersIgnored bool
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
func UnixPeer() Peer { return Peer{kind: peerUnix} }

// PeerFromAddrPort returns an IP peer, normalised: v4-mapped addresses are
// unmapped and zones dropped. An invalid or unspecified address gives the
// unknown peer.
func PeerFromAddrPort(ap netip.AddrPort) Peer {
	a := ap.Addr().Unmap().WithZone("")
	if !a.IsValid() || a.IsUnspecified() {
		return Peer{}
	}
	return Peer{addr: a, port: ap.Port(), kind: peerIP}
}

// ParsePeer parses a peer in the form net/http puts in Request.RemoteAddr:
// "ip:port", "[ipv6]:port", or a bare address. "" and "@" are the forms a
// Unix socket takes there and give UnixPeer. Anything else gives the
// unknown peer, which Resolve answers with ReasonNoPeer.
//
// Adapters should not take a peer from text when they can reach the
// connection (netconn.PeerOf): on a Unix socket, RemoteAddr is the name
// the client bound, and "127.0.0.1:1" is as good a name as any.
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
	return Peer{addr: h.addr, port: h.port, kind: peerIP}
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
	return Peer{addr: a, port: uint16(port), kind: peerIP}
}

// WithoutHeaders returns p marked so that Resolve never believes its
// headers, even when its address is a trusted proxy: the answer is p
// itself, with reason ReasonPeerUntrusted.
//
// It is for a connection that reached us through a load balancer whose
// PROXY protocol header named no client (version 1 UNKNOWN, version 2
// LOCAL, or family UNSPEC or UNIX). The socket's peer is then the load
// balancer, but the bytes that follow, HTTP headers included, were written
// by whoever is behind it, and the load balancer said it does not know who
// that is. Being allowed to send a PROXY header does not make a load
// balancer an HTTP proxy whose headers count. netconn.ConnInfo.Peer
// applies it; adapters take their peer from there.
func (p Peer) WithoutHeaders() Peer {
	p.headersIgnored = p.kind == peerIP
	return p
}

// HeadersIgnored reports whether p was marked by WithoutHeaders.
func (p Peer) HeadersIgnored() bool { return p.headersIgnored }

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
