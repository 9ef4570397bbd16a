package core

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/trustedip/trustedip/core/internal/ipaddr"
)

// tryFast is what ResolveValues, ResolveBytes and ResolvePeer try first.
func tryFast[T text](r *Resolver, p Peer, lines []T, res *Result) bool {
	return r.fast.on && r.resolveFast(p, firstLine(lines), len(lines), res)
}

// fastConfigs are configurations the fast path decides (the first
// fastDecided of them) and ones it must leave to the general path.
var fastConfigs = []Config{
	{TrustedProxies: []string{"loopback", "10.0.0.0/8"}, Header: "X-Forwarded-For"},
	{TrustedProxies: []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.1", "2001:db8:1::/48"}, Header: "X-Forwarded-For"},
	{TrustedProxies: []string{"10.0.0.0/8"}},
	{TrustedProxies: []string{"2001:db8:1::/48", "::ffff:10.0.0.0/104"}, Header: "x-forwarded-for", TrustUnixSocket: true},
	{TrustedProxies: []string{}, Header: "X-Forwarded-For"},
	// Not decided by the fast path:
	{TrustedProxies: []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "100.64.0.0/10"}, Header: "X-Forwarded-For"},
	{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For", TrustedHops: 1},
	{TrustedProxies: []string{"10.0.0.0/8"}, Header: "Forwarded"},
	{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Real-IP"},
	{TrustedProxies: []string{"10.0.0.0/8", "cloudflare"}, Header: "X-Forwarded-For"},
}

const fastDecided = 5 // fastConfigs[:fastDecided] turn the fast path on

func TestFastPathOn(t *testing.T) {
	for i, cfg := range fastConfigs {
		if on := MustNew(cfg).fast.on; on != (i < fastDecided) {
			t.Errorf("%+v: fast path on = %v", cfg, on)
		}
	}
}

// TestFastPathTaken checks that the requests the fast path is for take
// it, so that a change which quietly sends them down the general path
// (still right, but slower in a server) is seen, and that the rest do
// not.
func TestFastPathTaken(t *testing.T) {
	r := MustNew(fastConfigs[0])
	for _, tc := range []struct {
		peer  string
		lines []string
		want  string
		why   Reason
		hop   int
	}{
		{"127.0.0.1:4711", []string{"203.0.113.7, 10.0.0.2"}, "203.0.113.7", Header, 2},
		{"127.0.0.1:4711", []string{" 203.0.113.7 ,\t10.0.0.2 "}, "203.0.113.7", Header, 2},
		{"127.0.0.1:4711", []string{"1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5,6.6.6.6"}, "6.6.6.6", Header, 1},
		{"10.0.0.9:1", []string{"10.0.0.3, 127.0.0.1"}, "10.0.0.3", AllTrusted, 2},
		{"10.0.0.9:1", nil, "10.0.0.9", NoHeader, 0},
		{"198.51.100.4:1", []string{"203.0.113.7"}, "198.51.100.4", PeerUntrusted, 0},
		{"198.51.100.4:1", []string{"a", "b"}, "198.51.100.4", PeerUntrusted, 0},
	} {
		var res Result
		if !tryFast(r, ParsePeer(tc.peer), tc.lines, &res) {
			t.Errorf("%s %q: not taken", tc.peer, tc.lines)
			continue
		}
		if res.String() != tc.want || res.Reason != tc.why || res.Hop != tc.hop {
			t.Errorf("%s %q: %s %v hop %d, want %s %v hop %d", tc.peer, tc.lines, res, res.Reason, res.Hop, tc.want, tc.why, tc.hop)
		}
		if tc.hop > 0 && res.Header != "X-Forwarded-For" {
			t.Errorf("%s %q: Header %q", tc.peer, tc.lines, res.Header)
		}
	}
	for _, tc := range []struct {
		peer  string
		lines []string
	}{
		{"[::1]:1", []string{"203.0.113.7"}},                    // IPv6 peer
		{"127.0.0.1:1", []string{"1.1.1.1", "2.2.2.2"}},         // two lines
		{"127.0.0.1:1", []string{"[2001:db8::1]:80, 10.0.0.2"}}, // IPv6 hop
		{"127.0.0.1:1", []string{"1.1.1.1:80"}},                 // a port
		{"127.0.0.1:1", []string{"1.1.1.1,,2.2.2.2"}},           // an empty element
		{"127.0.0.1:1", []string{""}},
		{"127.0.0.1:1", []string{"junk"}},
		{"127.0.0.1:1", []string{"0.0.0.0"}},
		{"127.0.0.1:1", []string{"01.2.3.4"}},
		{"127.0.0.1:1", []string{strings.Repeat("1.1.1.1,", 6) + "1.1.1.1"}},  // seven hops
		{"127.0.0.1:1", []string{strings.Repeat("1.1.1.1,", 10) + "1.1.1.1"}}, // long
		{"@", []string{"1.1.1.1"}},
	} {
		var res Result
		if tryFast(r, ParsePeer(tc.peer), tc.lines, &res) {
			t.Errorf("%s %q: taken (%+v), want it left to the general path", tc.peer, tc.lines, res)
		}
	}
}

func TestResolveRemoteAddrAllocs(t *testing.T) {
	for _, cfg := range fastConfigs {
		r := MustNew(cfg)
		for _, peer := range []string{"127.0.0.1:4711", "[2001:db8::1]:80", "@"} {
			lines := []string{"203.0.113.7, 10.0.0.2"}
			if n := testing.AllocsPerRun(100, func() { r.ResolveRemoteAddr(peer, lines) }); n != 0 {
				t.Errorf("%+v %s: ResolveRemoteAddr allocates %v times", cfg, peer, n)
			}
		}
	}
}

// netAddrs returns the net.Addr forms a connection from peer can have:
// a *net.TCPAddr with the address in 4 bytes (IPv4 only) and in 16, and a
// *net.UDPAddr; for other peers, a *net.UnixAddr.
func netAddrs(peer Peer) []net.Addr {
	if !peer.IsIP() {
		return []net.Addr{&net.UnixAddr{Name: "@", Net: "unix"}}
	}
	a, port := peer.Addr(), int(peer.AddrPort().Port())
	b16 := a.As16()
	out := []net.Addr{
		&net.TCPAddr{IP: net.IP(b16[:]), Port: port},
		&net.UDPAddr{IP: net.IP(b16[:]), Port: port},
	}
	if a.Is4() {
		b4 := a.As4()
		out = append(out, &net.TCPAddr{IP: net.IP(b4[:]), Port: port})
	}
	return out
}

// TestResolveNetAddr checks ResolveNetAddr against ResolveValues on every
// form of net.Addr, those the fast path reads and those it leaves to
// PeerFromNetAddr.
func TestResolveNetAddr(t *testing.T) {
	lines := []string{"203.0.113.7, 10.0.0.2"}
	v4 := net.IPv4(127, 0, 0, 1) // 16 bytes, v4-mapped
	for _, cfg := range fastConfigs {
		r := MustNew(cfg)
		for _, a := range []net.Addr{
			nil,
			(*net.TCPAddr)(nil),
			&net.TCPAddr{IP: v4, Port: 4711},
			&net.TCPAddr{IP: v4.To4(), Port: 4711},
			&net.TCPAddr{IP: net.IPv4zero, Port: 1},
			&net.TCPAddr{IP: net.IPv4zero.To4(), Port: 1},
			&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 80},
			&net.TCPAddr{IP: net.ParseIP("::1"), Port: 80},
			&net.TCPAddr{IP: net.ParseIP("::127.0.0.1"), Port: 80},   // IPv4-compatible, not mapped
			&net.TCPAddr{IP: net.ParseIP("::ff00:7f00:1"), Port: 80}, // one byte short of mapped
			&net.TCPAddr{IP: net.IP{1, 2, 3}, Port: 80},
			&net.UDPAddr{IP: v4, Port: 53},
			&net.UnixAddr{Name: "@", Net: "unix"},
		} {
			want := r.ResolveValues(PeerFromNetAddr(a), lines)
			if got := r.ResolveNetAddr(a, lines); got != want {
				t.Errorf("%+v, %#v: ResolveNetAddr %+v, ResolveValues %+v", cfg, a, got, want)
			}
		}
	}
	r := MustNew(fastConfigs[0])
	if got := r.ResolveNetAddr(&net.TCPAddr{IP: v4, Port: 4711}, lines); got.String() != "203.0.113.7" || got.Hop != 2 || got.Peer.String() != "127.0.0.1:4711" {
		t.Errorf("ResolveNetAddr: %+v", got)
	}
	var a net.Addr = &net.TCPAddr{IP: v4, Port: 4711}
	if n := testing.AllocsPerRun(100, func() { r.ResolveNetAddr(a, lines) }); n != 0 {
		t.Errorf("ResolveNetAddr allocates %v times", n)
	}
}

// FuzzFastPath holds the fast path to the general one: whatever it
// decides, the general path decides the same, for string and []byte
// lines alike, and ResolveRemoteAddr agrees with ResolveValues.
func FuzzFastPath(f *testing.F) {
	f.Add(uint8(0), "127.0.0.1:1", "203.0.113.7, 10.0.0.2")
	f.Add(uint8(0), "127.0.0.1:1", "10.0.0.1,127.0.0.1")
	f.Add(uint8(1), "192.168.1.1:80", " 1.2.3.4 ,\t172.16.0.1")
	f.Add(uint8(1), "172.32.0.1:80", "1.2.3.4")
	f.Add(uint8(2), "10.1.1.1:1", "1.1.1.1")
	f.Add(uint8(3), "10.1.1.1:1", "1.1.1.1\n2.2.2.2")
	f.Add(uint8(3), "[::ffff:10.0.0.1]:1", "10.1.1.1, 10.2.2.2")
	f.Add(uint8(4), "10.1.1.1:1", "1.1.1.1")
	f.Add(uint8(0), "0.0.0.0:1", "0.0.0.0, 255.255.255.255")
	f.Add(uint8(0), "127.0.0.1:1", "01.2.3.4, 1.2.3.256")
	f.Add(uint8(0), "127.0.0.1:65536", "1.2.3.4")
	f.Add(uint8(0), "127.0.0.1", "1.2.3.4,5.6.7.8,9.10.11.12,13.14.15.16,17.18.19.20")
	f.Fuzz(func(t *testing.T, which uint8, peerText, header string) {
		r, peer, lines := fuzzRequest(fastConfigs, which, peerText, header)
		var want Result
		chosen, n, reason := resolve(r, peer, lines, nil)
		r.fill(&want, peer, chosen, n, reason)

		// Text and net.Addr peers are never marked WithoutHeaders.
		if got := r.ResolveRemoteAddr(peerText, lines); !peer.HeadersIgnored() && got != want {
			t.Fatalf("ResolveRemoteAddr %+v, general path %+v", got, want)
		}
		for _, a := range netAddrs(peer) {
			p := PeerFromNetAddr(a)
			var want Result
			chosen, n, reason := resolve(r, p, lines, nil)
			r.fill(&want, p, chosen, n, reason)
			if got := r.ResolveNetAddr(a, lines); got != want {
				t.Fatalf("ResolveNetAddr(%#v) %+v, general path %+v", a, got, want)
			}
		}
		var got Result
		if !tryFast(r, peer, lines, &got) {
			return
		}
		if got != want {
			t.Fatalf("fast path %+v, general path %+v", got, want)
		}
		var b [][]byte
		for _, l := range lines {
			b = append(b, []byte(l))
		}
		var gotB Result
		if !tryFast(r, peer, b, &gotB) || gotB != got {
			t.Fatalf("fast path on []byte lines: %+v, on strings %+v", gotB, got)
		}
		h := http.Header{}
		for _, l := range lines {
			h.Add("X-Forwarded-For", l)
		}
		if r.HeaderKey() != "" {
			if again := r.ResolvePeer(peer, h); again != got {
				t.Fatalf("ResolvePeer %+v, fast path %+v", again, got)
			}
		}
	})
}

// FuzzScanIPv4 holds the fast path's scanner to ipaddr.ScanIPv4, which
// the general path uses.
func FuzzScanIPv4(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "255.255.255.255:80", "0.0.0.0", "01.2.3.4", "1.2.3.256", "1.2.3.4567", "1.2.3", "1..2.3", "9.9.9.9,", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ip, end, ok := scanIPv4(s)
		wip, wend, wok := ipaddr.ScanIPv4(s)
		if ip != wip || end != wend || ok != wok {
			t.Fatalf("scanIPv4(%q) = %v %d %v, ipaddr.ScanIPv4 = %v %d %v", s, ip, end, ok, wip, wend, wok)
		}
	})
}
