package core

import (
	"encoding/binary"
	"net"

	"github.com/trustedip/trustedip/core/internal/ipaddr"
)

// The fast path decides the commonest request there is by the same rules
// as the general path, with none of its generality: an IPv4 peer, and no
// header or one X-Forwarded-For line of a few plain IPv4 hops read
// rightmost-untrusted, under a trust set of at most fastPrefixes IPv4
// prefixes. Anything else, and anything unusual in that line (a port,
// IPv6, an empty element, junk, a second line), is left to the general
// path, which decides it by the same rules. FuzzFastPath holds the two to
// the same answer for every request the fast path takes, so the fast path
// can be wrong only by declining, which costs time and never a decision.
//
// It exists for running servers, not for benchmark loops. Between two
// requests a server makes system calls, and on virtual machines like the
// ones we measure on these leave the next request's code and data cold,
// down to the address translations: every further page of memory that a
// request touches costs it a page-table walk, about 50 ns there (see the
// README's Performance section), far more than the decision's
// instructions. The general path runs through generic code, reaches the
// trusted prefixes behind two pointers, and spreads over half a dozen
// pages of code. This one is plain code in this file, which the linker
// lays out in file order, between ResolveValues and Result.String; and it
// reads the prefixes from the Resolver's first cache line. Measured in the
// same server binary with it turned off and on, it saves 0.5-1% of a
// request's CPU in each adapter.

// fastPrefixes is how many IPv4 prefixes the fast path keeps: with the
// flag and the count they fill 36 bytes of the Resolver's first cache
// line. A deployment's own proxies seldom need more (loopback and a
// private range or two); a larger set takes the general path.
const fastPrefixes = 4

// fastPath is the Resolver's copy of what the fast path needs.
type fastPath struct {
	on bool  // the configuration is one the fast path decides
	n  uint8 // prefixes in v4
	v4 [fastPrefixes]prefix4
}

// newFastPath returns r's fast path, off unless r reads X-Forwarded-For
// rightmost-untrusted, or no header, under a small trust set of at most
// fastPrefixes IPv4 prefixes. Its IPv6 prefixes do not matter: the fast
// path takes only IPv4 peers and hops, which no IPv6 prefix contains
// (v4-mapped prefixes are stored unmapped).
func newFastPath(r *Resolver) fastPath {
	t := r.trust
	if t == nil || !t.small || len(t.v4) > fastPrefixes || r.hops != 0 || (r.kind != kindXFF && r.kind != kindNone) {
		return fastPath{}
	}
	f := fastPath{on: true, n: uint8(len(t.v4))}
	copy(f.v4[:], t.v4)
	return f
}

// ResolveRemoteAddr is ResolveValues(ParsePeer(remoteAddr), lines), for
// adapters over net/http, whose Request.RemoteAddr is "ip:port". The
// common request, an IPv4 peer and a short X-Forwarded-For line, is
// decided here without passing through ResolveValues: in a running server
// every further function a request enters is a further cold cache line of
// code, and most of what resolution costs there.
func (r *Resolver) ResolveRemoteAddr(remoteAddr string, lines []string) (res Result) {
	if r.fast.on {
		if p, ok := scanPeer4(remoteAddr); ok && r.resolveFast(p, firstLine(lines), len(lines), &res) {
			return res
		}
	}
	return r.ResolveValues(ParsePeer(remoteAddr), lines)
}

// ResolveNetAddr is ResolveValues(PeerFromNetAddr(peer), lines), for
// adapters that hold the connection's net.Addr, such as gRPC's peer. Like
// ResolveRemoteAddr, it decides an IPv4 *net.TCPAddr peer beside the fast
// path, and leaves every other form to PeerFromNetAddr.
func (r *Resolver) ResolveNetAddr(peer net.Addr, lines []string) (res Result) {
	if r.fast.on {
		if p, ok := tcpPeer4(peer); ok && r.resolveFast(p, firstLine(lines), len(lines), &res) {
			return res
		}
	}
	return r.ResolveValues(PeerFromNetAddr(peer), lines)
}

// tcpPeer4 converts a *net.TCPAddr holding an IPv4 address, in either of
// the forms the net package gives it (4 bytes, or 16 with the v4-mapped
// prefix), as PeerFromNetAddr would; it reports false for anything else,
// including 0.0.0.0, which PeerFromNetAddr reads.
func tcpPeer4(a net.Addr) (Peer, bool) {
	const v4InV6Prefix = "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff"
	t, ok := a.(*net.TCPAddr)
	if !ok || t == nil {
		return Peer{}, false
	}
	ip := t.IP
	switch {
	case len(ip) == net.IPv4len:
	case len(ip) == net.IPv6len && string(ip[:12]) == v4InV6Prefix:
		ip = ip[12:]
	default:
		return Peer{}, false
	}
	v := binary.BigEndian.Uint32(ip)
	if v == 0 {
		return Peer{}, false
	}
	return Peer{addr: ipaddr.From4(v), port: uint16(t.Port), kind: peerIP}, true
}

