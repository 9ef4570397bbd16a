package ipaddr

import (
	"net/netip"
	"testing"
)

// FuzzParse checks the parser differentially against
// netip.ParseAddr: the same accept/reject decision on every input, and the
// same address (zone aside) on every accepted one.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"1.2.3.4", "0.0.0.0", "255.255.255.255", "01.2.3.4", "1.2.3", "::", "::1", "1::", "1:2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7::", "::ffff:1.2.3.4", "1::1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4",
		"fe80::1%eth0", "fe80::1%", "1.2.3.4%eth0", "%eth0", "a%b:c", "12345::", ":1", "1:", "1::2::3",
		"::ffff:01.2.3.4", "::1.2.3", "1:2:3:4:5:6:7:8:9", "ABCD::EF", "::12345.1.2.3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := netip.ParseAddr(s)
		got, zone, ok := Parse(s)
		if ok != (err == nil) {
			t.Fatalf("Parse(%q) ok=%v, netip says %v", s, ok, err)
		}
		if !ok {
			return
		}
		if got != want.WithZone("") {
			t.Fatalf("Parse(%q) = %v, netip = %v", s, got, want)
		}
		if (zone >= 0) != (want.Zone() != "") || (zone >= 0 && s[zone+1:] != want.Zone()) {
			t.Fatalf("Parse(%q) zone at %d, netip zone %q", s, zone, want.Zone())
		}
		gotB, zoneB, okB := Parse([]byte(s))
		if gotB != got || zoneB != zone || !okB {
			t.Fatalf("Parse([]byte(%q)) differs from the string form", s)
		}
	})
}

func TestScanIPv4StopsAtTheEnd(t *testing.T) {
	for in, want := range map[string]int{
		"1.2.3.4":          7,
		"1.2.3.4:80":       7,
		"10.0.0.1, 2":      8,
		"255.255.255.255.": 15,
	} {
		if _, n, ok := ScanIPv4(in); !ok || n != want {
			t.Errorf("ScanIPv4(%q) ended at %d (ok %v), want %d", in, n, ok, want)
		}
	}
	for _, in := range []string{"1.2.3.45678", "01.2.3.4", "1.2.3", "256.1.1.1", "1.2.3.04", ""} {
		if _, _, ok := ScanIPv4(in); ok {
			t.Errorf("ScanIPv4(%q) ok", in)
		}
	}
}
