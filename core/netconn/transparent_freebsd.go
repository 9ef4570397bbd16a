//go:build freebsd

package netconn

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// transparentSockopt sets IP_BINDANY or IPV6_BINDANY, FreeBSD's
// counterpart of IP_TRANSPARENT: the socket may bind to, and send from,
// addresses that are not local, and receives what an ipfw fwd or pf
// divert-to rule sends it. It needs root (PRIV_NETINET_BINDANY).
func transparentSockopt(fd uintptr, v6 bool) error {
	level, name, what := unix.IPPROTO_IP, unix.IP_BINDANY, "IP_BINDANY"
	if v6 {
		level, name, what = unix.IPPROTO_IPV6, unix.IPV6_BINDANY, "IPV6_BINDANY"
	}
	if err := unix.SetsockoptInt(int(fd), level, name, 1); err != nil {
		return fmt.Errorf("netconn: setting %s (needs root): %w", what, err)
	}
	return nil
}