// firstLine returns lines[0] as a string, a view if it is a []byte, or
// "" when there are no lines.
func firstLine[T text](lines []T) string {
	if len(lines) == 0 {
		return ""
	}
	return view(lines[0])
}

// resolveFast decides a request whose header has nlines lines, the first
// of them line, into res and reports true; or it leaves res alone and
// reports false, and the general path must decide. line is only read
// during the call, so it may be a view of a []byte (see view).
func (r *Resolver) resolveFast(p Peer, line string, nlines int, res *Result) bool {
	f := &r.fast
	if !f.on || p.kind != peerIP || p.headersIgnored || !p.addr.Is4() {
		return false
	}
	b := p.addr.As4()
	trusted := f.v4[:f.n]
	var (
		h      hop
		n      int
		reason Reason
	)
	switch {
	case !inPrefixes4(trusted, binary.BigEndian.Uint32(b[:])):
		reason = PeerUntrusted
	case r.kind == kindNone || nlines == 0:
		reason = NoHeader
	case nlines > 1:
		return false
	default:
		ips, k, ok := scanShortXFF(line)
		if !ok {
			return false
		}
		// From the right, the first hop no trusted proxy vouches for is
		// the client; when every hop is trusted, the leftmost is.
		n, reason = k, AllTrusted
		for j := k - 1; j >= 0; j-- {
			if !inPrefixes4(trusted, ips[j]) {
				n, reason = k-j, Header
				break
			}
		}
		h.addr = ipaddr.From4(ips[k-n])
	}
	r.fill(res, p, h, n, reason)
	return true
}

// The longest X-Forwarded-For line scanShortXFF reads, and the most hops
// it keeps. 48 bytes hold at most six hops ("1.1.1.1," is eight bytes).
const (
	shortLen  = 48
	shortHops = 6
)

// scanShortXFF reads a short X-Forwarded-For line of plain IPv4 hops,
// left to right, into ips[:k]: a short line costs less to read forwards
// once than to search backwards for each comma. It reports false for a
// longer line, and for anything unusual (an empty element, a port, IPv6,
// 0.0.0.0, junk), which the general walk decides. Past the usual one to
// three proxies the walk is cheaper, as it reads only the hops it
// inspects, so a request's cost stays tied to those.
func scanShortXFF(line string) (ips [shortHops]uint32, k int, ok bool) {
	if len(line) > shortLen {
		return ips, 0, false
	}
	for i := 0; ; {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		ip, end, v4 := scanIPv4(line[i:])
		if !v4 || ip == 0 || k == shortHops {
			return ips, 0, false
		}
		ips[k] = ip
		k++
		for i += end; i < len(line) && (line[i] == ' ' || line[i] == '\t'); i++ {
		}
		if i == len(line) {
			return ips, k, true
		}
		if line[i] != ',' {
			return ips, 0, false
		}
		i++
	}
}

// scanPeer4 parses the "ip:port" form net/http gives every TCP peer in
// Request.RemoteAddr, for IPv4; it reports false for any other form,
// which parseHop reads.
func scanPeer4(s string) (Peer, bool) {
	ip, n, ok := scanIPv4(s)
	if !ok || ip == 0 || n >= len(s) || s[n] != ':' {
		return Peer{}, false
	}
	port, ok := parsePort(s[n+1:])
	if !ok {
		return Peer{}, false
	}
	return Peer{addr: ipaddr.From4(ip), port: port, kind: peerIP}, true
}

// scanIPv4 reads a dotted-quad IPv4 address at the start of s, as
// ipaddr.ScanIPv4 does (FuzzScanIPv4 holds them to the same answers), and
// returns it with the index where it ended. It is that scanner's
// compact, plain form, kept here beside the fast path so that a request
// on it touches no other page of code: a loop over the octets is a
// quarter of the code of the four written out, which wins in a running
// server though it loses in a benchmark loop. A leading 0 must stand
// alone ("010.0.0.1" must not be guessed at, as some stacks read it as
// octal), and a digit right after the quad makes it invalid.
func scanIPv4(s string) (uint32, int, bool) {
	var ip uint32
	i := 0
	for octet := range 4 {
		if octet > 0 {
			if i >= len(s) || s[i] != '.' {
				return 0, 0, false
			}
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return 0, 0, false
		}
		v := uint32(s[i] - '0')
		i++
		if v != 0 { // a leading 0 stands alone
			for j := 0; j < 2 && i < len(s) && s[i] >= '0' && s[i] <= '9'; j++ {
				v = v*10 + uint32(s[i]-'0')
				i++
			}
			if v > 255 {
				return 0, 0, false
			}
		}
		ip = ip<<8 | v
	}
	if i < len(s) && s[i] >= '0' && s[i] <= '9' {
		return 0, 0, false
	}
	return ip, i, true
}
