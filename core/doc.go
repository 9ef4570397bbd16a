// Package core decides which IP address a request's client has, as far as
// it can be verified.
//
// A request arrives from a socket peer. When that peer is a proxy the
// operator trusts, the proxy's forwarding header says who it received the
// request from; when it is not, the peer is the client and every header is
// ignored, because anyone can write any header. Most spoofing bugs in
// client-IP code come from breaking one of these rules:
//
//   - believing a header from a peer that is not a trusted proxy;
//   - reading the leftmost X-Forwarded-For entry, which the client wrote;
//   - reading only the first line of a header, when a client can send a
//     line of its own before the proxy's;
//   - repairing a malformed entry instead of stopping at it.
//
// A Resolver applies the rules of the project's contract (docs/contract.md
// in the repository): it walks list headers from the right and stops at
// the first hop it cannot vouch for, normalises every address (v4-mapped
// IPv6 is unmapped, zones are dropped, output is canonical), and reports a
// Reason with every answer so that strict deployments can reject requests
// whose header is broken (ReasonBroken).
//
// There is one way to ask per shape of input a caller has: the peer is a
// Peer value (ParsePeer for a RemoteAddr string, PeerFromNetAddr for a
// connection's address, PeerFromAddrPort, UnixPeer), and the header is an
// http.Header (Resolve), its lines as strings (ResolveValues, for gRPC
// metadata) or as byte slices read in place (ResolveBytes, for fasthttp).
// None of them allocates, and each costs time in proportion to the hops it
// inspects, not to the length of the header, so a client cannot make it
// slow by sending a long one. Explain and ExplainValues return the same
// decision with a step-by-step trace.
//
// A Resolver's trust lists can be replaced while it serves (Update), for
// provider ranges that change; each request is decided wholly under the
// old lists or wholly under the new ones. Warnings reports what in a
// configuration is valid but likely a mistake.
//
// The package has no framework imports; the adapters (nethttpmw, ginmw,
// echomw, fasthttpmw, grpcmw) feed it the peer and the header lines and
// store the Result the framework's way.
package core
