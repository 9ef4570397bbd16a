// Package proxyproto decodes and encodes PROXY protocol headers, versions 1
// (text) and 2 (binary), as HAProxy's proxy-protocol.txt defines them.
//
// # What the protocol is for
//
// A load balancer that relays raw TCP (or UDP, or a Unix socket) hides the
// client: the server's socket peer is the load balancer. The PROXY protocol
// puts that information back. Before the first byte of the relayed stream,
// the load balancer writes one header naming the connection it accepted:
// the client's address and port, the address and port the client connected
// to and, in version 2, type-length-value extensions (TLVs) such as the TLS
// server name, the negotiated ALPN protocol, a connection ID, or a cloud
// provider's endpoint ID.
//
// # Why a header is only believable from a trusted load balancer
//
// The header is a claim, not a fact: anyone who can open a connection can
// write "PROXY TCP4 10.0.0.1 ..." as their first bytes and name any address
// they like. Only the socket peer is verified (by the TCP handshake). So a
// header means something only when the socket peer is a load balancer the
// operator trusts, and then the header is required: the specification
// forbids guessing whether one is present, because a receiver that accepts
// a header when it happens to appear lets every client choose its own
// address. That decision belongs to the caller (core/netconn checks the peer
// against its trusted set before it calls Parse); this package only decodes.
//
// # What "pure" means here
//
// The package does no I/O and keeps no state: Parse takes the bytes read so
// far and returns a Header, the header's length, or an error that says
// whether more bytes could still make it valid (ErrIncomplete) or not. The
// caller owns the connection, the buffer, the deadline and the policy.
// Parse never reads beyond the slice it is given, never panics, and returns
// a Header that holds no reference into that slice, so the buffer can be
// reused at once.
//
// Parse is strict: anything the specification does not allow is rejected
// rather than repaired, since a header that is almost right came from
// something that is not the load balancer the operator configured. The
// choices the specification leaves open are documented on Parse.
//
// Decoding a header costs no allocation, except one string that holds the
// TLVs when a version 2 header carries any (and the two paths of a Unix
// socket header). Header is a value: it can be copied, compared with ==,
// and shared between goroutines.
//
// AppendV1 and AppendV2 encode a Header, for tests and for proxies that
// pass the header on to the next hop.
package proxyproto
