//go:build !linux && !darwin && !freebsd

package netconn

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// pktMsgTrunc: no recvmsg flags are read here.
const pktMsgTrunc = 0

// kernelDeliversMappedIPv6: nothing is known here, so assume the worst
// (ListenPacket refuses on these platforms anyway).
const kernelDeliversMappedIPv6 = true

// pktMsgCtrunc: no recvmsg flags are read here.
const pktMsgCtrunc = 0

// pktLayout is never used to read real control messages here; it is the
// common 64-bit layout, for the parser's tests.
func pktLayout() cmsgLayout { return cmsgLayout{lenSize: 8, hdrLen: 16, align: 8} }

// pktEnable: this platform has no control message that this package
// reads, and answering from the wrong address without saying so is the
// bug PacketConn exists to prevent, so it refuses.
func pktEnable(syscall.RawConn, bool) (bool, error) {
	return false, fmt.Errorf("netconn: per-datagram destination (IP_PKTINFO): %w on this platform", errors.ErrUnsupported)
}

func pktDecode(int32, int32, []byte, *pktRecv) {}

func pktAppendSource(buf []byte, _, _ bool, _ netip.Addr, _ int) []byte { return buf }
