package core

import "net/netip"

// text is what the parsers read: a string, or a []byte such as a fasthttp
// header value, read in place so that no conversion (and no allocation) is
// needed.
type text interface{ ~string | ~[]byte }

// hop is one parsed address token: the normalised address and, when the token
// carried one, its port.
type hop struct {
	addr    netip.Addr
	port    uint16
	hasPort bool
}

// parseIP parses a bare IPv4 or IPv6 address. It accepts exactly what
// netip.ParseAddr accepts, but an IPv6 zone is checked and then dropped, so
// the result never carries one. The zone offset (or -1) is returned so that
// callers with stricter rules can inspect it.
//
// It exists so that []byte input is parsed without being copied into a
// string; it is fuzzed differentially against netip.ParseAddr.
func parseIP[T text](s T) (netip.Addr, int, bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ':':
			return parseIPv6(s)
		case '%':
			// A zone needs an IPv6 address in front of it. Scanning on
			// would let "1.2.3.4%a:b" reach the IPv6 parser.
			return netip.Addr{}, -1, false
		}
	}
	a, ok := parseIPv4(s)
	return a, -1, ok
}

// parseIPv4 parses dotted-quad IPv4. Leading zeros are rejected because
// some stacks read them as octal: "010.0.0.1" must not be guessed at.
func parseIPv4[T text](s T) (netip.Addr, bool) {
	ip, n, ok := scanIPv4(s)
	return addr4(ip), ok && n == len(s)
}

// addr4 is netip.AddrFrom4 for an address held in a uint32.
func addr4(ip uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)})
}

// scanIPv4 parses the dotted quad at the start of s and returns it with
// the index where it ended. It is the hot path of every request (most
// peers and hops are IPv4), so it reads each byte once. A leading 0 must
// stand alone: "010.0.0.1" must not be guessed at, as some stacks read it
// as octal. A digit right after the quad makes it invalid.
func scanIPv4[T text](s T) (uint32, int, bool) {
	// Four octets, written out: a loop over them costs a fifth of the time.
	var (
		v, ip uint32
		ok    bool
	)
	i := 0
	v, ok = digitAt(s, i)
	if !ok {
		return 0, 0, false
	}
	i++
	if v != 0 {
		if d, ok := digitAt(s, i); ok {
			v = v*10 + d
			i++
			if d, ok := digitAt(s, i); ok {
				v = v*10 + d
				i++
			}
		}
		if v > 255 {
			return 0, 0, false
		}
	}
	ip = ip<<8 | v
	if i >= len(s) || s[i] != '.' {
		return 0, 0, false
	}
	i++
	v, ok = digitAt(s, i)
	if !ok {
		return 0, 0, false
	}
	i++
	if v != 0 {
		if d, ok := digitAt(s, i); ok {
			v = v*10 + d
			i++
			if d, ok := digitAt(s, i); ok {
				v = v*10 + d
				i++
			}
		}
		if v > 255 {
			return 0, 0, false
		}
	}
	ip = ip<<8 | v
	if i >= len(s) || s[i] != '.' {
		return 0, 0, false
	}
	i++
	v, ok = digitAt(s, i)
	if !ok {
		return 0, 0, false
	}
	i++
	if v != 0 {
		if d, ok := digitAt(s, i); ok {
			v = v*10 + d
			i++
			if d, ok := digitAt(s, i); ok {
				v = v*10 + d
				i++
			}
		}
		if v > 255 {
			return 0, 0, false
		}
	}
	ip = ip<<8 | v
	if i >= len(s) || s[i] != '.' {
		return 0, 0, false
	}
	i++
	v, ok = digitAt(s, i)
	if !ok {
		return 0, 0, false
	}
	i++
	if v != 0 {
		if d, ok := digitAt(s, i); ok {
			v = v*10 + d
			i++
			if d, ok := digitAt(s, i); ok {
				v = v*10 + d
				i++
			}
		}
		if v > 255 {
			return 0, 0, false
		}
	}
	ip = ip<<8 | v
	if _, ok := digitAt(s, i); ok {
		return 0, 0, false
	}
	return ip, i, true
}

