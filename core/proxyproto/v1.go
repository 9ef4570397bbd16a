package proxyproto

import (
	"bytes"
	"net/netip"

	"github.com/trustedip/trustedip/core/internal/ipaddr"
)

func parseV1(b []byte, h *Header) (int, *Error) {
	if !hasPrefixOf(b, v1Word) {
		return 0, errNoSig
	}
	if len(b) <= len(v1Word) {
		return 0, errShort
	}
	if b[len(v1Word)] != ' ' {
		return 0, errV1Space
	}
	if len(b) <= len(v1Sig) {
		return 0, errShort
	}
	line := b[:min(len(b), v1MaxLen)]
	lf := bytes.IndexByte(line, '\n')
	if lf < 0 {
		return 0, v1Prefix(line)
	}
	// lf > len(v1Sig): the signature holds no LF.
	if line[lf-1] != '\r' {
		return 0, errV1BareLF
	}
	if err := v1Fields(line[len(v1Sig):lf-1], h); err != nil {
		return 0, err
	}
	return lf + 1, nil
}

// v1Fields parses what lies between "PROXY " and the CRLF of a version 1
// line into h.
func v1Fields(s []byte, h *Header) *Error {
	h.Version, h.Command = 1, Proxy
	switch {
	case len(s) >= 5 && string(s[:5]) == "TCP4 ":
		h.Family, h.Transport = FamilyINET, TransportStream
	case len(s) >= 5 && string(s[:5]) == "TCP6 ":
		h.Family, h.Transport = FamilyINET6, TransportStream
	case len(s) >= 7 && string(s[:7]) == "UNKNOWN":
		// The receiver must ignore the rest of the line: only check that
		// the word ends where it should and that nothing in the rest
		// could be taken for the end of the line.
		rest := s[7:]
		if len(rest) > 0 && rest[0] != ' ' {
			return errV1Proto
		}
		if bytes.IndexByte(rest, '\r') >= 0 {
			return errV1CR
		}
		return nil
	default:
		return errV1Proto
	}
	s = s[5:]

	// Four fields: two addresses and two ports, separated by single
	// spaces. Each is scanned where it starts; an empty field (two spaces
	// in a row) fails its scanner.
	var src, dst netip.Addr
	if h.Family == FamilyINET {
		var n int
		var ok bool
		if src, n, ok = scanIPv4(s); !ok || n == len(s) || s[n] != ' ' {
			return v1FieldErr(ok && n == len(s), errV1Addr4)
		}
		s = s[n+1:]
		if dst, n, ok = scanIPv4(s); !ok || n == len(s) || s[n] != ' ' {
			return v1FieldErr(ok && n == len(s), errV1Addr4)
		}
		s = s[n+1:]
	} else {
		for _, a := range [...]*netip.Addr{&src, &dst} {
			sp := bytes.IndexByte(s, ' ')
			if sp < 0 {
				return errV1Fields
			}
			var ok bool
			if *a, ok = parseIPv6(s[:sp]); !ok {
				return errV1Addr6
			}
			s = s[sp+1:]
		}
	}
	sport, n, ok := scanPort(s)
	if !ok || n == len(s) || s[n] != ' ' {
		return v1FieldErr(ok && n == len(s), errV1Port)
	}
	s = s[n+1:]
	dport, n, ok := scanPort(s)
	if !ok || n != len(s) {
		// A fifth field shows up here, as a space after the last port.
		return v1FieldErr(ok && s[n] == ' ', errV1Port)
	}
	h.Source = netip.AddrPortFrom(src, sport)
	h.Destination = netip.AddrPortFrom(dst, dport)
	return nil
}

// v1FieldErr returns errV1Fields if the line has the wrong number of
// fields, and err (what is wrong with the field) if not.
func v1FieldErr(wrongCount bool, err *Error) *Error {
	if wrongCount {
		return errV1Fields
	}
	return err
}

// v1Prefix judges a version 1 line that has no LF yet: p starts with
// "PROXY " and is at most 107 bytes long. It returns errShort only if some
// bytes could still be appended to make a valid line of at most 107
// bytes; otherwise it says what is wrong.
func v1Prefix(p []byte) *Error {
	if p[len(p)-1] == '\r' {
		// Everything before the CR must be a whole line, and there must
		// be room for the LF.
		if bytes.IndexByte(p[:len(p)-1], '\r') >= 0 {
			return errV1CR
		}
		var h Header
		if err := v1Fields(p[len(v1Sig):len(p)-1], &h); err != nil {
			return err
		}
		if len(p) >= v1MaxLen {
			return errV1CannotFit
		}
		return errShort
	}
	if bytes.IndexByte(p, '\r') >= 0 {
		return errV1CR
	}
	need, err := v1Need(p[len(v1Sig):])
	if err != nil {
		return err
	}
	if len(p)+need+2 > v1MaxLen {
		if len(p) == v1MaxLen {
			return errV1TooLong
		}
		return errV1CannotFit
	}
	return errShort
}

// Shortest spellings of the fields, for working out how long a line that
// has not ended yet must at least become.
const (
	minTCP4Rest = len(" 0.0.0.0 0.0.0.0 0 0")
	minTCP6Rest = len(" :: :: 0 0")
	minAddr4    = len("0.0.0.0")
	minAddr6    = len("::")
	minPort     = len("0")
)

