package netnstest

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// Raw6 sends IPv6 packets whose header the test writes whole, source
// address included, from a namespace: the remote host that writes a
// source no kernel would choose for it, such as the v4-mapped
// ::ffff:127.0.0.1, which must never appear on the wire (RFC 4291 section
// 2.5.5.2) but which nothing stops a host from sending.
type Raw6 struct {
	fd int
}

// Raw6 opens a raw IPv6 socket (IPPROTO_RAW: the kernel adds no header of
// its own) in the namespace, closed when t ends.
func (ns *NS) Raw6(t testing.TB) *Raw6 {
	t.Helper()
	r := &Raw6{fd: -1}
	ns.Do(t, func() (err error) {
		r.fd, err = unix.Socket(unix.AF_INET6, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
		return err
	})
	t.Cleanup(func() { unix.Close(r.fd) })
	return r
}

// SendUDP sends payload in one UDP datagram from src to dst.
func (r *Raw6) SendUDP(src, dst netip.AddrPort, payload []byte) error {
	udp := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(udp[0:], src.Port())
	binary.BigEndian.PutUint16(udp[2:], dst.Port())
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	udp = append(udp, payload...)
	return r.send(src.Addr(), dst.Addr(), unix.IPPROTO_UDP, udp, 6)
}

// SendSYN sends a TCP SYN, the first segment of a connection, from src to
// dst.
func (r *Raw6) SendSYN(src, dst netip.AddrPort, seq uint32) error {
	tcp := make([]byte, 20)
	binary.BigEndian.PutUint16(tcp[0:], src.Port())
	binary.BigEndian.PutUint16(tcp[2:], dst.Port())
	binary.BigEndian.PutUint32(tcp[4:], seq)
	tcp[12] = 5 << 4 // data offset: 5 words, no options
	tcp[13] = 0x02   // SYN
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	return r.send(src.Addr(), dst.Addr(), unix.IPPROTO_TCP, tcp, 16)
}

// send writes an IPv6 header from src to dst before upper, a UDP or TCP
// segment whose checksum field is at sumAt and still zero, and fills in
// the checksum over the pseudo-header (RFC 8200 section 8.1).
func (r *Raw6) send(src, dst netip.Addr, proto int, upper []byte, sumAt int) error {
	if !src.Is6() || !dst.Is6() {
		return fmt.Errorf("netnstest: Raw6 sends IPv6 only (%v to %v); write a v4-mapped address as ::ffff:a.b.c.d", src, dst)
	}
	s, d := src.As16(), dst.As16()
	pkt := make([]byte, 40, 40+len(upper))
	pkt[0] = 6 << 4
	binary.BigEndian.PutUint16(pkt[4:], uint16(len(upper)))
	pkt[6] = byte(proto)
	pkt[7] = 64 // hop limit
	copy(pkt[8:], s[:])
	copy(pkt[24:], d[:])
	pkt = append(pkt, upper...)

	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(s[:])
	add(d[:])
	sum += uint32(len(upper)) + uint32(proto)
	add(upper)
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	check := ^uint16(sum)
	if check == 0 && proto == unix.IPPROTO_UDP {
		check = 0xffff // zero means "no checksum", which IPv6 forbids for UDP
	}
	binary.BigEndian.PutUint16(pkt[40+sumAt:], check)
	return unix.Sendto(r.fd, pkt, 0, &unix.SockaddrInet6{Addr: d})
}
