//go:build freebsd

package netconn

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// kernelDeliversMappedIPv6: FreeBSD's ip6_input, KAME's, drops every IPv6
// packet with a v4-mapped source or destination, so a dual-stack socket's
// v4-mapped source is always an IPv4 sender, whether or not an IPv4-level
// control message says so (see packet_family.go).
const kernelDeliversMappedIPv6 = false

// pktEnable asks for IP_RECVDSTADDR and IP_RECVIF (IPv4: FreeBSD has no
// IP_PKTINFO) or IPV6_RECVPKTINFO with each datagram, and, on a
// transparent (IP_BINDANY) socket, for the original destination with
// IP_RECVORIGDSTADDR / IPV6_RECVORIGDSTADDR.
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
		set := func(level, name int, what string, required bool) bool {
			if e := unix.SetsockoptInt(s, level, name, 1); e != nil && required {
				err = fmt.Errorf("netconn: setting %s: %w", what, e)
				return false
			}
			return true
		}
		if v6 {
			if !set(unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO", true) ||
				transparent && !set(unix.IPPROTO_IPV6, unix.IPV6_RECVORIGDSTADDR, "IPV6_RECVORIGDSTADDR", true) {
				return
			}
			if !v6only {
				// IPv4 datagrams on a dual-stack socket: best effort. The
				// kernel may attach no packet info to an AF_INET6 socket's
				// IPv4 datagrams; their destination is then unknown (unless
				// the socket is bound to one address, or IP_ORIGDSTADDR
				// names it), and Reply refuses to guess a source.
				set(unix.IPPROTO_IP, unix.IP_RECVDSTADDR, "IP_RECVDSTADDR", false)
				set(unix.IPPROTO_IP, unix.IP_RECVIF, "IP_RECVIF", false)
				if transparent {
					set(unix.IPPROTO_IP, unix.IP_RECVORIGDSTADDR, "IP_RECVORIGDSTADDR", false)
				}
			}
			return
		}
		if set(unix.IPPROTO_IP, unix.IP_RECVDSTADDR, "IP_RECVDSTADDR", true) &&
			set(unix.IPPROTO_IP, unix.IP_RECVIF, "IP_RECVIF", true) && transparent {
			set(unix.IPPROTO_IP, unix.IP_RECVORIGDSTADDR, "IP_RECVORIGDSTADDR", true)
		}
	})
	if cerr != nil {
		return false, fmt.Errorf("netconn: packet info: %w", cerr)
	}
	return v6, err
}

// pktDecode reads one control message into r: IP_RECVDSTADDR (struct
// in_addr), IP_RECVIF (struct sockaddr_dl, whose sdl_index is the 16 bits
// at offset 2), IPV6_PKTINFO (struct in6_pktinfo) and the original
// destinations (struct sockaddr_in, sockaddr_in6).
func pktDecode(level, typ int32, data []byte, r *pktRecv) {
	switch {
	case level == unix.IPPROTO_IP && typ == unix.IP_RECVDSTADDR && len(data) >= 4:
		r.dst = netip.AddrFrom4([4]byte(data[0:4]))
	case level == unix.IPPROTO_IP && typ == unix.IP_RECVIF && len(data) >= 4:
		r.ifIndex = int(binary.NativeEndian.Uint16(data[2:4]))
	case level == unix.IPPROTO_IPV6 && typ == unix.IPV6_PKTINFO && len(data) >= unix.SizeofInet6Pktinfo:
		r.dst = netip.AddrFrom16([16]byte(data[0:16]))
		r.ifIndex = int(binary.NativeEndian.Uint32(data[16:20]))
	case level == unix.IPPROTO_IP && typ == unix.IP_ORIGDSTADDR:
		if ap, ok := sockaddrInetPort(data, false); ok {
			r.orig = ap
		}
	case level == unix.IPPROTO_IPV6 && typ == unix.IPV6_ORIGDSTADDR:
		if ap, ok := sockaddrInetPort(data, true); ok {
			r.orig = ap
		}
	}
}

// pktAppendSource sets the source with IP_SENDSRCADDR (struct in_addr;
// the socket must be bound to INADDR_ANY, or be IP_BINDANY) on an IPv4
// socket, and with IPV6_PKTINFO on an IPv6 one. IP_SENDSRCADDR cannot
// name an interface.
func pktAppendSource(buf []byte, sock6, dst4 bool, from netip.Addr, ifIndex int) []byte {
	l := pktLayout()
	var data []byte
	if dst4 && !sock6 {
		if !from.Is4() {
			return buf
		}
		buf, data = cmsgAppend(buf, l, unix.IPPROTO_IP, unix.IP_SENDSRCADDR, 4)
		a := from.As4()
		copy(data, a[:])
		return buf
	}
	buf, data = cmsgAppend(buf, l, unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, unix.SizeofInet6Pktinfo)
	if from.IsValid() {
		a := from.As16()
		copy(data[0:16], a[:])
	}
	binary.NativeEndian.PutUint32(data[16:20], uint32(ifIndex))
	return buf
}
