package core

import (
	"math/bits"
	"net/netip"

	"github.com/trustedip/trustedip/core/internal/ipaddr"
)

// walk reads a list header (X-Forwarded-For or Forwarded) from the right.
//
// Each proxy appends the address it received the request from, so the
// rightmost hop was written by the proxy nearest to us, and only the hops
// written by trusted proxies can be believed. Walking from the right and
// stopping at the first hop we cannot vouch for is the only order in which
// a client cannot choose the answer. It also means the cost is the number
// of hops inspected, however long a header the client sent; Forwarded is
// split into elements from the right for the same reason (see
// prevForwardedElement).
//
// All lines are read as one list, last line first: a client can send a line
// of its own, and a proxy may append a new line rather than extend one.
func walk[T text](r *Resolver, s *state, lines []T, tr *tracer) (hop, int, Reason) {
	// The last verified hop and its position; lastN == 0 means the peer.
	var last hop
	lastN := 0
	n := 0 // non-empty hops seen
	for li := len(lines) - 1; li >= 0; li-- {
		line := lines[li]
		for end := len(line); end >= 0; {
			start, paired := 0, true
			if r.kind == kindForwarded {
				start, paired = prevForwardedElement(line, end)
			} else {
				start = prevComma(line[:end])
			}
			el := trimSpace(line[start:end])
			end = start - 1 // the separator before this element, if any
			if len(el) == 0 {
				continue // empty elements are skipped
			}
			n++
			if !paired {
				traceHop(tr, n, el, netip.Addr{}, stepUnclosedQuote)
				return brokenAt(last, lastN, tr)
			}
			var (
				h  hop
				ok bool
			)
			if r.kind == kindForwarded {
				h, ok = forwardedHop(el)
			} else if v, end4, v4 := ipaddr.ScanIPv4(el); v4 && end4 == len(el) && v != 0 {
				// A plain IPv4 hop, the common case, without the call
				// through parseHop, which would say the same.
				h.addr, ok = ipaddr.From4(v), true
			} else {
				h, ok = parseHop(el)
			}
			if !ok {
				traceHop(tr, n, el, netip.Addr{}, stepInvalid)
				return brokenAt(last, lastN, tr)
			}
			if s.hops > 0 {
				if n == s.hops {
					traceHop(tr, n, el, h.addr, stepCountedClient)
					return h, n, ReasonHeader
				}
				traceHop(tr, n, el, h.addr, stepCounted)
			} else {
				if !s.proxies.contains(h.addr) {
					traceHop(tr, n, el, h.addr, stepClient)
					return h, n, ReasonHeader
				}
				traceHop(tr, n, el, h.addr, stepTrusted)
			}
			last, lastN = h, n
		}
	}
	switch {
	case n == 0:
		tr.note(noteNoHops)
		return hop{}, 0, ReasonNoHeader
	case s.hops > 0:
		tr.note(noteTooFewHops)
		return last, lastN, ReasonBroken
	}
	tr.note(noteAllTrusted)
	return last, lastN, ReasonAllTrusted
}

// brokenAt answers with the last verified address when the walk cannot go
// on: the nearest trusted hop to the right of the bad one, or the peer.
func brokenAt(last hop, lastN int, tr *tracer) (hop, int, Reason) {
	if lastN == 0 {
		tr.note(noteBackToPeer)
		return hop{}, 0, ReasonBroken
	}
	tr.note(noteBackToHop)
	return last, lastN, ReasonBroken
}

// prevComma returns the start of the last X-Forwarded-For element of s:
// the index after its last comma, or 0. It looks at eight bytes at a time,
// so a long element costs little more than a short one.
func prevComma[T text](s T) int {
	i := len(s)
	for ; i >= 8; i -= 8 {
		if z := zeroBytes(load8(s, i-8) ^ 0x2c2c2c2c2c2c2c2c); z != 0 {
			// The highest flagged byte is the rightmost comma.
			return i - 8 + 7 - bits.LeadingZeros64(z)/8 + 1
		}
	}
	for i--; i >= 0; i-- {
		if s[i] == ',' {
			return i + 1
		}
	}
	return 0
}

// load8 reads s[i:i+8] as a little-endian word; the compiler turns it into
// a single load.
func load8[T text](s T, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// zeroBytes returns a word with the top bit of each zero byte of x set and
// every other bit clear. It is exact: no carry crosses a byte, so a flagged
// byte is always a zero byte.
func zeroBytes(x uint64) uint64 {
	const low7 = 0x7f7f7f7f7f7f7f7f
	return ^((x&low7 + low7) | x | low7)
}
