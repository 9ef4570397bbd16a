// Package ipaddr parses IP addresses from strings or byte slices in place,
// without converting one to the other. It accepts exactly what
// net/netip.ParseAddr accepts (FuzzParse checks it), but it never allocates:
// an IPv6 zone is located, not kept, and callers decide what a zone means.
//
// It is shared by the resolver, which reads header values that fasthttp
// hands over as []byte, and the PROXY protocol decoder.
package ipaddr

import "net/netip"

// Text is what the parsers read: a string, or a []byte read in place.
type Text interface{ ~string | ~[]byte }

// Parse parses a bare IPv4 or IPv6 address. It accepts exactly what
// netip.ParseAddr accepts, but an IPv6 zone is checked and then dropped, so
// the result never carries one. The zone offset (or -1) is returned so that
// callers with stricter rules can inspect it.
//
// It exists so that []byte input is parsed without being copied into a
// string; it is fuzzed differentially against netip.ParseAddr.
func Parse[T Text](s T) (netip.Addr, int, bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ':':
			return ParseIPv6(s)
		case '%':
			// A zone needs an IPv6 address in front of it. Scanning on
			// would let "1.2.3.4%a:b" reach the IPv6 parser.
			return netip.Addr{}, -1, false
		}
	}
	a, ok := ParseIPv4(s)
	return a, -1, ok
}

// ParseIPv4 parses dotted-quad IPv4. Leading zeros are rejected because
// some stacks read them as octal: "010.0.0.1" must not be guessed at.
func ParseIPv4[T Text](s T) (netip.Addr, bool) {
	ip, n, ok := ScanIPv4(s)
	return From4(ip), ok && n == len(s)
}

// From4 is netip.AddrFrom4 for an address held in a uint32.
func From4(ip uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)})
}

// ScanIPv4 parses the dotted quad at the start of s and returns it with
// the index where it ended. It is the hot path of every request (most
// peers and hops are IPv4), so it reads each byte once. A leading 0 must
// stand alone: "010.0.0.1" must not be guessed at, as some stacks read it
// as octal. A digit right after the quad makes it invalid.
func ScanIPv4[T Text](s T) (uint32, int, bool) {
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
func digitAt[T Text](s T, i int) (uint32, bool) {
	if uint(i) < uint(len(s)) {
		d := uint32(s[i]) - '0'
		return d, d <= 9
	}
	return 0, false
}

// ParseIPv6 parses an IPv6 address with an optional trailing "%zone".
// The "::" gap is opened once, at the end.
func ParseIPv6[T Text](s T) (netip.Addr, int, bool) {
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
			v4, end, ok := ScanIPv4(s[start:])
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
