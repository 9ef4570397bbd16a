package netconn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Datagram is what the kernel says about one received UDP datagram: who
// sent it, which local address it reached, on which interface, and, on a
// transparent socket, where it was going before TPROXY diverted it. It is
// a small value, returned by PacketConn.ReadDatagram without allocating.
//
// Addresses are normalised as everywhere in this project: IPv4-mapped
// IPv6 addresses are unmapped and zones are dropped (IfIndex carries the
// interface). The one exception is a source that arrived over IPv6: see
// Src.
type Datagram struct {
	// Src is the sender: the client, for a server. A datagram that
	// arrived over IPv4 has an IPv4 source, even on a dual-stack socket,
	// which reports it v4-mapped. One that arrived over IPv6 keeps its
	// source as the IPv6 header wrote it, v4-mapped or not: a v4-mapped
	// Src (Is4In6) is an IPv6 sender that claims an IPv4 address, which
	// anyone can write and which no packet on the wire may carry (RFC
	// 4291 section 2.5.5.2). Peer turns Src into the resolver's peer.
	Src netip.AddrPort
	// Dst is the address the datagram reached and the socket's own port.
	// On a wildcard socket (0.0.0.0, ::) it is the one thing that tells
	// which of the host's addresses the client used. Under TPROXY its
	// address is the one the client sent to, which is not local.
	Dst netip.AddrPort
	// OrigDst is where the client sent the datagram, port included, as
	// IP_ORIGDSTADDR reports it on a transparent socket. Under TPROXY,
	// Dst already has the original address (TPROXY rewrites nothing in
	// the packet) but the socket's port; OrigDst has the original port
	// too. Elsewhere, and when the kernel does not say, it equals Dst, as
	// ConnInfo.OriginalDst equals Local when nothing rewrote the
	// destination.
	OrigDst netip.AddrPort
	// IfIndex is the interface the datagram arrived on, or 0 when the
	// platform does not say.
	IfIndex int
	// Truncated reports that the datagram was longer than the buffer and
	// its end was cut off.
	Truncated bool

	// spec is the local address the kernel would answer from (IPv4
	// ipi_spec_dst), which differs from Dst for broadcast.
	spec netip.Addr
}

// Diverted reports whether the original destination differs from Dst:
// a TPROXY rule delivered the datagram to this socket's port although it
// was sent to another. A rule that keeps the port (--on-port equal to the
// destination port) leaves nothing that differs, so Diverted is false
// even though Dst is not a local address; the reply is sent from it all
// the same.
func (d Datagram) Diverted() bool {
	return d.OrigDst.IsValid() && d.OrigDst != d.Dst
}

// ReplySource returns the address and port a reply to d should come from:
// the original destination under TPROXY, so that the client hears back
// from the server it thinks it is talking to; otherwise the local address
// the datagram reached. A datagram sent to a broadcast or multicast
// address is answered from the local address the kernel names for it
// (Linux's ipi_spec_dst, on IPv4, udp4 and dual-stack sockets alike), or,
// where it names none, from an address the kernel picks (the result's
// address is then invalid). Only the kernel's note tells a subnet
// broadcast (192.0.2.255) from a unicast address: where there is none
// (FreeBSD, and IPv4 on a dual-stack macOS socket), the result is the
// broadcast address itself, which is no source for a reply. A service
// that answers subnet broadcasts there should listen on a socket bound to
// the interface's address as well.
//
// When the platform did not report the destination at all, and the
// socket is bound to a wildcard address, the result's address is invalid
// too; Reply then refuses with ErrUnknownDestination.
func (d Datagram) ReplySource() netip.AddrPort {
	if d.Diverted() && canSendFrom(d.OrigDst.Addr()) {
		return d.OrigDst
	}
	if canSendFrom(d.spec) {
		return netip.AddrPortFrom(d.spec, d.Dst.Port())
	}
	if canSendFrom(d.Dst.Addr()) {
		return d.Dst
	}
	return netip.AddrPortFrom(netip.Addr{}, d.Dst.Port())
}

