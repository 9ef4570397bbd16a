//go:build !linux && !freebsd

package netconn

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// transparentSockopt: this platform has no option that lets a socket
// receive traffic addressed to other hosts (macOS's pf rdr-to rewrites
// the destination instead, and Windows has no TPROXY).
func transparentSockopt(uintptr, bool) error {
	return fmt.Errorf("netconn: transparent sockets (IP_TRANSPARENT, IP_BINDANY): %w on this platform", errors.ErrUnsupported)
}

func sendFromTransparent(_ []byte, from, _ netip.AddrPort, _ time.Time) error {
	return fmt.Errorf("netconn: sending from %v: transparent sockets: %w on this platform", from, errors.ErrUnsupported)
}
