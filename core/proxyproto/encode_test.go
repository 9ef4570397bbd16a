package proxyproto

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"net/netip"
	"strings"
	"testing"
)

// TestRoundTrip re-encodes every valid header of the parse tables in its
// own version and parses it again: the Header must come back unchanged.
func TestRoundTrip(t *testing.T) {
	for _, tc := range append(append([]parseCase{}, v1Cases...), v2Cases...) {
		if tc.err != nil {
			continue
		}
		h := mustParse(t, tc.in)
		var enc []byte
		var err error
		if h.Version == 1 {
			enc, err = h.AppendV1(nil)
		} else {
			enc, err = h.AppendV2(nil)
		}
		if err != nil {
			t.Errorf("%s: encode: %v", tc.name, err)
			continue
		}
		if got := mustParse(t, string(enc)); got != h {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", tc.name, got, h)
		}
	}
}

// Canonical headers encode to exactly the bytes they were parsed from.
func TestEncodeCanonical(t *testing.T) {
	for _, in := range []string{
		"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
		"PROXY TCP6 2001:db8::1 2001:db8::2 51234 443\r\n",
		"PROXY TCP6 ::ffff:192.0.2.1 ::1 0 65535\r\n",
		"PROXY UNKNOWN\r\n",
		"\r\n\r\n\x00\r\nQUIT\n!\x11\x00\x0c\xac\x13\x00\x01\xac\x13\x00\x03\xa6R\x00P",
		v2(0x21, 0x22, in6("2001:db8::1", "2001:db8::2", 1, 2), tlv(TLVALPN, "h3")),
		v2(0x21, 0x32, unixBlock("/a", "/b")),
		v2(0x20, 0x00),
		seal(v2(0x21, 0x11, in4("10.0.0.1", "10.0.0.2", 1, 2), tlv(TLVAuthority, "a.example"), crcPlaceholder), 16+12+3+9),
	} {
		h := mustParse(t, in)
		enc, err := h.AppendV1(nil)
		if h.Version == 2 {
			enc, err = h.AppendV2(nil)
		}
		if err != nil || string(enc) != in {
			t.Errorf("encode(Parse(%q)) = %q, %v", in, enc, err)
		}
	}
}

func TestAppendV2TLVs(t *testing.T) {
	h := Header{Command: Proxy, Family: FamilyINET6, Transport: TransportStream,
		Source: ap("[2001:db8::7]:51234"), Destination: ap("[2001:db8::1]:443")}
	enc, err := h.AppendV2([]byte("prefix:"),
		TLV{Type: TLVALPN, Value: []byte("h2")},
		TLV{Type: TLVCRC32C, Value: []byte("ignored")},
		TLV{Type: TLVNoop, Value: make([]byte, 5)},
		TLV{Type: TLVAuthority, Value: []byte("example.com")},
		TLV{Type: TLVSSL, Value: []byte(ssl(1, 0, tlv(SSLSubVersion, "TLSv1.3")))},
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(enc), "prefix:") {
		t.Fatalf("AppendV2 did not append: %q", enc)
	}
	enc = enc[len("prefix:"):]

	// The checksum is the one the specification defines, computed here
	// independently: CRC32C of the header with the field zeroed.
	crcAt := 16 + 36 + 3 + 2 + 3
	if enc[crcAt-3] != byte(TLVCRC32C) {
		t.Fatalf("CRC32C TLV not where the placeholder was: %x", enc)
	}
	zeroed := append([]byte(nil), enc...)
	copy(zeroed[crcAt:crcAt+4], []byte{0, 0, 0, 0})
	if got, want := binary.BigEndian.Uint32(enc[crcAt:]), crc32.Checksum(zeroed, crc32.MakeTable(crc32.Castagnoli)); got != want {
		t.Errorf("checksum = %#x, want %#x", got, want)
	}

	got := mustParse(t, string(enc))
	if !got.Checksummed() {
		t.Error("parsed header is not checksummed")
	}
	if a, _ := got.ALPN(); string(a) != "h2" {
		t.Errorf("ALPN = %q", a)
	}
	if a, _ := got.Authority(); a != "example.com" {
		t.Errorf("Authority = %q", a)
	}
	if s, ok := got.SSL(); !ok || s.Version != "TLSv1.3" {
		t.Errorf("SSL = %+v, %v", s, ok)
	}
	if got.Source != h.Source || got.Destination != h.Destination {
		t.Errorf("addresses = %v %v", got.Source, got.Destination)
	}

	// Passing a header on keeps its TLVs and its checksum, and adds new
	// TLVs after them.
	again, err := got.AppendV2(nil, TLV{Type: TLVUniqueID, Value: []byte("hop-2")})
	if err != nil {
		t.Fatal(err)
	}
	next := mustParse(t, string(again))
	if !next.Checksummed() || len(next.TLVs()) != 4 {
		t.Errorf("forwarded header: checksummed %v, TLVs %v", next.Checksummed(), next.TLVs())
	}
	if id, _ := next.UniqueID(); string(id) != "hop-2" {
		t.Errorf("UniqueID = %q", id)
	}
}

