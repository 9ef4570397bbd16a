package proxyproto

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/netip"
	"strconv"
	"strings"
)

// errorf returns an *Error for a Header the encoders cannot write.
func errorf(k Kind, format string, args ...any) error {
	return newError(k, fmt.Sprintf(format, args...))
}

// AppendV1 appends h as a version 1 line to dst and returns the extended
// slice. h.Version is not consulted.
//
// Version 1 can only say "TCP over IPv4", "TCP over IPv6" or "unknown":
//   - Command must be Proxy; version 1 has no LOCAL.
//   - FamilyUnspec is written as "PROXY UNKNOWN\r\n"; Source and
//     Destination are not written, since a receiver ignores them.
//   - FamilyINET and FamilyINET6 need TransportStream and a valid Source
//     and Destination of that family (an IPv4-mapped IPv6 address counts
//     as IPv6), without a zone.
//   - TLVs cannot be carried and are left out; so is a checksum.
//
// Parse(AppendV1(h)) returns h for every h that Parse returned for a
// version 1 line.
func (h Header) AppendV1(dst []byte) ([]byte, error) {
	if h.Command != Proxy {
		return dst, errorf(KindUnsupported, "version 1 cannot express command %v", h.Command)
	}
	var word string
	switch h.Family {
	case FamilyUnspec:
		return append(dst, "PROXY UNKNOWN\r\n"...), nil
	case FamilyINET:
		word = "PROXY TCP4 "
	case FamilyINET6:
		word = "PROXY TCP6 "
	default:
		return dst, errorf(KindUnsupported, "version 1 cannot express family %v", h.Family)
	}
	if h.Transport != TransportStream {
		return dst, errorf(KindUnsupported, "version 1 cannot express transport %v", h.Transport)
	}
	if err := h.checkIPs(); err != nil {
		return dst, err
	}
	dst = append(dst, word...)
	dst = h.Source.Addr().AppendTo(dst)
	dst = append(dst, ' ')
	dst = h.Destination.Addr().AppendTo(dst)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(h.Source.Port()), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(h.Destination.Port()), 10)
	return append(dst, '\r', '\n'), nil
}

// checkIPs checks that Source and Destination fit h.Family, INET or INET6.
func (h Header) checkIPs() error {
	for _, f := range [...]struct {
		name string
		ap   netip.AddrPort
	}{{"Source", h.Source}, {"Destination", h.Destination}} {
		a := f.ap.Addr()
		ok := a.Is4()
		if h.Family == FamilyINET6 {
			ok = a.Is6() && a.Zone() == ""
		}
		if !ok {
			return errorf(KindMalformed, "%s %v is not an address of family %v without a zone", f.name, a, h.Family)
		}
	}
	return nil
}

// AppendV2 appends h as a version 2 header to dst and returns the extended
// slice. h.Version is not consulted.
//
// The header's own TLVs (from Parse) are written first, as they were
// received, then tlvs in order. A TLV of type TLVCRC32C in tlvs is a
// placeholder: its value is ignored and replaced by the checksum of the
// finished header, computed as the specification says. A header that
// Parse found checksummed gets a checksum too (at the end, unless tlvs has
// a placeholder). At most one checksum can be written.
//
// The TLVs must pass the checks Parse makes (a UNIQUE_ID of at most 128
// bytes, a well-formed SSL TLV), so that what AppendV2 writes, Parse
// reads. The family and transport must be a combination the
// specification defines; for Proxy, Source and Destination must be
// addresses of h.Family without a zone, or for FamilyUnix the paths must
// fit in 108 bytes and not end in NUL. For Local the address block is
// written as zeros: a receiver ignores it.
//
// Parse(AppendV2(h)) returns h for every h that Parse returned for a
// version 2 header.
func (h Header) AppendV2(dst []byte, tlvs ...TLV) ([]byte, error) {
	if h.Command != Local && h.Command != Proxy {
		return dst, errorf(KindUnsupported, "command %v", h.Command)
	}
	alen, ok := addrLen(h.Family, h.Transport)
	if !ok {
		return dst, errorf(KindUnsupported, "family %v with transport %v", h.Family, h.Transport)
	}
	if h.Command == Proxy {
		switch h.Family {
		case FamilyINET, FamilyINET6:
			if err := h.checkIPs(); err != nil {
				return dst, err
			}
		case FamilyUnix:
			for _, p := range [...]string{h.SourceUnix, h.DestinationUnix} {
				if len(p) > unixPathLen || strings.HasSuffix(p, "\x00") {
					return dst, errorf(KindMalformed, "Unix path %q is longer than 108 bytes or ends in NUL", p)
				}
			}
		}
	}

	size := alen + len(h.tlvs)
	placeholder := false
	for i, t := range tlvs {
		if len(t.Value) > maxTLVLen {
			return dst, errorf(KindMalformed, "TLV %d (%v) is longer than 65535 bytes", i, t.Type)
		}
		if t.Type == TLVCRC32C {
			if placeholder {
				return dst, errorf(KindMalformed, "more than one CRC32C TLV")
			}
			placeholder = true
			size += 3 + 4
			continue
		}
		if err := checkTLV(t.Type, t.Value); err != nil {
			return dst, errorf(KindMalformed, "TLV %d: %s", i, err.detail)
		}
		size += 3 + len(t.Value)
	}
	if h.checksummed && !placeholder {
		size += 3 + 4
	}
	if size > 0xffff {
		return dst, errorf(KindMalformed, "header would be %d bytes after the fixed part, more than 65535", size)
	}

	start := len(dst)
	dst = append(dst, v2Sig...)
	dst = append(dst, 0x20|byte(h.Command), byte(h.Family)<<4|byte(h.Transport), byte(size>>8), byte(size))
	if h.Command == Local {
		dst = append(dst, make([]byte, alen)...)
	} else {
		switch h.Family {
		case FamilyINET:
			s, d := h.Source.Addr().As4(), h.Destination.Addr().As4()
			dst = append(dst, s[:]...)
			dst = append(dst, d[:]...)
			dst = binary.BigEndian.AppendUint16(dst, h.Source.Port())
			dst = binary.BigEndian.AppendUint16(dst, h.Destination.Port())
		case FamilyINET6:
			s, d := h.Source.Addr().As16(), h.Destination.Addr().As16()
			dst = append(dst, s[:]...)
			dst = append(dst, d[:]...)
			dst = binary.BigEndian.AppendUint16(dst, h.Source.Port())
			dst = binary.BigEndian.AppendUint16(dst, h.Destination.Port())
		case FamilyUnix:
			for _, p := range [...]string{h.SourceUnix, h.DestinationUnix} {
				dst = append(dst, p...)
				dst = append(dst, make([]byte, unixPathLen-len(p))...)
			}
		}
	}
	dst = append(dst, h.tlvs...)
	crcAt := -1
	for _, t := range tlvs {
		if t.Type == TLVCRC32C {
			crcAt = len(dst) + 3
			dst = append(dst, byte(TLVCRC32C), 0, 4, 0, 0, 0, 0)
			continue
		}
		dst = append(dst, byte(t.Type), byte(len(t.Value)>>8), byte(len(t.Value)))
		dst = append(dst, t.Value...)
	}
	if crcAt < 0 && h.checksummed {
		crcAt = len(dst) + 3
		dst = append(dst, byte(TLVCRC32C), 0, 4, 0, 0, 0, 0)
	}
	if crcAt >= 0 {
		// The checksum field is still zero, as the sum requires.
		binary.BigEndian.PutUint32(dst[crcAt:], crc32.Checksum(dst[start:], castagnoli))
	}
	return dst, nil
}
