//go:build linux || darwin || freebsd

package netconn

import "golang.org/x/sys/unix"

// pktMsgTrunc is the recvmsg flag for a datagram longer than the buffer.
const pktMsgTrunc = unix.MSG_TRUNC

// pktMsgCtrunc is the recvmsg flag for control messages cut short.
const pktMsgCtrunc = unix.MSG_CTRUNC

// pktLayout is this platform's cmsghdr: x/sys knows its size and the
// alignment the kernel pads to (CmsgSpace(1) - CmsgLen(0) is one aligned
// byte).
func pktLayout() cmsgLayout {
	return cmsgLayout{
		lenSize: unix.SizeofCmsghdr - 8,
		hdrLen:  unix.CmsgLen(0),
		align:   unix.CmsgSpace(1) - unix.CmsgLen(0),
	}
}

// socketFamily6 reports whether fd is an AF_INET6 socket, and whether it
// accepts IPv6 only. A socket bound to ::ffff:a.b.c.d is AF_INET6 too,
// which its net.Addr does not show.
func socketFamily6(fd int) (v6, v6only bool, err error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return false, false, err
	}
	switch sa.(type) {
	case *unix.SockaddrInet4:
		return false, false, nil
	case *unix.SockaddrInet6:
		only, err := unix.GetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
		return true, err == nil && only != 0, nil
	}
	return false, false, errNotIP
}
