package proxyproto

import (
	"encoding/binary"
	"hash/crc32"
	"net/netip"
	"strings"
)

const (
	// v1Word marks a version 1 header: the specification's detection
	// rule parses any input that starts with it as version 1, so
	// "PROXY\r\n" is a malformed header, not application data.
	v1Word = "PROXY"
	// v1Sig starts every valid version 1 header: the word and its one
	// space.
	v1Sig = v1Word + " "
	// v1MaxLen is the longest version 1 line, CRLF included.
	v1MaxLen = 107
	// v2Sig starts every version 2 header. Its NUL, CRs and LFs make it
	// unlike the start of any text protocol.
	v2Sig = "\r\n\r\n\x00\r\nQUIT\n"
	// v2FixedLen is the size of the fixed part of a version 2 header:
	// signature, version and command, family and transport, length.
	v2FixedLen = 16
	// unixPathLen is the size of one path in a FamilyUnix address block.
	unixPathLen = 108
)

var (
	// castagnoli is the CRC32C table; crc32 uses the CPU's instruction
	// for it where there is one.
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	// zeroCRC stands in for the checksum field while it is summed. A
	// package variable, as a local array would escape into crc32.
	zeroCRC [4]byte
)

// Parse decodes the PROXY protocol header at the start of b and returns it
// with its length n in bytes. b may hold more than the header: the bytes
// from b[n:] on are the start of the relayed stream.
//
// Every error is an *Error. Its kind says what to do next:
//
//   - ErrIncomplete: b is a strict prefix of a header that may still turn
//     out valid (an empty b is one). Read more and call Parse again with
//     everything read so far. A prefix that can no longer become a valid
//     header is reported as what it is as soon as the deciding byte
//     arrives: for version 1, exactly (no completion within 107 bytes
//     exists); for version 2, as each fixed byte, the length, and each TLV
//     header (and SSL sub-TLV header) arrives. The checksum can only be
//     judged on the whole header.
//   - ErrNoHeader: b does not start with "PROXY" or the version 2
//     signature; decided at the first byte that differs.
//   - ErrMalformed, ErrUnsupported, ErrTooLong, ErrChecksum: b starts with
//     a signature but is not a valid header. Drop the connection.
//
// Parse never reads beyond b and never panics. It does not allocate,
// except one string for the TLVs of a version 2 header that has any, and
// the two paths of a FamilyUnix one.
//
// # Version 1
//
// A line "PROXY <proto> <src> <dst> <sport> <dport>\r\n" of at most 107
// bytes, CRLF included, with single spaces. <proto> is TCP4 or TCP6, or
// UNKNOWN, which may be followed by a space and anything up to the CRLF
// (ignored; the Header has Family FamilyUnspec and no addresses). Input
// that starts with "PROXY" is a version 1 header, as the specification's
// detection rule says, so "PROXY" followed by anything but a space is
// malformed.
//
//   - TCP4 addresses are dotted quads of decimal numbers 0..255 without
//     leading zeros ("010.0.0.1" is rejected: some stacks read it as
//     octal).
//   - TCP6 addresses are IPv6 addresses without a zone, in any of the
//     standard textual forms, including an embedded dotted quad such as
//     "::ffff:192.0.2.1". IPv4-mapped addresses are accepted because
//     HAProxy writes them when the client and the server side of a
//     connection have different families; they are reported as sent
//     (FamilyINET6, a 16-byte address) and unmapped later, by core. A bare
//     IPv4 address in a TCP6 line, or an IPv6 one in a TCP4 line, is
//     rejected.
//   - Ports are decimal numbers 0..65535 without leading zeros or a sign
//     ("0" itself is valid).
//   - The line ends with CR LF. A bare LF, or a CR anywhere else in the
//     line, is malformed.
//
// # Version 2
//
// The 12-byte signature, a version nibble that must be 2, a command
// nibble that must be LOCAL (0) or PROXY (1), a family and transport byte
// that must be one of the seven the specification defines, and a 16-bit
// length of what follows: the address block, then TLVs.
//
//   - For Proxy, the address block of the family (12 bytes for INET, 36
//     for INET6, 216 for UNIX) must fit in the length; the addresses are
//     decoded. FamilyUnspec has no address block and no addresses: what
//     follows the fixed part is read as TLVs, as HAProxy writes them.
//   - For Local, the addresses are not decoded: the specification says to
//     use the socket's endpoints and ignore the family. If the length
//     holds the family's address block, what follows it is read as TLVs
//     (so that a checksum on a health check is verified); if it does not,
//     the whole of it is skipped: the specification tells receivers to
//     skip the length of a LOCAL header without assuming what it holds,
//     and some load balancers send a family with no block at all.
//   - Every TLV must lie within the length, and together they must fill
//     it exactly. A CRC32C TLV must be 4 bytes and appear at most once; it
//     is verified over the whole header with its own value zeroed. A
//     UNIQUE_ID TLV must be at most 128 bytes. An SSL TLV must hold its
//     5-byte client and verify fields and sub-TLVs that fill it exactly.
//     Other TLVs, including the cloud providers' ones, are kept as they
//     are and checked only when their accessor reads them.
func Parse(b []byte) (h Header, n int, err error) {
	// The parsers fill in h where it lies, rather than return Headers
	// that would be copied at every level: half the cost of a short
	// header was copying.
	var e *Error
	switch {
	case len(b) == 0:
		e = errEmpty
	case b[0] == v1Sig[0]:
		n, e = parseV1(b, &h)
	case b[0] == v2Sig[0]:
		n, e = parseV2(b, &h)
	default:
		e = errNoSig
	}
	if e != nil {
		return Header{}, 0, e
	}
	return h, n, nil
}