// v1Need checks s, the part of an unfinished version 1 line after
// "PROXY " (no CR, no LF), field by field: every field followed by a space
// must be valid, and the last one must be the start of a valid field. It
// returns how many bytes at least must still come before the CRLF.
func v1Need(s []byte) (int, *Error) {
	sp := bytes.IndexByte(s, ' ')
	if sp < 0 {
		// The protocol word itself is unfinished.
		best := -1
		for _, w := range [...]struct {
			word string
			rest int
		}{{"TCP4", minTCP4Rest}, {"TCP6", minTCP6Rest}, {"UNKNOWN", 0}} {
			if len(s) <= len(w.word) && string(s) == w.word[:len(s)] {
				if n := len(w.word) - len(s) + w.rest; best < 0 || n < best {
					best = n
				}
			}
		}
		if best < 0 {
			return 0, errV1Proto
		}
		return best, nil
	}
	var v6 bool
	switch string(s[:sp]) {
	case "UNKNOWN":
		return 0, nil
	case "TCP4":
	case "TCP6":
		v6 = true
	default:
		return 0, errV1Proto
	}
	s = s[sp+1:]
	minAddr := minAddr4
	if v6 {
		minAddr = minAddr6
	}
	for i := range 4 {
		sp := bytes.IndexByte(s, ' ')
		field := s
		if sp >= 0 {
			field = s[:sp]
		}
		var need int
		var ok bool
		if i >= 2 {
			need, ok = portNeed(field)
		} else {
			need, ok = addrNeed(field, v6)
		}
		if !ok || sp >= 0 && need > 0 {
			return 0, v1FieldError(i, v6)
		}
		if sp < 0 {
			// The last field that has begun: it and the ones after it
			// must still fit.
			for j := i + 1; j < 4; j++ {
				if j < 2 {
					need += 1 + minAddr
				} else {
					need += 1 + minPort
				}
			}
			return need, nil
		}
		if i == 3 {
			return 0, errV1Fields // a space after the last field
		}
		s = s[sp+1:]
	}
	return 0, errV1Fields // not reached: the loop returns
}

func v1FieldError(i int, v6 bool) *Error {
	switch {
	case i >= 2:
		return errV1Port
	case v6:
		return errV1Addr6
	}
	return errV1Addr4
}

// Appending one of these to the start of an address gives a valid address
// whenever one can be had at all. They are in order of length, so the
// first that works is the shortest. For IPv4: finish the octet (or start
// one after a dot) and add the missing octets. For IPv6: "" for a start
// that is valid already, "0" after a lone colon, ":" or "::" to close off
// with an ellipsis, and the IPv4 completions for an embedded dotted quad.
// TestAddrNeedComplete checks this against every prefix of many addresses.
var (
	ipv4Completions = [...]string{"", "0", ".0", "0.0", ".0.0", "0.0.0", ".0.0.0", "0.0.0.0"}
	ipv6Completions = [...]string{"", "0", ":", "::", ".0", "0.0", ".0.0", "0.0.0", ".0.0.0"}
)

// addrNeed reports whether field is the start of an IPv4 (or, if v6, an
// IPv6) address, and how many bytes at least it still lacks.
func addrNeed(field []byte, v6 bool) (int, bool) {
	// Fields come from a line of at most 107 bytes; the buffer has room
	// for one and the longest completion, and stays on the stack.
	var buf [v1MaxLen + 8]byte
	if len(field) > v1MaxLen {
		return 0, false
	}
	n := copy(buf[:], field)
	completions := ipv4Completions[:]
	if v6 {
		completions = ipv6Completions[:]
	}
	for _, c := range completions {
		a := append(buf[:n:n+len(c)], c...)
		var ok bool
		if v6 {
			_, ok = parseIPv6(a)
		} else {
			_, ok = parseIPv4(a)
		}
		if ok {
			return len(c), true
		}
	}
	return 0, false
}

// portNeed reports whether field is the start of a valid port and how many
// bytes it still lacks: one if it is empty, none if it is a port already.
// No other start can become a port: a digit after a valid port either
// makes it too large or it began with a zero.
func portNeed(field []byte) (int, bool) {
	if len(field) == 0 {
		return 1, true
	}
	_, ok := parsePort(field)
	return 0, ok
}

// scanPort reads the decimal port 0..65535 at the start of s, without
// leading zeros or sign, and returns it with the count of bytes read.
// Digits right after a valid port make it invalid, not shorter.
func scanPort(s []byte) (uint16, int, bool) {
	var v uint32
	n := 0
	for n < len(s) && n < 6 && s[n]-'0' <= 9 {
		v = v*10 + uint32(s[n]-'0')
		n++
	}
	if n == 0 || n > 5 || v > 0xffff || (n > 1 && s[0] == '0') {
		return 0, n, false
	}
	return uint16(v), n, true
}

// parsePort parses s as a whole as a port.
func parsePort(s []byte) (uint16, bool) {
	v, n, ok := scanPort(s)
	return v, ok && n == len(s)
}

// scanIPv4 reads the dotted quad at the start of s: four decimal numbers
// 0..255 without leading zeros, separated by single dots. It returns the
// address and the count of bytes read. A digit right after the quad makes
// it invalid rather than shorter ("1.2.3.45" is not "1.2.3.4").
func scanIPv4(s []byte) (netip.Addr, int, bool) {
	ip, n, ok := ipaddr.ScanIPv4(s)
	return ipaddr.From4(ip), n, ok
}

// parseIPv4 parses s as a whole as a dotted quad.
func parseIPv4(s []byte) (netip.Addr, bool) { return ipaddr.ParseIPv4(s) }

// parseIPv6 parses an IPv6 address in any of the standard textual forms,
// without a zone: a PROXY header describes a connection between two
// addresses, and a zone is local to the sender.
func parseIPv6(s []byte) (netip.Addr, bool) {
	a, zone, ok := ipaddr.ParseIPv6(s)
	return a, ok && zone < 0
}
