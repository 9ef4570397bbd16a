//go:build unix

package netconn

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

func sockaddrAddrPort(sa unix.Sockaddr) netip.AddrPort {
	switch v := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(v.Addr), uint16(v.Port))
	case *unix.SockaddrInet6:
		return normal(netip.AddrPortFrom(netip.AddrFrom16(v.Addr), uint16(v.Port)))
	}
	return netip.AddrPort{} // a Unix-domain socket has no IP address
}

// endpoints asks the kernel for the socket's peer (getpeername) and local
// (getsockname) addresses.
func endpoints(fd int, info *ConnInfo) error {
	sa, err := unix.Getpeername(fd)
	if err != nil {
		return err
	}
	info.SocketPeer = sockaddrAddrPort(sa)
	if sa, err = unix.Getsockname(fd); err != nil {
		return err
	}
	info.Local = sockaddrAddrPort(sa)
	return nil
}
