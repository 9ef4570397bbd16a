// Package netconn is the socket layer: a net.Listener that captures, once
// per connection, what the kernel and a trusted load balancer know about
// the client, and hands it to every framework.
//
// The client IP starts at the socket. Behind an L4 load balancer (AWS NLB,
// HAProxy, GCP, Azure, nginx stream) the PROXY protocol carries the real
// client, but anyone can write those bytes, so a header is believed only
// from a socket peer in the listener's trusted set. From a trusted peer the
// header is required by default: its absence means the peer is not the
// load balancer we think it is, and the spec says never to guess. A header
// from any other peer, or a malformed one, closes the connection.
//
// Behind iptables REDIRECT or DNAT, or a transparent proxy, the kernel
// knows where the client meant to connect; ConnInfo records it
// (SO_ORIGINAL_DST on Linux) next to the socket's own endpoints
// (getpeername, getsockname) and the PROXY header.
//
// Liveness: Accept never waits for a client's bytes. Each connection from a
// trusted peer has its header read in a goroutine of its own, under a
// deadline, and is handed to Accept only when it is ready, so a client
// that sends half a header delays nobody but itself. A bad client is never
// an Accept error: grpc.Server.Serve stops on one. Connections from
// untrusted peers are handed over at once; their first bytes are checked
// for a PROXY signature when the application first reads.
//
// RemoteAddr of an accepted connection is a *net.TCPAddr holding the
// verified client: the PROXY source, or the socket peer. fasthttp's
// RemoteIP understands no other type. ConnInfo reaches a request through
// ConnContext (net/http), InfoOf on the framework's connection (fasthttp's
// ctx.Conn(), through its MaxConnsPerIP and TLS wrappers), or the gRPC
// adapter's transport credentials.
//
// UDP has no connection to carry a ConnInfo. PacketConn reports, for each
// datagram, the sender and the local address it reached (IP_PKTINFO,
// IPV6_PKTINFO), and replies from that address, so that a server on a
// wildcard or anycast address answers from the address it was asked on
// instead of one the routing table picks. It also says whether each
// datagram arrived over IPv4 or IPv6, so that an IPv6 sender that writes
// ::ffff:127.0.0.1 as its source is never taken for the IPv4 loopback
// (Datagram.Peer); as the net.PacketConn a QUIC server reads, it drops
// such datagrams.
//
// Behind an iptables or nftables TPROXY rule, nothing in the packet is
// rewritten and the socket sees the real client, with no header to
// trust. ListenTransparent (TCP) and ListenPacket with WithTransparent
// (UDP) make the transparent sockets TPROXY delivers to; ConnInfo and
// Datagram report the destination the client meant. A transparent
// socket may also bind to and send from addresses that are not local,
// which needs CAP_NET_ADMIN: grant it only to a socket a TPROXY rule
// feeds.
package netconn
