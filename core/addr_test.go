package core

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseHop(t *testing.T) {
	tests := []struct {
		in      string
		want    string // canonical address, "" when invalid
		port    uint16
		hasPort bool
		why     string
	}{
		{in: "1.2.3.4", want: "1.2.3.4", why: "IPv4"},
		{in: "1.2.3.4:80", want: "1.2.3.4", port: 80, hasPort: true, why: "IPv4:port"},
		{in: "1.2.3.4:0", want: "1.2.3.4", port: 0, hasPort: true, why: "port 0 is in range"},
		{in: "1.2.3.4:65535", want: "1.2.3.4", port: 65535, hasPort: true, why: "largest port"},
		{in: "2001:db8::1", want: "2001:db8::1", why: "IPv6"},
		{in: "2001:DB8:0:0:0:0:0:1", want: "2001:db8::1", why: "IPv6 is canonicalised"},
		{in: "[2001:db8::1]", want: "2001:db8::1", why: "[IPv6]"},
		{in: "[2001:db8::1]:443", want: "2001:db8::1", port: 443, hasPort: true, why: "[IPv6]:port"},
		{in: "2001:db8::1:8080", want: "2001:db8::1:8080", why: "unbracketed IPv6 has no port"},
		{in: "::ffff:1.2.3.4", want: "1.2.3.4", why: "v4-mapped is unmapped"},
		{in: "::ffff:0102:0304", want: "1.2.3.4", why: "v4-mapped in hex is unmapped"},
		{in: "[::ffff:1.2.3.4]:1", want: "1.2.3.4", port: 1, hasPort: true, why: "bracketed v4-mapped is unmapped"},
		{in: "64:ff9b::1.2.3.4", want: "64:ff9b::102:304", why: "NAT64 is not unmapped"},
		{in: "fe80::1%eth0", want: "fe80::1", why: "zone dropped"},
		{in: "[fe80::1%eth0]:80", want: "fe80::1", port: 80, hasPort: true, why: "zone dropped in brackets"},
		{in: "::1", want: "::1", why: "IPv6 loopback"},

		{in: "", why: "empty"},
		{in: "01.2.3.4", why: "leading zero"},
		{in: "1.2.3.04", why: "leading zero in last octet"},
		{in: "1.2.3.4%eth0", why: "IPv4 with a zone"},
		{in: "[1.2.3.4]", why: "brackets around IPv4"},
		{in: "[1.2.3.4]:80", why: "brackets around IPv4 with port"},
		{in: "1.2.3.4:http", why: "non-numeric port"},
		{in: "1.2.3.4:", why: "empty port"},
		{in: "1.2.3.4:65536", why: "port out of range"},
		{in: "1.2.3.4:+80", why: "signed port"},
		{in: "1.2.3.4:123456", why: "six-digit port"},
		{in: "1.2.3.0/24", why: "CIDR"},
		{in: `"1.2.3.4"`, why: "quotes"},
		{in: "1.1.1.1 2.2.2.2", why: "two addresses in one element"},
		{in: "unknown", why: "unknown"},
		{in: "_abc", why: "obfuscated identifier"},
		{in: "0.0.0.0", why: "unspecified IPv4"},
		{in: "::", why: "unspecified IPv6"},
		{in: "[::]:80", why: "unspecified IPv6 with port"},
		{in: "::ffff:0.0.0.0", why: "v4-mapped unspecified"},
		{in: "256.1.1.1", why: "octet out of range"},
		{in: "1.2.3", why: "three octets"},
		{in: "1.2.3.4.5", why: "five octets"},
		{in: "[2001:db8::1", why: "unclosed bracket"},
		{in: "[2001:db8::1]80", why: "junk after bracket"},
		{in: "[]", why: "empty brackets"},
		{in: "fe80::1%", why: "empty zone"},
		{in: "fe80::1%a b", why: "space in zone"},
		{in: "fe80::1%a\x00", why: "control byte in zone"},
		{in: "1:2:3:4:5:6:7:8:9", why: "nine groups"},
		{in: "1::2::3", why: "two ellipses"},
		{in: "12345::1", why: "five-digit group"},
		{in: "example.com", why: "host name"},
		{in: "1.2.3.4\r", why: "CR is not trimmed"},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			for _, got := range []struct {
				h  hop
				ok bool
			}{wrap(parseHop(tt.in)), wrap(parseHop([]byte(tt.in)))} {
				if tt.want == "" {
					if got.ok {
						t.Fatalf("parseHop(%q) = %v, want invalid", tt.in, got.h.addr)
					}
					continue
				}
				if !got.ok {
					t.Fatalf("parseHop(%q) invalid, want %s", tt.in, tt.want)
				}
				if got.h.addr.String() != tt.want || got.h.port != tt.port || got.h.hasPort != tt.hasPort {
					t.Fatalf("parseHop(%q) = %v port %d/%v, want %s port %d/%v", tt.in, got.h.addr, got.h.port, got.h.hasPort, tt.want, tt.port, tt.hasPort)
				}
			}
		})
	}
}

