package proxyproto

import (
	"errors"
	"testing"
)

// Sinks keep the compiler from discarding the work.
var (
	sinkHeader Header
	sinkN      int
	sinkErr    error
)

// allocCases are headers with the number of allocations Parse may make
// for them: none, except one string for the TLVs (and, for FamilyUnix,
// the two paths).
var allocCases = []struct {
	name string
	in   string
	max  float64
}{
	{"v1 TCP4", "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n", 0},
	{"v1 TCP6", "PROXY TCP6 2001:db8::1 2001:db8::2 51234 443\r\n", 0},
	{"v1 UNKNOWN", "PROXY UNKNOWN\r\n", 0},
	{"v2 TCP4", v2(0x21, 0x11, in4("203.0.113.7", "192.0.2.1", 51234, 443)), 0},
	{"v2 TCP6", v2(0x21, 0x21, in6("2001:db8::7", "2001:db8::1", 51234, 443)), 0},
	{"v2 LOCAL", v2(0x20, 0x00), 0},
	{"v2 TCP6 with 3 TLVs", v2(0x21, 0x21, in6("2001:db8::7", "2001:db8::1", 51234, 443),
		tlv(TLVALPN, "h2"), tlv(TLVAuthority, "example.com"), tlv(TLVUniqueID, "0123456789abcdef")), 1},
	{"v2 with NOOP, CRC32C and SSL", seal(v2(0x21, 0x11, in4("203.0.113.7", "192.0.2.1", 51234, 443),
		tlv(TLVNoop, "\x00"), crcPlaceholder, tlv(TLVSSL, ssl(1, 0, tlv(SSLSubVersion, "TLSv1.3")))), 16+12+4), 1},
	{"v2 with only NOOP and CRC32C", seal(v2(0x21, 0x11, in4("203.0.113.7", "192.0.2.1", 51234, 443),
		tlv(TLVNoop, "\x00"), crcPlaceholder), 16+12+4), 0},
	{"v2 UNIX", v2(0x21, 0x31, unixBlock("/a", "/b")), 2},
	{"error: incomplete v1", "PROXY TCP6 2001:db8::1 2001:db8::2 51234", 0},
	{"error: incomplete v2", v2(0x21, 0x11, in4("203.0.113.7", "192.0.2.1", 51234, 443))[:20], 0},
	{"error: malformed v1", "PROXY TCP4 1.2.3.4 5.6.7.8 080 1\r\n", 0},
	{"error: checksum", v2(0x21, 0x00, tlv(TLVCRC32C, "abcd")), 0},
	{"error: no header", "GET / HTTP/1.1\r\n", 0},
}

func TestParseAllocs(t *testing.T) {
	for _, c := range allocCases {
		b := []byte(c.in)
		got := testing.AllocsPerRun(1000, func() {
			sinkHeader, sinkN, sinkErr = Parse(b)
		})
		if got > c.max {
			t.Errorf("%s: Parse allocates %v times, want at most %v", c.name, got, c.max)
		}
		t.Logf("%s: %v allocs", c.name, got)
	}
}

// The accessors that return strings share the header's memory.
func TestAccessorAllocs(t *testing.T) {
	h, _, err := Parse([]byte(v2(0x21, 0x00, tlv(TLVAuthority, "example.com"),
		tlv(TLVSSL, ssl(1, 0, tlv(SSLSubVersion, "TLSv1.3"))), tlv(TLVAWS, "\x01vpce-1"),
		tlv(TLVAzure, "\x01\x01\x00\x00\x00"), tlv(TLVGCP, "\x00\x00\x00\x00\x00\x00\x00\x01"))))
	if err != nil {
		t.Fatal(err)
	}
	got := testing.AllocsPerRun(1000, func() {
		a, _ := h.Authority()
		s, _ := h.SSL()
		v, _ := h.AWSVPCEndpointID()
		z, _ := h.AzurePrivateLinkID()
		g, _ := h.GCPPSCConnectionID()
		if a == "" || s.Version == "" || v == "" || z == 0 || g == 0 {
			sinkErr = errors.New("missing")
		}
	})
	if got != 0 {
		t.Errorf("string accessors allocate %v times", got)
	}
}

func BenchmarkParse(b *testing.B) {
	for _, c := range allocCases {
		in := []byte(c.in)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				sinkHeader, sinkN, sinkErr = Parse(in)
			}
		})
	}
}
