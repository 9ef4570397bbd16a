//go:build linux

package netconn

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// transparentSockopt sets IP_TRANSPARENT on an IPv4 socket and
// IPV6_TRANSPARENT on an IPv6 one; both set the same flag in the kernel,
// so a dual-stack socket is transparent for IPv4 too. It needs
// CAP_NET_ADMIN (or CAP_NET_RAW).
func transparentSockopt(fd uintptr, v6 bool) error {
	level, name, what := unix.IPPROTO_IP, unix.IP_TRANSPARENT, "IP_TRANSPARENT"
	if v6 {
		level, name, what = unix.IPPROTO_IPV6, unix.IPV6_TRANSPARENT, "IPV6_TRANSPARENT"
	}
	if err := unix.SetsockoptInt(int(fd), level, name, 1); err != nil {
		return fmt.Errorf("netconn: setting %s (needs CAP_NET_ADMIN): %w", what, err)
	}
	return nil
}
