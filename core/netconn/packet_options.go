package netconn

// PacketOption configures a PacketConn.
type PacketOption func(*packetOptions)

type packetOptions struct {
	transparent bool
}

// WithTransparent makes the socket transparent (IP_TRANSPARENT and
// IPV6_TRANSPARENT on Linux, IP_BINDANY on FreeBSD), so that an iptables
// or nftables TPROXY rule may deliver to it datagrams addressed to other
// hosts, and asks for each datagram's original destination
// (IP_RECVORIGDSTADDR). It needs CAP_NET_ADMIN (root on FreeBSD), and it
// is supported only where the platform has such an option: elsewhere
// ListenPacket returns errors.ErrUnsupported.
//
// A transparent socket may also bind to, and send from, addresses that
// are not local: that is how replies reach the client from the address it
// meant to talk to. Grant it only to a socket that a TPROXY rule feeds.
func WithTransparent(transparent bool) PacketOption {
	return func(o *packetOptions) { o.transparent = transparent }
}
