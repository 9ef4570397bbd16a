package netconn

import (
	"encoding/binary"
	"net/netip"
)

// Control messages (ancillary data) are the kernel's per-datagram notes:
// a sequence of headers, each followed by its data and padded to the
// platform's alignment. They are read here by hand, without allocating,
// instead of with unix.ParseSocketControlMessage, which returns a fresh
// slice per datagram. Every length in them is checked against the bytes
// actually there: the kernel writes them, but a parser of bytes must not
// trust what it has not checked.

// cmsgLayout is a platform's cmsghdr: the size of its length field (a
// size_t on Linux, 32 bits on the BSDs), the size of the whole header, and
// the alignment of headers and data.
type cmsgLayout struct {
	lenSize int // 4 or 8
	hdrLen  int // length, level and type, aligned
	align   int // a power of two
}

// cmsgIter walks the control messages in a buffer. It stops at the first
// header that does not fit or states a length shorter than a header, as
// the kernel's CMSG_NXTHDR does.
type cmsgIter struct {
	b []byte
	l cmsgLayout
}

// next returns the next message's level, type and data.
func (it *cmsgIter) next() (level, typ int32, data []byte, ok bool) {
	l := it.l
	if l.hdrLen < l.lenSize+8 || l.align <= 0 || len(it.b) < l.hdrLen {
		it.b = nil
		return 0, 0, nil, false
	}
	var n uint64
	if l.lenSize == 8 {
		n = binary.NativeEndian.Uint64(it.b)
	} else {
		n = uint64(binary.NativeEndian.Uint32(it.b))
	}
	if n < uint64(l.hdrLen) || n > uint64(len(it.b)) {
		it.b = nil // malformed or cut short (MSG_CTRUNC): nothing after it can be trusted
		return 0, 0, nil, false
	}
	level = int32(binary.NativeEndian.Uint32(it.b[l.lenSize:]))
	typ = int32(binary.NativeEndian.Uint32(it.b[l.lenSize+4:]))
	data = it.b[l.hdrLen:int(n)]
	// The next header starts at the aligned end of this one; the last
	// message's padding may be missing.
	adv := (int(n) + l.align - 1) &^ (l.align - 1)
	if adv > len(it.b) {
		adv = len(it.b)
	}
	it.b = it.b[adv:]
	return level, typ, data, true
}

// cmsgAppend appends a control message header for dataLen bytes of data,
// zeroed, and returns the extended buffer and the data to fill in. It does
// not allocate when buf has room.
func cmsgAppend(buf []byte, l cmsgLayout, level, typ int32, dataLen int) ([]byte, []byte) {
	space := l.hdrLen + (dataLen+l.align-1)&^(l.align-1)
	start := len(buf)
	buf = append(buf, make([]byte, space)...) // zeroed; no allocation when buf has room
	h := buf[start:]
	if l.lenSize == 8 {
		binary.NativeEndian.PutUint64(h, uint64(l.hdrLen+dataLen))
	} else {
		binary.NativeEndian.PutUint32(h, uint32(l.hdrLen+dataLen))
	}
	binary.NativeEndian.PutUint32(h[l.lenSize:], uint32(level))
	binary.NativeEndian.PutUint32(h[l.lenSize+4:], uint32(typ))
	return buf, h[l.hdrLen : l.hdrLen+dataLen]
}

// pktRecv collects what a datagram's control messages say before it is
// turned into a Datagram.
type pktRecv struct {
	dst     netip.Addr // the header's destination address
	spec    netip.Addr // the local address to answer from, where the platform says (Linux, macOS)
	ifIndex int
	orig    netip.AddrPort // IP_ORIGDSTADDR: the destination before TPROXY, with its port
	// overIPv4: a message came that the kernel attaches to IPv4
	// datagrams only (see packet_family.go). Set on Linux.
	overIPv4 bool
}

// sockaddrInetPort reads a sockaddr_in or sockaddr_in6 as the kernel
// writes it into an IP_ORIGDSTADDR message. On every platform here the
// port is at bytes 2..3 in network order and the address at 4 (IPv4) or
// 8 (IPv6); only the first two bytes (family, or length and family)
// differ, and they are not needed: the message type says the family.
func sockaddrInetPort(b []byte, v6 bool) (netip.AddrPort, bool) {
	if v6 {
		if len(b) < 24 {
			return netip.AddrPort{}, false
		}
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])), binary.BigEndian.Uint16(b[2:4])), true
	}
	if len(b) < 8 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), binary.BigEndian.Uint16(b[2:4])), true
}
