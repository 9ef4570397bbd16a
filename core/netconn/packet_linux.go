//go:build linux

package netconn

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// kernelDeliversMappedIPv6: Linux hands IPv6 UDP datagrams from v4-mapped
// sources to sockets (see packet_family.go).
const kernelDeliversMappedIPv6 = true

// pktEnable asks the kernel for a control message with each datagram's
// destination: IP_PKTINFO on an IPv4 socket, IPV6_RECVPKTINFO on an IPv6
// one. On a dual-stack socket IPV6_PKTINFO also covers IPv4 datagrams, as
// v4-mapped addresses, but struct in6_pktinfo has no ipi_spec_dst: it
// cannot tell a subnet broadcast (192.0.2.255) from a unicast address,
// and a reply sent from the broadcast address fails. So a dual-stack
// socket asks for IP_PKTINFO too, which the kernel adds to IPv4
// datagrams only. On a transparent socket it also sets IP_TRANSPARENT and
// asks for the original destination, with its port: IPV6_RECVORIGDSTADDR
// covers only IPv6 datagrams, so a dual-stack socket needs
// IP_RECVORIGDSTADDR as well.
func pktEnable(raw syscall.RawConn, transparent bool) (v6 bool, err error) {
	cerr := raw.Control(func(fd uintptr) {
		s := int(fd)
		var v6only bool
		if v6, v6only, err = socketFamily6(s); err != nil {
			err = fmt.Errorf("netconn: packet info: %w", err)
			return
		}
		// NewPacketConn's socket is made transparent here. ListenPacket's
		// already is, from before its bind (which a non-local address
		// needs); setting the option again changes nothing.
		if transparent {
			if err = transparentSockopt(fd, v6); err != nil {
				return
			}
		}
		type opt struct {
			level, name int
			what        string
		}
		var opts [4]opt
		k := 0
		if v6 {
			opts[k] = opt{unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO"}
			k++
			if !v6only {
				opts[k] = opt{unix.IPPROTO_IP, unix.IP_PKTINFO, "IP_PKTINFO"}
				k++
			}
			if transparent {
				opts[k] = opt{unix.IPPROTO_IPV6, unix.IPV6_RECVORIGDSTADDR, "IPV6_RECVORIGDSTADDR"}
				k++
				if !v6only {
					opts[k] = opt{unix.IPPROTO_IP, unix.IP_RECVORIGDSTADDR, "IP_RECVORIGDSTADDR"}
					k++
				}
			}
		} else {
			opts[k] = opt{unix.IPPROTO_IP, unix.IP_PKTINFO, "IP_PKTINFO"}
			k++
			if transparent {
				opts[k] = opt{unix.IPPROTO_IP, unix.IP_RECVORIGDSTADDR, "IP_RECVORIGDSTADDR"}
				k++
			}
		}
		for _, o := range opts[:k] {
			if e := unix.SetsockoptInt(s, o.level, o.name, 1); e != nil {
				err = fmt.Errorf("netconn: setting %s: %w", o.what, e)
				return
			}
		}
	})
	if cerr != nil {
		return false, fmt.Errorf("netconn: packet info: %w", cerr)
	}
	return v6, err
}

// pktDecode reads one control message into r. Messages of the wrong size
// are ignored.
//
//	struct in_pktinfo  { int ipi_ifindex; struct in_addr ipi_spec_dst, ipi_addr; }  // 12 bytes
//	struct in6_pktinfo { struct in6_addr ipi6_addr; int ipi6_ifindex; }            // 20 bytes
//
// ipi_addr is the destination in the IP header; ipi_spec_dst is the local
// address a reply should come from, which differs for broadcast. An IPv4
// datagram on a dual-stack socket carries both messages, which agree on
// the destination and interface.
//
// Any IPPROTO_IP-level message says the datagram arrived over IPv4: on an
// AF_INET6 socket, udpv6_recvmsg adds those (ip_cmsg_recv_offset) to IPv4
// datagrams only, and IPv6 datagrams get IPPROTO_IPV6 ones.
func pktDecode(level, typ int32, data []byte, r *pktRecv) {
	if level == unix.IPPROTO_IP {
		r.overIPv4 = true
	}
	switch {
	case level == unix.IPPROTO_IP && typ == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo:
		r.ifIndex = int(binary.NativeEndian.Uint32(data[0:4]))
		r.spec = netip.AddrFrom4([4]byte(data[4:8]))
		r.dst = netip.AddrFrom4([4]byte(data[8:12]))
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

// pktAppendSource appends the control message that sets a datagram's
// source address (and, when ifIndex is not 0, its outgoing interface):
// IP_PKTINFO's ipi_spec_dst for IPv4, on IPv4 and dual-stack sockets
// alike, and IPV6_PKTINFO for IPv6. The interface is left to the routing
// table unless asked for: forcing it would break asymmetric and policy
// routing.
func pktAppendSource(buf []byte, sock6, dst4 bool, from netip.Addr, ifIndex int) []byte {
	l := pktLayout()
	var data []byte
	if dst4 {
		buf, data = cmsgAppend(buf, l, unix.IPPROTO_IP, unix.IP_PKTINFO, unix.SizeofInet4Pktinfo)
		binary.NativeEndian.PutUint32(data[0:4], uint32(ifIndex))
		if from.Is4() {
			a := from.As4()
			copy(data[4:8], a[:])
		}
		return buf
	}
	buf, data = cmsgAppend(buf, l, unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, unix.SizeofInet6Pktinfo)
	if from.Is6() {
		a := from.As16()
		copy(data[0:16], a[:])
	}
	binary.NativeEndian.PutUint32(data[16:20], uint32(ifIndex))
	return buf
}
