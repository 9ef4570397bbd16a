package core

import (
	"net/netip"

	"github.com/trustedip/trustedip/core/internal/ipaddr"
)

// text is what the parsers read: a string, or a []byte such as a fasthttp
// header value, read in place so that no conversion (and no allocation) is
// needed.
type text = ipaddr.Text

// hop is one parsed address token: the normalised address and, when the token
// carried one, its port.
type hop struct {
	addr    netip.Addr
	port    uint16
	hasPort bool
}

// parseHop parses one hop token as the contract defines it: IPv4, IPv6,
// [IPv6], IPv4:port or [IPv6]:port. The address is normalised: v4-mapped
// IPv6 is unmapped (so ::ffff:10.0.0.1 meets a 10.0.0.0/8 rule) and the
// zone is dropped.
//
// Everything else is rejected rather than repaired, because a token that
// needs guessing is a token an attacker can shape: leading zeros, a zone on
// IPv4, brackets around IPv4, CIDR notation, quotes, whitespace inside the
// token, "unknown", obfuscated names, and the unspecified addresses.
func parseHop[T text](s T) (hop, bool) {
	if len(s) == 0 {
		return hop{}, false
	}
	var (
		h    hop
		zone int
		ok   bool
	)
	if s[0] == '[' {
		end := -1
		for i := 1; i < len(s); i++ {
			if s[i] == ']' {
				end = i
				break
			}
		}
		if end < 0 {
			return hop{}, false
		}
		inner := s[1:end]
		if !hasColon(inner) {
			return hop{}, false // brackets are for IPv6 only
		}
		h.addr, zone, ok = ipaddr.ParseIPv6(inner)
		if !ok || !zoneOK(inner, zone) {
			return hop{}, false
		}
		if rest := s[end+1:]; len(rest) > 0 {
			if rest[0] != ':' {
				return hop{}, false
			}
			if h.port, ok = parsePort(rest[1:]); !ok {
				return hop{}, false
			}
			h.hasPort = true
		}
	} else if ip, n, v4 := ipaddr.ScanIPv4(s); v4 {
		// IPv4 or IPv4:port, the common case, parsed in one pass and
		// already normal: not mapped, no zone.
		if ip == 0 {
			return hop{}, false // 0.0.0.0
		}
		h.addr = ipaddr.From4(ip)
		if n < len(s) {
			if s[n] != ':' {
				return hop{}, false
			}
			if h.port, ok = parsePort(s[n+1:]); !ok {
				return hop{}, false
			}
			h.hasPort = true
		}
		return h, true
	} else {
		// Not IPv4, so only unbracketed IPv6 is left, and it has no port:
		// "2001:db8::1:8080" is an address.
		h.addr, zone, ok = ipaddr.ParseIPv6(s)
		if !ok || !zoneOK(s, zone) {
			return hop{}, false
		}
	}
	h.addr = h.addr.Unmap()
	if h.addr.IsUnspecified() {
		return hop{}, false
	}
	return h, true
}

// maxZone bounds a zone's length. Interface names are at most 15 bytes on
// Linux; the bound only keeps a dropped part from being arbitrarily long.
const maxZone = 64

// zoneOK reports whether the zone starting at s[at] (the '%') is printable
// ASCII without spaces, and not too long. netip accepts any bytes there; a
// header must not be able to smuggle whitespace or control bytes through a
// part we then drop.
func zoneOK[T text](s T, at int) bool {
	if at < 0 {
		return true
	}
	if len(s)-at-1 > maxZone {
		return false
	}
	for i := at + 1; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// parsePort parses a decimal port, 0..65535, of one to five digits.
func parsePort[T text](s T) (uint16, bool) {
	if len(s) == 0 || len(s) > 5 {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	if v > 65535 {
		return 0, false
	}
	return uint16(v), true
}
