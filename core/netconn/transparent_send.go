//go:build linux || freebsd

package netconn

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// sendFromTransparent sends b to to from a socket of its own bound to
// from, which need not be local: the transparent option lets the socket
// bind there. It is how a reply leaves from a TPROXY'd original
// destination whose port is not the listening socket's, since a control
// message can set a datagram's source address but not its port. The
// socket is made in the calling thread's network namespace.
//
// There is no SO_REUSEADDR: with it, the socket could share from with a
// local service bound there (or to the wildcard address at that port)
// that set it too, and, bound to the more specific address, receive the
// datagrams meant for the service until it closes. Without it the bind
// fails with EADDRINUSE, and no datagram is taken. The caller serialises
// calls, so that two replies from one original destination do not
// collide.
//
// The socket is blocking, as Go's runtime poller does not know it; a
// non-zero deadline becomes SO_SNDTIMEO, so that a full send buffer
// cannot block the caller past it.
func sendFromTransparent(b []byte, from, to netip.AddrPort, deadline time.Time) error {
	from = normal(from)
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	if !from.IsValid() || !to.IsValid() || from.Addr().Is4() != to.Addr().Is4() {
		return fmt.Errorf("netconn: cannot send to %v from %v", to, from)
	}
	var timeout time.Duration
	if !deadline.IsZero() {
		if timeout = time.Until(deadline); timeout <= 0 {
			return fmt.Errorf("netconn: reply from %v to %v: %w", from, to, os.ErrDeadlineExceeded)
		}
	}
	v6 := from.Addr().Is6()
	family := unix.AF_INET
	if v6 {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return fmt.Errorf("netconn: reply from %v: socket: %w", from, err)
	}
	defer unix.Close(fd)
	if err := transparentSockopt(uintptr(fd), v6); err != nil {
		return err
	}
	if timeout > 0 {
		// A zero timeval means no timeout: round up to a microsecond.
		tv := unix.NsecToTimeval(max(timeout, time.Microsecond).Nanoseconds())
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
			return fmt.Errorf("netconn: reply from %v: SO_SNDTIMEO: %w", from, err)
		}
	}
	if err := unix.Bind(fd, inetSockaddr(from)); err != nil {
		if errors.Is(err, unix.EADDRINUSE) {
			return fmt.Errorf("netconn: reply from %v: another socket on this host is bound to that address and port, and sharing it could take its datagrams: %w", from, err)
		}
		return fmt.Errorf("netconn: reply from %v: bind: %w", from, err)
	}
	for {
		err = unix.Sendto(fd, b, 0, inetSockaddr(to))
		// With SO_SNDTIMEO set, a signal (the Go runtime's preemption
		// signal among them) interrupts a blocked send instead of
		// restarting it: send again while the deadline allows.
		if err == unix.EINTR && (deadline.IsZero() || time.Now().Before(deadline)) {
			continue
		}
		break
	}
	if err != nil {
		if timeout > 0 && (errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EWOULDBLOCK) || err == unix.EINTR) {
			// SO_SNDTIMEO ran out: the deadline, with the errno kept.
			return fmt.Errorf("netconn: reply from %v to %v: %w (%w)", from, to, os.ErrDeadlineExceeded, err)
		}
		return fmt.Errorf("netconn: reply from %v to %v: %w", from, to, err)
	}
	return nil
}

func inetSockaddr(ap netip.AddrPort) unix.Sockaddr {
	if ap.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}
