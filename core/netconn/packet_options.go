package netconn

// PacketOption configures a PacketConn.
type PacketOption func(*packetOptions)

type packetOptions struct {
	transparent bool
	dropHook    func(Datagram)
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

// WithDropHook calls hook for each datagram that ReadFrom or
// ReadMsgUDPAddrPort drops: an IPv6 datagram whose source is a v4-mapped
// address (see PacketStats). The count is in Stats; the hook is for logs,
// with the datagram's source, destination and interface. It runs on the
// reading goroutine and must not block: anyone can send such datagrams,
// as many as they like, so rate-limit what it logs.
func WithDropHook(hook func(Datagram)) PacketOption {
	return func(o *packetOptions) { o.dropHook = hook }
}
