//go:build darwin

package netconn

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// kernelDeliversMappedIPv6: macOS's ip6_input, KAME's, drops every IPv6
// packet with a v4-mapped source or destination, so a dual-stack socket's
// v4-mapped source is always an IPv4 sender, whether or not an IPv4-level
// control message says so (see packet_family.go).
const kernelDeliversMappedIPv6 = false

// pktEnable asks for IP_PKTINFO (IPv4) and IPV6_PKTINFO (IPv6, RFC 3542)
// with each datagram. macOS has no transparent sockets: WithTransparent
// fails with errors.ErrUnsupported.
func pktEnable(raw syscall.RawConn, transparent bool) (v6 bool, err error) {
	cerr := raw.Control(func(fd uintptr) {
		s := int(fd)
		var v6only bool
		if v6, v6only, err = socketFamily6(s); err != nil {
			err = fmt.Errorf("netconn: packet info: %w", err)
			return
		}
		if transparent {
			if err = transparentSockopt(fd, v6); err != nil {
				return
			}
		}
		if v6 {
			if e := unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1); e != nil {
				err = fmt.Errorf("netconn: setting IPV6_RECVPKTINFO: %w", e)
				return
			}
			if !v6only {
				// IPv4 datagrams on a dual-stack socket: best effort.
				// IPV6_PKTINFO reports their destination as a v4-mapped
				// address but has no ipi_spec_dst; should neither message
				// come, Reply refuses to guess a source.
				unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_RECVPKTINFO, 1)
			}
			return
		}
		if e := unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_RECVPKTINFO, 1); e != nil {
			err = fmt.Errorf("netconn: setting IP_RECVPKTINFO: %w", e)
		}
	})
	if cerr != nil {
		return false, fmt.Errorf("netconn: packet info: %w", cerr)
	}
	return v6, err
}

// pktDecode reads one control message into r: IP_PKTINFO (struct
// in_pktinfo, as on Linux) and IPV6_PKTINFO (struct in6_pktinfo), the two
// that pktEnable asks for.
func pktDecode(level, typ int32, data []byte, r *pktRecv) {
	switch {
	case level == unix.IPPROTO_IP && typ == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo:
		r.ifIndex = int(binary.NativeEndian.Uint32(data[0:4]))
		r.spec = netip.AddrFrom4([4]byte(data[4:8]))
		r.dst = netip.AddrFrom4([4]byte(data[8:12]))
	case level == unix.IPPROTO_IPV6 && typ == unix.IPV6_PKTINFO && len(data) >= unix.SizeofInet6Pktinfo:
		r.dst = netip.AddrFrom16([16]byte(data[0:16]))
		r.ifIndex = int(binary.NativeEndian.Uint32(data[16:20]))
	}
}

// pktAppendSource sets the source with IP_PKTINFO's ipi_spec_dst on an
// IPv4 socket and with IPV6_PKTINFO (a v4-mapped address for an IPv4
// peer) on an IPv6 one.
func pktAppendSource(buf []byte, sock6, dst4 bool, from netip.Addr, ifIndex int) []byte {
	l := pktLayout()
	var data []byte
	if dst4 && !sock6 {
		buf, data = cmsgAppend(buf, l, unix.IPPROTO_IP, unix.IP_PKTINFO, unix.SizeofInet4Pktinfo)
		binary.NativeEndian.PutUint32(data[0:4], uint32(ifIndex))
		if from.Is4() {
			a := from.As4()
			copy(data[4:8], a[:])
		}
		return buf
	}
	buf, data = cmsgAppend(buf, l, unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, unix.SizeofInet6Pktinfo)
	if from.IsValid() {
		a := from.As16() // v4-mapped for an IPv4 source
		copy(data[0:16], a[:])
	}
	binary.NativeEndian.PutUint32(data[16:20], uint32(ifIndex))
	return buf
}
