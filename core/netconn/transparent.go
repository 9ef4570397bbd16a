package netconn

import (
	"context"
	"fmt"
	"net"
	"syscall"
)

// ListenTransparent listens for TCP connections ("tcp", "tcp4" or "tcp6")
// on a transparent socket: one that an iptables or nftables TPROXY rule
// may hand connections addressed to any host, and that may be bound to an
// address that is not local.
//
// Why TPROXY: a REDIRECT or DNAT rule rewrites the destination, and the
// application must ask conntrack for the original one (SO_ORIGINAL_DST).
// TPROXY rewrites nothing. The accepted socket's own local address
// (getsockname) is the address and port the client dialled, and its peer
// is the client itself, so the real client reaches the application with
// no PROXY header to trust and no NAT state to query. ConnInfo reports it
// as it is: Local and OriginalDst both hold the original destination
// (SO_ORIGINAL_DST finds no NAT and falls back to Local), SocketPeer the
// client. Wrap the listener with NewListener to get ConnInfo on Accept,
// or call InfoOf on any connection it accepted.
//
// The rule needs policy routing that delivers the marked packets locally:
//
//	ip rule add fwmark 1 lookup 100
//	ip route add local 0.0.0.0/0 dev lo table 100
//	iptables -t mangle -A PREROUTING -p tcp -d 198.51.100.0/24 --dport 80 \
//		-j TPROXY --on-port 8080 --tproxy-mark 1
//
// (and the same with ip -6 and ip6tables for IPv6), or in nftables:
//
//	table inet tproxy {
//		chain prerouting {
//			type filter hook prerouting priority mangle;
//			ip daddr 198.51.100.0/24 tcp dport 80 tproxy ip to :8080 meta mark set 1
//		}
//	}
//
// A transparent socket needs CAP_NET_ADMIN on Linux. On FreeBSD
// IP_BINDANY gives the same to the ipfw fwd and pf divert-to rules (it
// needs root). Elsewhere ListenTransparent returns errors.ErrUnsupported.
func ListenTransparent(network, address string) (net.Listener, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("netconn: ListenTransparent: network %q is not tcp, tcp4 or tcp6 (for UDP use ListenPacket with WithTransparent)", network)
	}
	lc := net.ListenConfig{Control: ControlTransparent}
	return lc.Listen(context.Background(), network, address)
}

// ControlTransparent makes a socket transparent before it is bound, for
// net.ListenConfig.Control and net.Dialer.Control:
//
//	lc := net.ListenConfig{Control: netconn.ControlTransparent}
//
// network is the one the net package passes to Control, which always
// names the family ("tcp4", "udp6"). A dual-stack socket ("tcp6" for a
// listener on ":443") is transparent for IPv4 too.
func ControlTransparent(network, address string, c syscall.RawConn) error {
	var v6 bool
	switch network {
	case "tcp4", "udp4", "ip4":
	case "tcp6", "udp6", "ip6":
		v6 = true
	default:
		return fmt.Errorf("netconn: transparent socket: network %q names no address family", network)
	}
	var err error
	if cerr := c.Control(func(fd uintptr) { err = transparentSockopt(fd, v6) }); cerr != nil {
		return cerr
	}
	return err
}