// HeaderLen returns the length of the header that b begins, once b shows
// it: a version 2 header states its length in its 16 fixed bytes, before
// the rest arrives. It reports false while b is shorter than that, for
// version 1, whose line ends wherever its CRLF is, and for anything that
// does not start with the version 2 signature. It checks nothing else;
// Parse does.
//
// A reader that gets a long header in small pieces uses it to wait for
// the whole header rather than parse every prefix of it again, which
// would cost time quadratic in the header's length (up to 64 KiB).
func HeaderLen(b []byte) (int, bool) {
	if len(b) < v2FixedLen || string(b[:len(v2Sig)]) != v2Sig {
		return 0, false
	}
	return v2FixedLen + int(binary.BigEndian.Uint16(b[14:16])), true
}

// hasPrefixOf reports whether the first min(len(b), len(sig)) bytes of b
// match sig: whether b is still on its way to starting with sig.
func hasPrefixOf(b []byte, sig string) bool {
	n := min(len(b), len(sig))
	return string(b[:n]) == sig[:n]
}

func parseV2(b []byte, h *Header) (int, *Error) {
	if !hasPrefixOf(b, v2Sig) {
		return 0, errNoSig
	}
	// Each fixed byte is judged as soon as it is there, so a header that
	// cannot be valid is rejected without waiting for the rest of it.
	if len(b) <= 12 {
		return 0, errShort
	}
	if b[12]>>4 != 2 {
		return 0, errV2Version
	}
	cmd := Command(b[12] & 0x0f)
	if cmd != Local && cmd != Proxy {
		return 0, errV2Command
	}
	if len(b) <= 13 {
		return 0, errShort
	}
	fam, tr := Family(b[13]>>4), Transport(b[13]&0x0f)
	alen, ok := addrLen(fam, tr)
	if !ok {
		return 0, errV2Family
	}
	if len(b) < v2FixedLen {
		return 0, errShort
	}
	end := v2FixedLen + int(binary.BigEndian.Uint16(b[14:16]))

	tlvStart := v2FixedLen + alen
	if tlvStart > end {
		if cmd == Proxy {
			return 0, errV2AddrLen
		}
		// A LOCAL header whose length does not hold the address block
		// of the family it names: skip the length, read nothing.
		tlvStart = end
	}

	// Read no further than the header, nor than b.
	avail := b[:min(len(b), end)]
	kept, crcAt, err := checkTLVs(avail, tlvStart, end)
	if err != nil {
		return 0, err
	}
	if len(avail) < end {
		return 0, errShort
	}
	if crcAt >= 0 {
		if !crcMatches(avail, crcAt) {
			return 0, errCRC
		}
		h.checksummed = true
	}

	h.Version, h.Command, h.Family, h.Transport = 2, cmd, fam, tr
	if cmd == Proxy {
		a := avail[v2FixedLen:]
		switch fam {
		case FamilyINET:
			h.Source = netip.AddrPortFrom(netip.AddrFrom4([4]byte(a[0:4])), binary.BigEndian.Uint16(a[8:10]))
			h.Destination = netip.AddrPortFrom(netip.AddrFrom4([4]byte(a[4:8])), binary.BigEndian.Uint16(a[10:12]))
		case FamilyINET6:
			h.Source = netip.AddrPortFrom(netip.AddrFrom16([16]byte(a[0:16])), binary.BigEndian.Uint16(a[32:34]))
			h.Destination = netip.AddrPortFrom(netip.AddrFrom16([16]byte(a[16:32])), binary.BigEndian.Uint16(a[34:36]))
		case FamilyUnix:
			h.SourceUnix = unixPath(a[:unixPathLen])
			h.DestinationUnix = unixPath(a[unixPathLen : 2*unixPathLen])
		}
	}
	if kept > 0 {
		h.tlvs = keepTLVs(avail[tlvStart:end], kept)
	}
	return end, nil
}

// unixPath returns a FamilyUnix path field without its trailing NULs.
func unixPath(f []byte) string {
	n := len(f)
	for n > 0 && f[n-1] == 0 {
		n--
	}
	return string(f[:n])
}

