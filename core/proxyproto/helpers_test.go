package proxyproto

import (
	"encoding/binary"
	"hash/crc32"
	"net/netip"
	"strings"
)

// Builders for version 2 headers, written from the specification's layout
// rather than with the encoder under test.

const sig2 = "\r\n\r\n\x00\r\nQUIT\n"

// v2 returns a version 2 header with the given version/command and
// family/transport bytes, and a length field that covers body exactly.
func v2(verCmd, famTr byte, body ...string) string {
	b := strings.Join(body, "")
	return v2len(verCmd, famTr, len(b), b)
}

// v2len is v2 with an explicit length field, which need not match body.
func v2len(verCmd, famTr byte, length int, body ...string) string {
	return sig2 + string([]byte{verCmd, famTr, byte(length >> 8), byte(length)}) + strings.Join(body, "")
}

// tlv returns one TLV.
func tlv(t TLVType, v string) string {
	return string([]byte{byte(t), byte(len(v) >> 8), byte(len(v))}) + v
}

// in4 is an INET address block.
func in4(src, dst string, sp, dp uint16) string {
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	b := append(s[:], d[:]...)
	b = binary.BigEndian.AppendUint16(b, sp)
	b = binary.BigEndian.AppendUint16(b, dp)
	return string(b)
}

// in6 is an INET6 address block.
func in6(src, dst string, sp, dp uint16) string {
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	b := append(s[:], d[:]...)
	b = binary.BigEndian.AppendUint16(b, sp)
	b = binary.BigEndian.AppendUint16(b, dp)
	return string(b)
}

// unixBlock is a UNIX address block.
func unixBlock(src, dst string) string {
	pad := func(p string) string { return p + strings.Repeat("\x00", 108-len(p)) }
	return pad(src) + pad(dst)
}

// ssl returns the value of an SSL TLV.
func ssl(client byte, verify uint32, subs ...string) string {
	b := []byte{client}
	b = binary.BigEndian.AppendUint32(b, verify)
	return string(b) + strings.Join(subs, "")
}

var testCastagnoli = crc32.MakeTable(crc32.Castagnoli)

// crcPlaceholder is a CRC32C TLV with a zero value, for seal to fill in.
var crcPlaceholder = tlv(TLVCRC32C, "\x00\x00\x00\x00")

// seal fills in the value of the CRC32C TLV that starts at byte at of
// header h (its 3-byte TLV header, then 4 zero bytes), as the
// specification says: the CRC32C of the whole header with the field zero.
func seal(h string, at int) string {
	b := []byte(h)
	binary.BigEndian.PutUint32(b[at+3:], crc32.Checksum(b, testCastagnoli))
	return string(b)
}

// ap parses an address and port.
func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
