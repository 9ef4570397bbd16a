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
	// addrKeySize: every address is a 16-byte key. IPv4 is stored
	// IPv4-mapped (::ffff:a.b.c.d), so IPv4 and IPv6 share one map and an
	// IPv6 packet from ::ffff:a.b.c.d is the same source as IPv4 a.b.c.d,
	// as the rest of this project treats it.
	addrKeySize = 16
	// countValueSize: per-verdict value, packets then bytes.
	countValueSize = 16
	// sourceValueSize: per-source value, packets per verdict then bytes.
	sourceValueSize   = 8*NumVerdicts + 8
	sourceBytesOffset = 8 * NumVerdicts
)

// addrKey is the map key for a; zones are dropped, IPv4 is mapped.
func addrKey(a netip.Addr) [addrKeySize]byte { return a.WithZone("").As16() }

// keyAddr is the address a map key stands for, IPv4 unmapped.
func keyAddr(k [addrKeySize]byte) netip.Addr { return netip.AddrFrom16(k).Unmap() }

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
	return &Error{Op: "decode " + what, Kind: ErrOther,
		Err: errString(strconv.Itoa(got) + " bytes, want " + strconv.Itoa(want))}
}
