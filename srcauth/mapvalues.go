package srcauth

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// Layout of the eBPF maps' keys and values. The program (program_linux.go)
// writes them in the machine's byte order; these readers are the only place
// Go interprets them.
const (
	// addrKeySize: a source is the 16 bytes of its address, IPv4 stored
	// IPv4-mapped (::ffff:a.b.c.d), then a 32-bit family, 4 or 6, in the
	// machine's byte order. The family keeps an IPv6 packet from
	// ::ffff:a.b.c.d apart from the IPv4 host a.b.c.d: it is not that host
	// (see V4Mapped), and must neither match its deny entry nor be counted
	// as it.
	addrKeySize   = 20
	keyFamilyOff  = 16
	keyFamilyIPv4 = 4
	keyFamilyIPv6 = 6
	// countValueSize: per-verdict value, packets then bytes.
	countValueSize = 16
	// sourceValueSize: per-source value, packets per verdict then bytes.
	sourceValueSize   = 8*NumVerdicts + 8
	sourceBytesOffset = 8 * NumVerdicts
)

// addrKey is the deny set's key for a; a zone is dropped. An IPv4-mapped
// address is taken for the IPv4 host it names, as everywhere an operator
// configures addresses in this project: Deny(::ffff:192.0.2.1) denies the
// IPv4 host 192.0.2.1.
func addrKey(a netip.Addr) [addrKeySize]byte {
	a = a.Unmap()
	fam := uint32(keyFamilyIPv6)
	if a.Is4() {
		fam = keyFamilyIPv4
	}
	var k [addrKeySize]byte
	b := a.WithZone("").As16()
	copy(k[:], b[:])
	binary.NativeEndian.PutUint32(k[keyFamilyOff:], fam)
	return k
}

// keyAddr is the source a map key stands for: an IPv4 address for the
// IPv4 family, the 16 bytes as they are (an IPv4-mapped address stays
// mapped) otherwise. ok is false for a key the program never writes.
func keyAddr(k [addrKeySize]byte) (a netip.Addr, ok bool) {
	a = netip.AddrFrom16([16]byte(k[:16]))
	switch binary.NativeEndian.Uint32(k[keyFamilyOff:]) {
	case keyFamilyIPv4:
		return a.Unmap(), a.Is4In6()
	case keyFamilyIPv6:
		return a, true
	}
	return netip.Addr{}, false
}

// rawCount decodes one CPU's per-verdict value.
type rawCount Count

// UnmarshalBinary decodes the value; it fails on any other length.
func (c *rawCount) UnmarshalBinary(b []byte) error {
	if len(b) != countValueSize {
		return sizeError("verdict counter", len(b), countValueSize)
	}
	c.Packets = binary.NativeEndian.Uint64(b[0:8])
	c.Bytes = binary.NativeEndian.Uint64(b[8:16])
	return nil
}

// rawSource decodes one per-source value.
type rawSource struct {
	verdicts [NumVerdicts]uint64
	bytes    uint64
}

// UnmarshalBinary decodes the value; it fails on any other length.
func (s *rawSource) UnmarshalBinary(b []byte) error {
	if len(b) != sourceValueSize {
		return sizeError("source counter", len(b), sourceValueSize)
	}
	for i := range s.verdicts {
		s.verdicts[i] = binary.NativeEndian.Uint64(b[8*i:])
	}
	s.bytes = binary.NativeEndian.Uint64(b[sourceBytesOffset:])
	return nil
}

func sizeError(what string, got, want int) error {
	return newError("decode "+what, "", KindOther,
		errString(strconv.Itoa(got)+" bytes, want "+strconv.Itoa(want)))
}
