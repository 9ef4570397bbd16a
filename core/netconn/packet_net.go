package netconn

import (
	"net"
	"net/netip"
	"syscall"
)

// PacketConn as a net.PacketConn, for libraries that read and write
// through that interface. quic-go is the one in mind: give it a
// *PacketConn, and the QUIC connections it accepts never have an IPv6
// sender posing as an IPv4 host for a remote address.
//
// What such a library is given is an address, and it will unmap a
// v4-mapped one, as Go's net package and netconn.QUICContext do. So these
// reads drop an IPv6 datagram whose source is v4-mapped, rather than hand
// it on in any form: no IPv6 host has such an address (RFC 4291 section
// 2.5.5.2), and Linux itself drops TCP SYNs from one. ReadDatagram, which
// says which IP version each datagram arrived over, is for programs that
// want to see them.
var _ net.PacketConn = (*PacketConn)(nil)

// PacketStats counts what a PacketConn's ReadFrom and ReadMsgUDPAddrPort
// dropped; read it with PacketConn.Stats, for example to export as
// metrics. A count that grows means someone is sending IPv6 datagrams
// with forged sources.
type PacketStats struct {
	// MappedDropped is the number of IPv6 datagrams dropped because their
	// source was a v4-mapped address.
	MappedDropped uint64
}

// Stats returns the PacketConn's counters.
func (c *PacketConn) Stats() PacketStats {
	return PacketStats{MappedDropped: c.mappedDropped.Load()}
}

// ReadFrom implements net.PacketConn: it reads the next datagram into b
// and returns its source as a *net.UDPAddr, IPv4 for an IPv4 sender even
// on a dual-stack socket. An IPv6 datagram from a v4-mapped source is
// dropped, counted in Stats and reported to the WithDropHook hook, and
// the next one is read. The address is the caller's to keep, as the
// interface requires, and is the one allocation per datagram.
func (c *PacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	var space [pktOOBSpace]byte
	for {
		n, _, _, d, err := c.read(b, space[:])
		if err != nil {
			return n, nil, err
		}
		if c.dropped(d) {
			continue
		}
		return n, udpAddr(d.Src), nil
	}
}

// ReadMsgUDPAddrPort is net.UDPConn's method of that name, for a library
// that reads control messages of its own (quic-go reads the ECN bits in
// IP_TOS and IPV6_TCLASS, and the destination in IP_PKTINFO): it reads a
// datagram into b, and copies into oob the control messages the kernel
// attached, whole, as many as fit (MSG_CTRUNC in flags when some did not).
// Like ReadFrom, it returns IPv4 senders as IPv4 and drops IPv6 datagrams
// from v4-mapped sources. It does not allocate.
func (c *PacketConn) ReadMsgUDPAddrPort(b, oob []byte) (n, oobn, flags int, addr netip.AddrPort, err error) {
	var space [pktOOBSpace]byte
	for {
		n, oobn, flags, d, err := c.read(b, space[:])
		if err != nil {
			return n, 0, 0, netip.AddrPort{}, err
		}
		if c.dropped(d) {
			continue
		}
		copied, whole := copyCmsgs(oob, space[:oobn])
		if !whole {
			flags |= pktMsgCtrunc
		}
		return n, copied, flags, d.Src, nil
	}
}

// WriteTo implements net.PacketConn: it sends b to addr, a *net.UDPAddr,
// from the address the kernel picks (the bound one on a socket bound to
// one address, the routing table's choice on a wildcard socket). Reply
// and WriteFrom choose the source.
func (c *PacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	return c.conn.WriteTo(b, addr)
}

// SetReadBuffer sets the socket's receive buffer size (SO_RCVBUF).
func (c *PacketConn) SetReadBuffer(bytes int) error { return c.conn.SetReadBuffer(bytes) }

// SetWriteBuffer sets the socket's send buffer size (SO_SNDBUF).
func (c *PacketConn) SetWriteBuffer(bytes int) error { return c.conn.SetWriteBuffer(bytes) }

// SyscallConn returns the raw socket, for socket options: quic-go sets
// the don't-fragment bit and its buffer sizes through it. Datagrams read
// from it directly are not checked.
func (c *PacketConn) SyscallConn() (syscall.RawConn, error) { return c.conn.SyscallConn() }

// dropped reports whether a net.PacketConn-style read must drop d: an
// IPv6 datagram from a v4-mapped source, the one kind whose Src stays
// v4-mapped. It counts it and calls the hook.
func (c *PacketConn) dropped(d Datagram) bool {
	if !d.Src.Addr().Is4In6() {
		return false
	}
	c.mappedDropped.Add(1)
	if c.dropHook != nil {
		c.dropHook(d)
	}
	return true
}

// udpAddr returns ap as a *net.UDPAddr in one allocation, its IP stored
// beside it, where net.UDPAddrFromAddrPort makes two.
func udpAddr(ap netip.AddrPort) *net.UDPAddr {
	a := new(struct {
		addr net.UDPAddr
		ip   [16]byte
	})
	ip := a.ip[:]
	if ap.Addr().Is4() {
		v4 := ap.Addr().As4()
		ip = a.ip[:copy(a.ip[:], v4[:])]
	} else {
		a.ip = ap.Addr().As16()
	}
	a.addr = net.UDPAddr{IP: ip, Port: int(ap.Port())}
	return &a.addr
}

// copyCmsgs copies the control messages in from into to, whole messages
// only, as many as fit, and reports how many bytes it copied and whether
// that was all of them.
func copyCmsgs(to, from []byte) (int, bool) {
	it := cmsgIter{b: from, l: pktLayout()}
	fit := 0
	for {
		if _, _, _, ok := it.next(); !ok {
			break
		}
		end := len(from) - len(it.b) // this message's end, padding included
		if end > len(to) {
			break
		}
		fit = end
	}
	copy(to, from[:fit])
	return fit, fit == len(from)
}
