package srcauth

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Hand-made frames, for what no socket sends: an IPv6 packet from an
// IPv4-mapped source, stacked VLAN tags, truncated headers. They go through
// BPF_PROG_TEST_RUN (program_linux_test.go) or onto the client's side of
// the veth (sendFrames), and carry correct checksums, so that the server's
// stack takes them as a real client's.

func ether(ethertype uint16, payload []byte) []byte {
	f := make([]byte, 14, 14+len(payload))
	copy(f[0:6], []byte{0x02, 0x5a, 0, 0, 0, 0x02})  // macS0
	copy(f[6:12], []byte{0x02, 0x5a, 0, 0, 0, 0x01}) // macC0
	binary.BigEndian.PutUint16(f[12:], ethertype)
	return append(f, payload...)
}

// tagged inserts VLAN tags with VLAN ID 0 (priority tags), outermost
// first, between an Ethernet frame's addresses and its type.
func tagged(frame []byte, tpids ...uint16) []byte {
	out := append([]byte{}, frame[:12]...)
	for _, tpid := range tpids {
		out = binary.BigEndian.AppendUint16(out, tpid)
		out = binary.BigEndian.AppendUint16(out, 0)
	}
	return append(out, frame[12:]...)
}

// udpFrame is an Ethernet frame carrying a small UDP datagram from src to
// dst, from port 12345 to udpPort.
func udpFrame(src, dst netip.Addr) []byte {
	return ipFrame(src, dst, unix.IPPROTO_UDP, []byte{0x30, 0x39, byte(udpPort >> 8), byte(udpPort & 0xff), 0, 13, 0, 0,
		'p', 'r', 'o', 'b', 'e'})
}

// tcpSYNFrame is an Ethernet frame carrying a TCP SYN from src port sport
// to dst port tcpPort.
func tcpSYNFrame(src, dst netip.Addr, sport uint16) []byte {
	tcp := make([]byte, 20)
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], tcpPort)
	binary.BigEndian.PutUint32(tcp[4:], 0x5ac0000)
	tcp[12] = 5 << 4 // data offset
	tcp[13] = 0x02   // SYN
	binary.BigEndian.PutUint16(tcp[14:], 64240)
	return ipFrame(src, dst, unix.IPPROTO_TCP, tcp)
}

// ipFrame wraps a UDP or TCP segment (its checksum field zero) in an IPv4
// or IPv6 header, by the source's family, and fills in the checksums.
func ipFrame(src, dst netip.Addr, proto uint8, l4 []byte) []byte {
	l4 = append([]byte{}, l4...)
	if proto == unix.IPPROTO_UDP {
		binary.BigEndian.PutUint16(l4[4:], uint16(len(l4)))
	}
	sum := 0
	if src.Is4() {
		s, d := src.As4(), dst.As4()
		sum = ones(s[:], 0) + ones(d[:], 0) + int(proto) + len(l4)
	} else {
		s, d := src.As16(), dst.As16()
		sum = ones(s[:], 0) + ones(d[:], 0) + int(proto) + len(l4)
	}
	ck := 6 // UDP
	if proto == unix.IPPROTO_TCP {
		ck = 16
	}
	c := fold(ones(l4, sum))
	if c == 0 && proto == unix.IPPROTO_UDP {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(l4[ck:], c)

	if src.Is4() {
		ip := make([]byte, 20, 20+len(l4))
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
		ip[8], ip[9] = 64, proto
		s, d := src.As4(), dst.As4()
		copy(ip[12:], s[:])
		copy(ip[16:], d[:])
		binary.BigEndian.PutUint16(ip[10:], fold(ones(ip, 0)))
		return ether(ethPIP, append(ip, l4...))
	}
	ip := make([]byte, 40, 40+len(l4))
	ip[0] = 0x60
	binary.BigEndian.PutUint16(ip[4:], uint16(len(l4)))
	ip[6], ip[7] = proto, 64
	s, d := src.As16(), dst.As16()
	copy(ip[8:], s[:])
	copy(ip[24:], d[:])
	return ether(ethPIPv6, append(ip, l4...))
}

// ones adds b's 16-bit words to sum, the Internet checksum's way.
func ones(b []byte, sum int) int {
	for i := 0; i+1 < len(b); i += 2 {
		sum += int(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += int(b[len(b)-1]) << 8
	}
	return sum
}

func fold(sum int) uint16 {
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// sendFrames writes frames onto dev in ns through a packet socket, as they
// are: the peer's stack receives them as from the wire.
func sendFrames(ns *netNS, dev string, frames ...[]byte) error {
	return ns.do(func() error {
		ifi, err := interfaceIndex(dev)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		for _, fr := range frames {
			to := &unix.SockaddrLinklayer{Ifindex: ifi, Halen: 6}
			copy(to.Addr[:], fr[:6])
			if err := unix.Sendto(fd, fr, 0, to); err != nil {
				return err
			}
		}
		return nil
	})
}
