package core

import "github.com/trustedip/trustedip/core/internal/ipaddr"

// The one fast path. Most requests behind a proxy carry one short
// X-Forwarded-For line of plain IPv4 hops, read rightmost-untrusted under
// a handful of trusted prefixes. shortXFF decides those in one pass from
// the left over a line of at most shortLen bytes, comparing each hop with
// the trusted prefixes as a number; the general walk finds each element
// from the right, trims it and builds an address before it can compare.
// BenchmarkResolvePath measures both in one run: the fast path takes about
// a fifth off the whole resolution. Anything unusual (a port, IPv6, an
// empty element, junk, more hops, a long line) is left to the walk, which
// decides it by the same rules; FuzzShortXFF holds the two to the same
// answer whenever the fast path answers.

// The longest line shortXFF reads, and the most hops it keeps: 64 bytes
// hold at most eight hops ("1.1.1.1," is eight bytes). Past a few proxies
// the walk is cheaper anyway, as it reads only the hops it inspects.
const (
	shortLen  = 64
	shortHops = 8
)

// shortXFF decides one X-Forwarded-For line in rightmost-untrusted mode
// under a small trust set, or reports ok == false and leaves it to walk.
func shortXFF[T text](set *TrustSet, line T) (h hop, n int, reason Reason, ok bool) {
	if len(line) > shortLen || !set.small {
		return hop{}, 0, 0, false
	}
	var ips [shortHops]uint32
	k := 0
	for i := 0; ; {
		i = skipSpace(line, i)
		ip, end, v4 := ipaddr.ScanIPv4(line[i:])
		if !v4 || ip == 0 || k == shortHops {
			return hop{}, 0, 0, false
		}
		ips[k] = ip
		k++
		if i = skipSpace(line, i+end); i == len(line) {
			break
		}
		if line[i] != ',' {
			return hop{}, 0, 0, false
		}
		i++
	}
	// From the right, the first hop no trusted proxy vouches for is the
	// client; when every hop is trusted, the leftmost is.
	for j := k - 1; j >= 0; j-- {
		if !inPrefixes4(set.v4, ips[j]) {
			return hop{addr: ipaddr.From4(ips[j])}, k - j, ReasonHeader, true
		}
	}
	return hop{addr: ipaddr.From4(ips[0])}, k, ReasonAllTrusted, true
}