func wrap(h hop, ok bool) struct {
	h  hop
	ok bool
} {
	return struct {
		h  hop
		ok bool
	}{h, ok}
}

// refHop is parseHop written the obvious way, on top of netip, to check the
// fast one against.
func refHop(s string) (netip.Addr, uint16, bool, bool) {
	var (
		host, port string
		hasPort    bool
	)
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.Addr{}, 0, false, false
		}
		host = s[1:end]
		if !strings.Contains(host, ":") {
			return netip.Addr{}, 0, false, false
		}
		if rest := s[end+1:]; rest != "" {
			if rest[0] != ':' {
				return netip.Addr{}, 0, false, false
			}
			port, hasPort = rest[1:], true
		}
	case strings.Count(s, ":") == 1:
		host, port, _ = strings.Cut(s, ":")
		hasPort = true
		if strings.ContainsAny(host, "%") {
			return netip.Addr{}, 0, false, false
		}
	default:
		host = s
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, 0, false, false
	}
	if z := a.Zone(); z != "" {
		if len(z) > maxZone {
			return netip.Addr{}, 0, false, false
		}
		for _, c := range []byte(z) {
			if c <= ' ' || c >= 0x7f {
				return netip.Addr{}, 0, false, false
			}
		}
	}
	if !strings.Contains(host, ":") && !a.Is4() {
		return netip.Addr{}, 0, false, false
	}
	if hasPort && !strings.HasPrefix(s, "[") && !a.Is4() {
		return netip.Addr{}, 0, false, false
	}
	var p uint16
	if hasPort {
		if len(port) == 0 || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return netip.Addr{}, 0, false, false
		}
		n := 0
		for _, c := range []byte(port) {
			n = n*10 + int(c-'0')
		}
		if n > 65535 {
			return netip.Addr{}, 0, false, false
		}
		p = uint16(n)
	}
	a = a.Unmap().WithZone("")
	if a.IsUnspecified() {
		return netip.Addr{}, 0, false, false
	}
	return a, p, hasPort, true
}

// FuzzParseHop checks the hop-token parser against refHop, and that every
// address it returns is canonical: unmapped, zoneless, specified.
func FuzzParseHop(f *testing.F) {
	for _, s := range []string{
		"1.2.3.4", "1.2.3.4:80", "[::1]:80", "[::1]", "::1", "[1.2.3.4]", "1.2.3.4%x", "fe80::1%eth0",
		"[fe80::1%eth0]:1", "::ffff:1.2.3.4", "0.0.0.0", "::", "unknown", "_x", "1.2.3.4:65536", "[::1]x",
		"2001:db8::1:8080", "1.2.3.4:080",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, ok := parseHop(s)
		a, p, hasPort, refOK := refHop(s)
		if ok != refOK {
			t.Fatalf("parseHop(%q) ok=%v, reference ok=%v", s, ok, refOK)
		}
		if !ok {
			return
		}
		if h.addr != a || h.port != p || h.hasPort != hasPort {
			t.Fatalf("parseHop(%q) = %v %d %v, reference %v %d %v", s, h.addr, h.port, h.hasPort, a, p, hasPort)
		}
		if h.addr.Is4In6() || h.addr.Zone() != "" || h.addr.IsUnspecified() {
			t.Fatalf("parseHop(%q) = %v is not canonical", s, h.addr)
		}
		if back, err := netip.ParseAddr(h.addr.String()); err != nil || back != h.addr {
			t.Fatalf("parseHop(%q) = %v does not round-trip", s, h.addr)
		}
		hb, okb := parseHop([]byte(s))
		if hb != h || !okb {
			t.Fatalf("parseHop([]byte(%q)) differs from the string form", s)
		}
	})
}