func canSendFrom(a netip.Addr) bool {
	return a.IsValid() && !a.IsUnspecified() && !a.IsMulticast() && a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// PacketConn is a UDP socket that reports, for every datagram, the local
// address it reached, and sends replies from that address.
//
// Why: a server bound to a wildcard address (0.0.0.0 or ::) on a host with
// several addresses, or an anycast address, cannot tell from recvfrom
// which address a client used, and a reply sent with plain sendto leaves
// from whatever source the routing table picks. The client, which is
// waiting for an answer from the address it asked, drops it (or its NAT
// or firewall does), and the reply reveals an address of the server that
// the client was not meant to see. With IP_PKTINFO and IPV6_RECVPKTINFO
// the kernel says, per datagram, which address was reached; a reply
// carries that address back as its source in the same kind of control
// message.
//
// On a transparent socket (WithTransparent) the kernel also reports, per
// datagram, the original destination that an iptables or nftables TPROXY
// rule diverted to it. The client's own source address is untouched by
// TPROXY, so the socket sees the real client without any PROXY header.
//
// On a dual-stack socket it also tells, per datagram, whether it arrived
// over IPv4 or IPv6, which the source address alone does not: the kernel
// reports an IPv4 sender as ::ffff:a.b.c.d, and Linux delivers an IPv6
// datagram whose header names that same source. The first is the IPv4
// host a.b.c.d; the second is anyone. Datagram.Src keeps the second as
// IPv6, and Datagram.Peer makes it a peer that no IPv4 prefix matches.
// (macOS and FreeBSD drop such IPv6 packets in the kernel; Linux drops
// only TCP SYNs from them.)
//
// It is also a net.PacketConn, for libraries such as quic-go that read
// and write through that interface (ReadFrom, WriteTo). Those see only an
// address, so they never see an IPv6 datagram from a v4-mapped source:
// ReadFrom drops it, and Stats counts it.
//
// Reading with ReadDatagram does not allocate, nor does replying through
// the socket itself. A PacketConn is safe for concurrent use.
//
// Platforms: Linux fully; macOS and FreeBSD report the destination and
// interface (FreeBSD's IP_BINDANY stands in for IP_TRANSPARENT); elsewhere
// ListenPacket and NewPacketConn return errors.ErrUnsupported. FreeBSD
// may report nothing about IPv4 datagrams on a dual-stack ("udp",
// ":port") socket, and Reply then refuses to answer them
// (ErrUnknownDestination): there, listen with "udp4" and "udp6" on two
// sockets.
type PacketConn struct {
	conn        *net.UDPConn
	local       netip.AddrPort // the bound address, normalised
	v6          bool           // an AF_INET6 socket, dual-stack unless IPV6_V6ONLY
	transparent bool
	dropHook    func(Datagram)

	// mappedDropped counts the datagrams ReadFrom and
	// ReadMsgUDPAddrPort dropped for a v4-mapped source (PacketStats).
	mappedDropped atomic.Uint64

	// writeDeadline is the write deadline set through this PacketConn, in
	// Unix nanoseconds, 0 for none: Reply's own reply sockets honour it,
	// and net.UDPConn does not say what it was set to.
	writeDeadline atomic.Int64
	// replyMu serialises replies sent from a socket of their own, which
	// binds without SO_REUSEADDR and so cannot be bound twice at once.
	replyMu sync.Mutex
}

// ErrUnknownDestination is returned by Reply for a datagram whose
// destination the platform did not report, on a socket bound to a
// wildcard address: any source the reply were sent from would be a guess
// (the routing table's), which is the bug PacketConn exists to prevent.
var ErrUnknownDestination = errors.New("netconn: the datagram's destination is unknown (the platform did not report it) and the socket is bound to a wildcard address, so no reply source can be chosen")

// ErrMappedSource is returned by Reply for a datagram that arrived over
// IPv6 from a v4-mapped source (::ffff:a.b.c.d). No IPv6 host has such an
// address; a reply to it would leave as IPv4, to a.b.c.d, a host that
// never sent anything: whoever wrote the source would be reflecting the
// reply there (to 127.0.0.1, a service on this very host).
var ErrMappedSource = errors.New("netconn: the datagram arrived over IPv6 from a v4-mapped source address, which no IPv6 host has; a reply would go to the IPv4 host it names, which did not send it")

// ListenPacket listens for UDP datagrams on address ("udp", "udp4" or
// "udp6") and turns on per-datagram destination reporting. With
// WithTransparent(true) IP_TRANSPARENT is set before the socket is bound,
// so address may also be one that is not local.
func ListenPacket(network, address string, opts ...PacketOption) (*PacketConn, error) {
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return nil, fmt.Errorf("netconn: ListenPacket: network %q is not udp, udp4 or udp6", network)
	}
	var o packetOptions
	for _, opt := range opts {
		opt(&o)
	}
	var lc net.ListenConfig
	if o.transparent {
		lc.Control = ControlTransparent
	}
	pc, err := lc.ListenPacket(context.Background(), network, address)
	if err != nil {
		return nil, err
	}
	c, err := newPacketConn(pc.(*net.UDPConn), o)
	if err != nil {
		pc.Close()
		return nil, err
	}
	return c, nil
}

