//go:build unix && !linux

package netconn

import (
	"errors"
	"fmt"
	"syscall"
)

// querySocket asks the kernel for the peer and local addresses. The
// original destination before NAT has no portable socket option outside
// Linux (BSD pf and ipfw use a device ioctl), so it is reported as
// unsupported and set to the local address.
func querySocket(raw syscall.RawConn, info *ConnInfo) error {
	var err error
	cerr := raw.Control(func(fd uintptr) {
		if err = endpoints(int(fd), info); err == nil {
			info.OriginalDst = info.Local
			info.OriginalDstErr = fmt.Errorf("original destination: %w", errors.ErrUnsupported)
		}
	})
	if cerr != nil {
		return cerr
	}
	return err
}