func TestEncodeErrors(t *testing.T) {
	v4 := Header{Command: Proxy, Family: FamilyINET, Transport: TransportStream, Source: ap("1.2.3.4:1"), Destination: ap("5.6.7.8:2")}
	v6 := Header{Command: Proxy, Family: FamilyINET6, Transport: TransportStream, Source: ap("[2001:db8::1]:1"), Destination: ap("[2001:db8::2]:2")}
	with := func(h Header, f func(*Header)) Header { f(&h); return h }
	zoned := netip.AddrPortFrom(netip.MustParseAddr("fe80::1%eth0"), 1)

	v1 := []struct {
		name string
		h    Header
		kind Kind
	}{
		{"LOCAL", with(v4, func(h *Header) { h.Command = Local }), KindUnsupported},
		{"command 5", with(v4, func(h *Header) { h.Command = 5 }), KindUnsupported},
		{"UNIX", Header{Command: Proxy, Family: FamilyUnix, Transport: TransportStream}, KindUnsupported},
		{"UDP", with(v4, func(h *Header) { h.Transport = TransportDatagram }), KindUnsupported},
		{"IPv6 in INET", with(v4, func(h *Header) { h.Source = v6.Source }), KindMalformed},
		{"IPv4 in INET6", with(v6, func(h *Header) { h.Destination = v4.Destination }), KindMalformed},
		{"invalid source", with(v4, func(h *Header) { h.Source = netip.AddrPort{} }), KindMalformed},
		{"zone", with(v6, func(h *Header) { h.Source = zoned }), KindMalformed},
	}
	for _, c := range v1 {
		out, err := c.h.AppendV1([]byte("x"))
		var pe *Error
		if !errors.As(err, &pe) || pe.Kind() != c.kind || string(out) != "x" {
			t.Errorf("AppendV1 %s: %q, %v; want kind %v and dst unchanged", c.name, out, err, c.kind)
		}
	}

	v2 := []struct {
		name string
		h    Header
		tlvs []TLV
		kind Kind
	}{
		{"command 2", with(v4, func(h *Header) { h.Command = 2 }), nil, KindUnsupported},
		{"INET with UNSPEC transport", with(v4, func(h *Header) { h.Transport = TransportUnspec }), nil, KindUnsupported},
		{"UNSPEC with STREAM", Header{Command: Proxy, Transport: TransportStream}, nil, KindUnsupported},
		{"family 4", with(v4, func(h *Header) { h.Family = 4 }), nil, KindUnsupported},
		{"IPv6 in INET", with(v4, func(h *Header) { h.Destination = v6.Destination }), nil, KindMalformed},
		{"zone", with(v6, func(h *Header) { h.Destination = zoned }), nil, KindMalformed},
		{"Unix path too long", Header{Command: Proxy, Family: FamilyUnix, Transport: TransportStream, SourceUnix: strings.Repeat("p", 109)}, nil, KindMalformed},
		{"Unix path ending in NUL", Header{Command: Proxy, Family: FamilyUnix, Transport: TransportStream, DestinationUnix: "/a\x00"}, nil, KindMalformed},
		{"TLV too long", v4, []TLV{{Type: 0xF0, Value: make([]byte, 0x10000)}}, KindMalformed},
		{"header too long", v4, []TLV{{Type: 0xF0, Value: make([]byte, 0xffff-12-2)}}, KindMalformed},
		{"UNIQUE_ID too long", v4, []TLV{{Type: TLVUniqueID, Value: make([]byte, 129)}}, KindMalformed},
		{"SSL too short", v4, []TLV{{Type: TLVSSL, Value: []byte{1}}}, KindMalformed},
		{"SSL sub-TLV overruns", v4, []TLV{{Type: TLVSSL, Value: []byte(ssl(1, 0, "\x21\x00\x05ab"))}}, KindMalformed},
		{"two checksums", v4, []TLV{{Type: TLVCRC32C}, {Type: TLVCRC32C}}, KindMalformed},
	}
	for _, c := range v2 {
		out, err := c.h.AppendV2([]byte("x"), c.tlvs...)
		var pe *Error
		if !errors.As(err, &pe) || pe.Kind() != c.kind || string(out) != "x" {
			t.Errorf("AppendV2 %s: %.40q, %v; want kind %v and dst unchanged", c.name, out, err, c.kind)
		}
	}

	// The largest header that fits is fine.
	if _, err := v4.AppendV2(nil, TLV{Type: 0xF0, Value: make([]byte, 0xffff-12-3)}); err != nil {
		t.Errorf("largest header: %v", err)
	}
}

// LOCAL writes a zero address block, whatever the addresses say.
func TestAppendV2Local(t *testing.T) {
	h := Header{Command: Local, Family: FamilyINET, Transport: TransportStream, Source: ap("[::1]:1")}
	enc, err := h.AppendV2(nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := v2(0x20, 0x11, strings.Repeat("\x00", 12)); string(enc) != want {
		t.Errorf("AppendV2 = %q, want %q", enc, want)
	}
	if got := mustParse(t, string(enc)); got != (Header{Version: 2, Command: Local, Family: FamilyINET, Transport: TransportStream}) {
		t.Errorf("Parse = %+v", got)
	}
}
