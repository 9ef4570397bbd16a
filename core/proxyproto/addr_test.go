package proxyproto

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

// textAddrCases are address tokens for the differential test against
// netip.ParseAddr; FuzzTextAddr starts from them.
var textAddrCases = []string{
	"", "0.0.0.0", "1.2.3.4", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1.2.3", "1.2.3.4.5",
	"1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "0x1.2.3.4", "1234.1.1.1", "1.2.3.4%eth0",
	"::", "::1", "1::", "1::2", "2001:db8::1", "2001:DB8::A", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
	"1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1:2:3:4::5:6:7:8", "1::2::3", ":1", "1:", ":::",
	"12345::1", "0000:0000:0000:0000:0000:0000:0000:0000", "::ffff:1.2.3.4", "::ffff:0102:0304", "::1.2.3.4",
	"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5::1.2.3.4", "1:2:3:4:5:6::1.2.3.4", "::ffff:01.2.3.4",
	"::ffff:1.2.3", "::ffff:1.2.3.4.5", "::ffff:256.2.3.4", "fe80::1%eth0", "fe80::1%", "[::1]", "::g", "1.2.3.4::",
	"::1.2.3.4:5", "64:ff9b::1.2.3.4", "1:2:3:4:5:6:7:8%z", "::ffff:1.2.3.4%x",
}

// checkTextAddr holds parseIPv4 and parseIPv6 to netip.ParseAddr, which
// is the reference: the same tokens accepted (IPv6 without a zone), the
// same addresses returned.
func checkTextAddr(t *testing.T, s string) {
	ref, err := netip.ParseAddr(s)
	want4 := err == nil && ref.Is4()
	want6 := err == nil && ref.Is6() && ref.Zone() == ""
	got4, ok4 := parseIPv4([]byte(s))
	got6, ok6 := parseIPv6([]byte(s))
	if ok4 != want4 || ok4 && got4 != ref {
		t.Errorf("parseIPv4(%q) = %v, %v; netip: %v, %v", s, got4, ok4, ref, err)
	}
	if ok6 != want6 || ok6 && got6 != ref {
		t.Errorf("parseIPv6(%q) = %v, %v; netip: %v, %v", s, got6, ok6, ref, err)
	}
}

func TestTextAddr(t *testing.T) {
	for _, s := range textAddrCases {
		checkTextAddr(t, s)
	}
}

// FuzzTextAddr is the differential fuzz test of the address parsers.
func FuzzTextAddr(f *testing.F) {
	for _, s := range textAddrCases {
		f.Add(s)
	}
	f.Fuzz(checkTextAddr)
}

// addrSpellings returns ways a v1 sender may write addresses: the
// canonical forms, expanded forms, upper case, and embedded dotted quads.
func addrSpellings(r *rand.Rand, n int) (v4, v6 []string) {
	for range n {
		var b [16]byte
		for i := range b {
			// Mostly zeros, so that "::" shows up often.
			if r.IntN(3) == 0 {
				b[i] = byte(r.Uint32())
			}
		}
		a4 := netip.AddrFrom4([4]byte(b[:4]))
		a6 := netip.AddrFrom16(b)
		v4 = append(v4, a4.String())
		v6 = append(v6, a6.String(), a6.StringExpanded(), strings.ToUpper(a6.String()),
			netip.AddrFrom16(netip.AddrFrom4([4]byte(b[12:])).As16()).String(), // ::ffff:a.b.c.d
			fmt.Sprintf("%x:%x:%x:%x:%x:%x:%s", b[0], b[1], b[2], b[3], b[4], b[5], a4),
			fmt.Sprintf("%x::%s", b[0], a4))
	}
	return v4, v6
}

// TestAddrNeedComplete checks the completion lists that decide whether an
// unfinished v1 address can still become a valid one: every prefix of a
// valid address must be found completable, and with no more bytes than
// the address actually has left.
func TestAddrNeedComplete(t *testing.T) {
	v4, v6 := addrSpellings(rand.New(rand.NewPCG(1, 2)), 2000)
	for _, c := range []struct {
		v6    bool
		addrs []string
	}{{false, v4}, {true, v6}} {
		for _, a := range c.addrs {
			if c.v6 {
				if _, ok := parseIPv6([]byte(a)); !ok {
					t.Fatalf("test address %q does not parse", a)
				}
			}
			for i := 0; i <= len(a); i++ {
				need, ok := addrNeed([]byte(a[:i]), c.v6)
				if !ok || need > len(a)-i {
					t.Fatalf("addrNeed(%q, v6=%v) = %d, %v; %q completes it", a[:i], c.v6, need, ok, a[i:])
				}
			}
		}
	}
}
