package netconn

import (
	"net/netip"

	"github.com/trustedip/trustedip/core"
)

// Which IP version a datagram arrived over.
//
// A dual-stack socket (AF_INET6 without IPV6_V6ONLY) reports the source of
// an IPv4 datagram as a v4-mapped address, ::ffff:a.b.c.d, and unmapping
// it gives the IPv4 host a.b.c.d. But an IPv6 datagram may carry that very
// address as its source: RFC 4291 (section 2.5.5.2) says such addresses
// never appear on the wire, yet Linux delivers UDP datagrams from them to
// any IPv6 socket (it drops only TCP SYNs from them, in
// tcp_v6_conn_request). Unmapped, ::ffff:127.0.0.1 from a remote host
// becomes the IPv4 loopback, which no packet from outside the host can
// come from, and which a resolver trusts. Its source is anyone's to write.
//
// So the source alone does not say who sent a datagram; the control
// messages do. On Linux, IPPROTO_IP-level messages (IP_PKTINFO, which
// PacketConn asks for on every dual-stack socket) come with IPv4
// datagrams only: udpv6_recvmsg adds them for an IPv4 datagram and the
// IPPROTO_IPV6 ones for an IPv6 datagram. A v4-mapped source without one
// arrived over IPv6, and so does every datagram of an IPv6-only socket.
// Should the control messages be cut short (MSG_CTRUNC, which pktOOBSpace
// leaves room to avoid), a datagram is taken to have arrived over IPv6:
// when the code cannot tell, it does not guess in the sender's favour.
//
// macOS and FreeBSD do not say it per datagram: their dual-stack sockets
// may attach no IPv4-level message to an IPv4 datagram. They need not:
// their ip6_input (KAME's) drops every IPv6 packet whose source or
// destination is v4-mapped before any socket sees it, so a v4-mapped
// source there is always an IPv4 sender (kernelDeliversMappedIPv6 is
// false). A filter that drops such packets at ingress (srcauth does, at
// Linux's TC) makes the same true before the kernel's UDP code runs; this
// check is what holds without one.

// source returns a datagram's sender as Datagram.Src reports it: unmapped
// when it arrived over IPv4, as it was when it arrived over IPv6.
func source(src netip.AddrPort, r *pktRecv) netip.AddrPort {
	if a := src.Addr(); a.Is4In6() && kernelDeliversMappedIPv6 && !r.overIPv4 {
		return netip.AddrPortFrom(a.WithZone(""), src.Port())
	}
	return normal(src)
}

// Peer returns the datagram's sender as the resolver's peer, with
// core.ProvenanceSocket: the address the kernel read from the datagram's
// own IP header. An IPv4 sender, read over IPv4, is what
// core.PeerFromAddrPort makes of it; a v4-mapped source that arrived over
// IPv6 stays IPv6 (core.PeerOverIPv6), so that it matches no IPv4 prefix
// of a trusted set. This is the one place where a datagram's source
// becomes a peer; do not unmap Src yourself.
//
// A UDP source is written by the sender and only as good as the network
// that carried it: a client can name any address it cannot receive at.
// Trust a datagram's peer as a proxy only where the network drops forged
// sources (or the protocol, as QUIC's handshake does, checks it).
func (d Datagram) Peer() core.Peer {
	if d.Src.Addr().Is4In6() {
		return core.PeerOverIPv6(d.Src)
	}
	return core.PeerFromAddrPort(d.Src)
}