// crcMatches verifies the CRC32C TLV whose value starts at hdr[at]: the
// checksum of the whole header with those 4 bytes read as zeros must equal
// them. The header is not modified (it is the caller's buffer).
func crcMatches(hdr []byte, at int) bool {
	sum := crc32.Update(0, castagnoli, hdr[:at])
	sum = crc32.Update(sum, castagnoli, zeroCRC[:])
	sum = crc32.Update(sum, castagnoli, hdr[at+4:])
	return sum == binary.BigEndian.Uint32(hdr[at:at+4])
}

// keepTLVs returns the TLVs of region, which checkTLVs accepted, as one
// string without the NOOP and CRC32C ones; kept is their total size. This
// is Parse's one allocation.
func keepTLVs(region []byte, kept int) string {
	if kept == len(region) {
		return string(region)
	}
	var sb strings.Builder
	sb.Grow(kept)
	for off := 0; off < len(region); {
		next := off + 3 + int(binary.BigEndian.Uint16(region[off+1:off+3]))
		if t := TLVType(region[off]); t != TLVNoop && t != TLVCRC32C {
			sb.Write(region[off:next])
		}
		off = next
	}
	return sb.String()
}

// checkTLVs checks the TLVs that run from b[off] to b[end], where b may
// stop short of end because the header has not fully arrived. It reads
// only b, and rejects what can already be seen to be wrong: a TLV whose
// type and length bytes have arrived must fit before end even if its value
// has not. It returns the total size of the TLVs to keep (not NOOP, not
// CRC32C) and the offset of the CRC32C value, or -1 if there is none.
func checkTLVs(b []byte, off, end int) (kept, crcAt int, err *Error) {
	crcAt = -1
	for off < end {
		if off+3 > end {
			return 0, 0, errTLVHeader
		}
		if off+3 > len(b) {
			// Cut off inside the TLV's own header: judge what is there.
			if off < len(b) {
				t := TLVType(b[off])
				if t == TLVCRC32C && crcAt >= 0 {
					return 0, 0, errTLVCRCTwice
				}
				lo, hi := 0, maxTLVLen
				if off+1 < len(b) {
					lo = int(b[off+1]) << 8
					hi = lo | 0xff
				}
				return 0, 0, checkTLVLen(t, lo, hi, end-off-3)
			}
			return 0, 0, nil
		}
		t := TLVType(b[off])
		n := int(binary.BigEndian.Uint16(b[off+1 : off+3]))
		val := off + 3
		if err := checkTLVLen(t, n, n, end-val); err != nil {
			return 0, 0, err
		}
		switch t {
		case TLVNoop:
		case TLVCRC32C:
			if crcAt >= 0 {
				return 0, 0, errTLVCRCTwice
			}
			crcAt = val
		case TLVSSL:
			if err := checkSSL(b[val:min(val+n, len(b))], n); err != nil {
				return 0, 0, err
			}
			kept += 3 + n
		default:
			kept += 3 + n
		}
		off = val + n
	}
	return kept, crcAt, nil
}

// checkTLVLen checks the length of a TLV of type t, of which it is known
// that it lies between lo and hi, and that at most room bytes are left for
// the value: the types the specification sizes must have their size.
func checkTLVLen(t TLVType, lo, hi, room int) *Error {
	switch t {
	case TLVCRC32C:
		if lo > 4 || hi < 4 {
			return errTLVCRCLen
		}
		lo = 4
	case TLVUniqueID:
		if lo > maxUniqueIDLen {
			return errTLVUniqueIDLen
		}
	case TLVSSL:
		if hi < sslFixedLen {
			return errTLVSSLShort
		}
		lo = max(lo, sslFixedLen)
	}
	if lo > room {
		return errTLVValue
	}
	return nil
}

// checkSSL checks the structure of an SSL TLV value n bytes long, of which
// v holds the part that has arrived: after the client and verify fields,
// sub-TLVs that fill it exactly.
func checkSSL(v []byte, n int) *Error {
	for off := sslFixedLen; off < n; {
		if off+3 > n {
			return errTLVSSLSub
		}
		if off+1 < len(v) && off+3+int(v[off+1])<<8 > n {
			return errTLVSSLSub
		}
		if off+3 > len(v) {
			return nil
		}
		off += 3 + int(binary.BigEndian.Uint16(v[off+1:off+3]))
		if off > n {
			return errTLVSSLSub
		}
	}
	return nil
}

// checkTLV checks a whole TLV the way Parse does; the encoder uses it.
func checkTLV(t TLVType, v []byte) *Error {
	if err := checkTLVLen(t, len(v), len(v), len(v)); err != nil {
		return err
	}
	if t == TLVSSL {
		return checkSSL(v, len(v))
	}
	return nil
}