// NewPacketConn turns on per-datagram destination reporting on an open,
// unconnected UDP socket, which the PacketConn then owns: close the
// PacketConn, not c. On error c is not closed and still belongs to the
// caller (some of the socket options may have been set on it).
// With WithTransparent(true) it also sets IP_TRANSPARENT, which TPROXY
// needs before it delivers to the socket.
func NewPacketConn(c *net.UDPConn, opts ...PacketOption) (*PacketConn, error) {
	if c == nil {
		return nil, errors.New("netconn: NewPacketConn: nil connection")
	}
	var o packetOptions
	for _, opt := range opts {
		opt(&o)
	}
	return newPacketConn(c, o)
}

func newPacketConn(c *net.UDPConn, o packetOptions) (*PacketConn, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("netconn: packet info: %w", err)
	}
	v6, err := pktEnable(raw, o.transparent)
	if err != nil {
		return nil, err
	}
	return &PacketConn{
		conn:        c,
		local:       addrPortOf(c.LocalAddr()),
		v6:          v6,
		transparent: o.transparent,
		dropHook:    o.dropHook,
	}, nil
}

// pktOOBSpace is room for every control message a datagram can carry
// here, with headers. The most is an IPv4 datagram on a transparent
// dual-stack Linux socket: IPV6_PKTINFO (40 bytes on 64-bit Linux),
// IP_PKTINFO (32) and IP_ORIGDSTADDR (32), 104 in all; an IPv6 one
// carries IPV6_PKTINFO and IPV6_ORIGDSTADDR (48), 88. Had the kernel
// sent all four at once it would be 152. A message that does not fit is
// cut off (MSG_CTRUNC), and the parser stops before it.
const pktOOBSpace = 256

// ReadDatagram reads one datagram into b and says where it came from and
// where it went. It does not allocate.
//
// It returns every datagram the kernel delivers, an IPv6 one from a
// v4-mapped source too, with that source kept as IPv6 (see Datagram.Src)
// so that Peer never trusts it as an IPv4 host. ReadFrom and
// ReadMsgUDPAddrPort, which hand out only an address, drop such
// datagrams instead.
func (c *PacketConn) ReadDatagram(b []byte) (int, Datagram, error) {
	var space [pktOOBSpace]byte
	n, _, _, d, err := c.read(b, space[:])
	return n, d, err
}

// read reads one datagram into b and its control messages into oob, which
// must have room for pktOOBSpace bytes.
func (c *PacketConn) read(b, oob []byte) (n, oobn, flags int, d Datagram, err error) {
	n, oobn, flags, src, err := c.conn.ReadMsgUDPAddrPort(b, oob)
	if err != nil {
		return max(n, 0), 0, 0, Datagram{}, err
	}
	var r pktRecv
	it := cmsgIter{b: oob[:oobn], l: pktLayout()}
	for {
		level, typ, data, ok := it.next()
		if !ok {
			break
		}
		pktDecode(level, typ, data, &r)
	}
	return n, oobn, flags, c.datagram(src, &r, flags), nil
}

