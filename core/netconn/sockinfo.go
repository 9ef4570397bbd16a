package netconn

import (
	"net"
	"net/netip"
	"syscall"
)

// socketInfo fills in what the kernel knows about c: its peer and local
// addresses and, where supported, the original destination. c is the raw
// socket, not a wrapper.
func socketInfo(c net.Conn, info *ConnInfo) {
	if _, ok := c.(*net.UnixConn); ok {
		info.Unix = true
	}
	sc, ok := c.(syscall.Conn)
	if ok {
		if raw, err := sc.SyscallConn(); err == nil {
			if querySocket(raw, info) == nil {
				return
			}
		}
	}
	// No file descriptor to ask (a pipe in tests, a wrapper that hides
	// it): the addresses the runtime recorded at accept are the same ones
	// getpeername and getsockname would give.
	info.SocketPeer = addrPortOf(c.RemoteAddr())
	info.Local = addrPortOf(c.LocalAddr())
	info.OriginalDst = info.Local
	info.OriginalDstErr = errNoSocket
}

func addrPortOf(a net.Addr) netip.AddrPort {
	switch v := a.(type) {
	case *net.TCPAddr:
		return normal(v.AddrPort())
	case *net.UDPAddr:
		return normal(v.AddrPort())
	}
	return netip.AddrPort{}
}

func normal(ap netip.AddrPort) netip.AddrPort {
	if !ap.IsValid() {
		return ap
	}
	return netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())
}
