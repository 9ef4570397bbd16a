//go:build linux

package netconn

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// querySocket asks the kernel, on the socket's descriptor, for the peer
// and local addresses and for the destination the client dialled before
// NAT: SO_ORIGINAL_DST (SOL_IP, 80) for IPv4 and IP6T_SO_ORIGINAL_DST
// (SOL_IPV6, 80) for IPv6. ENOENT means no NAT rule applied, and the
// original destination is the local address.
func querySocket(raw syscall.RawConn, info *ConnInfo) error {
	var err error
	cerr := raw.Control(func(fd uintptr) {
		if err = endpoints(int(fd), info); err == nil {
			info.OriginalDst, info.OriginalDstErr = originalDst(int(fd), info.Local)
		}
	})
	if cerr != nil {
		return cerr
	}
	return err
}

func originalDst(fd int, local netip.AddrPort) (netip.AddrPort, error) {
	if !local.IsValid() {
		return local, errNotIP
	}
	var (
		dst netip.AddrPort
		err error
	)
	if local.Addr().Is4() {
		// sockaddr_in fits in the 20 bytes of an IPv6Mreq: family (2),
		// port (2, network order), address (4).
		var m *unix.IPv6Mreq
		if m, err = unix.GetsockoptIPv6Mreq(fd, unix.SOL_IP, unix.SO_ORIGINAL_DST); err == nil {
			b := m.Multiaddr
			dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte{b[4], b[5], b[6], b[7]}), binary.BigEndian.Uint16(b[2:4]))
		}
	} else {
		// sockaddr_in6 is the first 28 bytes of an IPv6MTUInfo.
		var m *unix.IPv6MTUInfo
		if m, err = unix.GetsockoptIPv6MTUInfo(fd, unix.SOL_IPV6, unix.SO_ORIGINAL_DST); err == nil {
			var port [2]byte
			binary.NativeEndian.PutUint16(port[:], m.Addr.Port)
			dst = normal(netip.AddrPortFrom(netip.AddrFrom16(m.Addr.Addr), binary.BigEndian.Uint16(port[:])))
		}
	}
	switch {
	case errors.Is(err, unix.ENOENT):
		return local, nil // no NAT: the destination is where we are
	case err != nil:
		return local, err
	}
	return dst, nil
}