func (c *PacketConn) datagram(src netip.AddrPort, r *pktRecv, flags int) Datagram {
	d := Datagram{Src: source(src, r), IfIndex: r.ifIndex, Truncated: flags&pktMsgTrunc != 0}
	dst := r.dst
	if !dst.IsValid() && !c.local.Addr().IsUnspecified() {
		dst = c.local.Addr() // no packet info, but the socket is bound to one address
	}
	if dst.IsValid() {
		d.Dst = netip.AddrPortFrom(dst.Unmap().WithZone(""), c.local.Port())
	}
	d.OrigDst = d.Dst
	if r.orig.IsValid() {
		d.OrigDst = normal(r.orig)
		if !d.Dst.IsValid() {
			// A diversion (TPROXY, ipfw fwd, pf divert-to) rewrites no
			// address: the header's destination is the original one, at
			// this socket's port.
			d.Dst = netip.AddrPortFrom(d.OrigDst.Addr(), c.local.Port())
		}
	}
	if r.spec.IsValid() {
		d.spec = r.spec.Unmap()
	}
	return d
}

// Reply sends b to the datagram's sender from d.ReplySource(): the address
// the datagram reached, so that a multi-homed or anycast server answers
// from the address it was asked on. When the platform did not report
// where the datagram went and the socket is bound to a wildcard address,
// Reply sends nothing and returns ErrUnknownDestination rather than let
// the routing table pick a source. To a v4-mapped source that arrived over
// IPv6 it sends nothing either, and returns ErrMappedSource.
//
// On a transparent socket the source may be a non-local original
// destination; IP_TRANSPARENT lets the kernel send from it. When it has
// the socket's own port (a TPROXY rule that keeps the port, or --on-port
// equal to it), the reply leaves through this socket with the source in
// its control message, without allocating, under the socket's write
// deadline.
//
// When the port differs, no control message can set a source port, so the
// reply is sent from a short-lived socket of its own, bound with
// IP_TRANSPARENT to the original destination and port: it allocates, costs
// five system calls (six under a deadline) instead of one, and the socket
// is made in the network namespace of the calling thread. It binds without
// SO_REUSEADDR, so it never shares the address with another socket on the
// host: were a local service bound there (or to the wildcard address at
// that port), a shared binding could, for as long as it lasts, take
// datagrams meant for the service. Reply fails instead, with an error
// wrapping EADDRINUSE. Replies of this kind from one PacketConn are
// therefore sent one at a time. The write deadline set with
// SetWriteDeadline or SetDeadline on the PacketConn (not on UDPConn())
// bounds the send, through SO_SNDTIMEO; past it Reply returns an error
// wrapping os.ErrDeadlineExceeded. A proxy that relays a long flow should
// keep such a socket itself (ListenPacket on the original destination with
// WithTransparent(true)).
func (c *PacketConn) Reply(b []byte, d Datagram) (int, error) {
	if d.Src.Addr().Is4In6() {
		return 0, fmt.Errorf("netconn: reply to %v: %w", d.Src, ErrMappedSource)
	}
	from := d.ReplySource()
	if !from.Addr().IsValid() && !d.Dst.Addr().IsValid() && !c.boundToOne() {
		return 0, fmt.Errorf("netconn: reply to %v: %w", d.Src, ErrUnknownDestination)
	}
	if from.IsValid() && from.Port() != c.local.Port() {
		if !c.transparent {
			return 0, fmt.Errorf("netconn: reply from %v: not this socket's port %d, and the socket is not transparent", from, c.local.Port())
		}
		var deadline time.Time
		if ns := c.writeDeadline.Load(); ns != 0 {
			deadline = time.Unix(0, ns)
		}
		c.replyMu.Lock()
		err := sendFromTransparent(b, from, d.Src, deadline)
		c.replyMu.Unlock()
		if err != nil {
			return 0, err
		}
		return len(b), nil
	}
	ifIndex := 0
	if needsInterface(from.Addr()) || needsInterface(d.Src.Addr()) {
		ifIndex = d.IfIndex // a link-local or multicast peer is reachable only on its own link
	}
	return c.writeFrom(b, d.Src, from.Addr(), ifIndex)
}