// digitAt returns the value of s[i] if it is a decimal digit.
func digitAt[T text](s T, i int) (uint32, bool) {
	if uint(i) < uint(len(s)) {
		d := uint32(s[i]) - '0'
		return d, d <= 9
	}
	return 0, false
}

// parseIPv6 parses an IPv6 address with an optional trailing "%zone".
// The "::" gap is opened once, at the end.
func parseIPv6[T text](s T) (netip.Addr, int, bool) {
	var b [16]byte
	n := 0    // groups filled
	gap := -1 // the group index where "::" stands
	zone := -1
	i := 0
	if len(s) >= 2 && s[0] == ':' && s[1] == ':' {
		gap = 0
		i = 2
	}
	for i < len(s) {
		if s[i] == '%' {
			zone = i
			break
		}
		if n == 8 {
			return netip.Addr{}, -1, false
		}
		start := i
		var group uint32
		for i < len(s) && i-start <= 4 {
			d := hexValue[s[i]]
			if d > 15 {
				break
			}
			group = group<<4 | uint32(d)
			i++
		}
		if i == start || i-start > 4 {
			return netip.Addr{}, -1, false
		}
		if i < len(s) && s[i] == '.' {
			// A trailing dotted quad fills the last two groups.
			if n > 6 || (gap < 0 && n != 6) {
				return netip.Addr{}, -1, false
			}
			v4, end, ok := scanIPv4(s[start:])
			if !ok {
				return netip.Addr{}, -1, false
			}
			b[2*n], b[2*n+1], b[2*n+2], b[2*n+3] = byte(v4>>24), byte(v4>>16), byte(v4>>8), byte(v4)
			n += 2
			i = start + end
			if i < len(s) && s[i] != '%' {
				return netip.Addr{}, -1, false
			}
			continue // the zone, or the end
		}
		b[2*n], b[2*n+1] = byte(group>>8), byte(group)
		n++
		if i == len(s) || s[i] == '%' {
			continue
		}
		if s[i] != ':' || i+1 == len(s) {
			return netip.Addr{}, -1, false
		}
		i++
		switch s[i] {
		case ':':
			if gap >= 0 {
				return netip.Addr{}, -1, false
			}
			gap = n
			i++
		case '%':
			return netip.Addr{}, -1, false // a single ':' must be followed by a group
		}
	}
	if zone == len(s)-1 {
		return netip.Addr{}, -1, false // "%" must name a zone
	}
	if gap >= 0 {
		if n == 8 {
			return netip.Addr{}, -1, false // "::" must stand for at least one group
		}
		// Move the bytes after the gap to the end.
		for j, k := 2*n-1, 15; j >= 2*gap; j, k = j-1, k-1 {
			b[k], b[j] = b[j], 0
		}
	} else if n != 8 {
		return netip.Addr{}, -1, false
	}
	return netip.AddrFrom16(b), zone, true
}

// hexValue maps a byte to its value as a hex digit, or to 0xff.
var hexValue = func() (t [256]uint8) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = uint8(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = uint8(c-'a') + 10
		t[c-'a'+'A'] = uint8(c-'a') + 10
	}
	return t
}()

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
		h.addr, zone, ok = parseIPv6(inner)
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
	} else if ip, n, v4 := scanIPv4(s); v4 {
		// IPv4 or IPv4:port, the common case, parsed in one pass and
		// already normal: not mapped, no zone.
		if ip == 0 {
			return hop{}, false // 0.0.0.0
		}
		h.addr = addr4(ip)
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
		h.addr, zone, ok = parseIPv6(s)
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

func hasColon[T text](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return true
		}
	}
	return false
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

// trimSpace removes the spaces and horizontal tabs that HTTP allows around
// list elements. Nothing else is trimmed: a CR or LF inside a value is not
// optional whitespace and must make the token invalid.
func trimSpace[T text](s T) T {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return s[i:j]
}