// boundToOne reports whether the socket is bound to one address: the
// kernel sends from that address, whatever the routing table says.
func (c *PacketConn) boundToOne() bool {
	return c.local.Addr().IsValid() && !c.local.Addr().IsUnspecified()
}

// WriteFrom sends b to to, from the local address from, through the
// socket and under its write deadline; the port is always the socket's
// own. An invalid or unspecified from lets the kernel choose, as a plain
// write does. from must be local, or, on a transparent socket, may be any
// address. (Named WriteFrom, not WriteTo, because its signature differs
// from net.PacketConn's WriteTo.)
func (c *PacketConn) WriteFrom(b []byte, to netip.AddrPort, from netip.Addr) (int, error) {
	return c.writeFrom(b, to, from, 0)
}

func (c *PacketConn) writeFrom(b []byte, to netip.AddrPort, from netip.Addr, ifIndex int) (int, error) {
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	from = from.Unmap().WithZone("")
	if ifIndex == 0 && c.boundToOne() && from == c.local.Addr().Unmap() {
		// The kernel sends from the bound address anyway; naming it
		// again is at best redundant, and some kernels (FreeBSD's
		// IP_SENDSRCADDR) refuse it on a socket bound to one address.
		from = netip.Addr{}
	}
	var space [64]byte
	oob := space[:0]
	if (from.IsValid() && !from.IsUnspecified()) || ifIndex != 0 {
		if from.IsValid() && !from.IsUnspecified() && from.Is4() != to.Addr().Is4() {
			return 0, fmt.Errorf("netconn: cannot send to %v from %v: different address families", to, from)
		}
		oob = pktAppendSource(oob, c.v6, to.Addr().Is4(), from, ifIndex)
	}
	n, _, err := c.conn.WriteMsgUDPAddrPort(b, oob, to)
	return n, err
}

func needsInterface(a netip.Addr) bool {
	return a.Is6() && (a.IsLinkLocalUnicast() || a.IsMulticast())
}

// Transparent reports whether the socket was made transparent.
func (c *PacketConn) Transparent() bool { return c.transparent }

// LocalAddr returns the address the socket is bound to.
func (c *PacketConn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// UDPConn returns the underlying socket, for socket options or for
// libraries that read it themselves. Replies written to it directly leave
// from the address the routing table picks.
func (c *PacketConn) UDPConn() *net.UDPConn { return c.conn }

// Close closes the socket.
func (c *PacketConn) Close() error { return c.conn.Close() }

// SetDeadline sets the read and write deadlines.
func (c *PacketConn) SetDeadline(t time.Time) error {
	c.storeWriteDeadline(t)
	return c.conn.SetDeadline(t)
}

// SetReadDeadline sets the read deadline.
func (c *PacketConn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline, for writes through the socket
// and for Reply's sockets of their own alike.
func (c *PacketConn) SetWriteDeadline(t time.Time) error {
	c.storeWriteDeadline(t)
	return c.conn.SetWriteDeadline(t)
}

func (c *PacketConn) storeWriteDeadline(t time.Time) {
	var ns int64 // 0: no deadline
	switch {
	case t.IsZero():
	case t.Before(time.Unix(0, 1)):
		ns = 1 // long past either way
	case t.After(time.Unix(0, math.MaxInt64)):
		ns = math.MaxInt64 // past 2262: UnixNano would overflow
	default:
		ns = t.UnixNano()
	}
	c.writeDeadline.Store(ns)
}
