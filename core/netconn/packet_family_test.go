package netconn

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/trustedip/trustedip/core"
)

// A datagram's source is unmapped only when it arrived over IPv4: on
// Linux, when an IPv4-level control message came with it; on macOS and
// FreeBSD, whose kernels drop IPv6 packets from v4-mapped sources, always.
// Peer follows Src: a v4-mapped Src is an IPv6 sender, which a resolver
// trusting the IPv4 loopback does not trust.
func TestDatagramSourceAndPeer(t *testing.T) {
	ap := netip.MustParseAddrPort
	res := core.MustNew(core.Config{TrustedProxies: []string{"127.0.0.0/8", "::1"}, Header: "X-Forwarded-For"})
	xff := http.Header{"X-Forwarded-For": {"6.6.6.6"}}
	for _, tc := range []struct {
		name     string
		src      netip.AddrPort
		overIPv4 bool
		want     netip.AddrPort // Src
		believed bool           // the resolver believes its header
	}{
		{"IPv4 socket", ap("127.0.0.1:53"), false, ap("127.0.0.1:53"), true},
		{"IPv4 over a dual-stack socket", ap("[::ffff:127.0.0.1]:53"), true, ap("127.0.0.1:53"), true},
		{"IPv6", ap("[::1]:53"), false, ap("[::1]:53"), true},
		{"IPv6 with a zone", ap("[fe80::1%eth0]:53"), false, ap("[fe80::1]:53"), false},
		{"v4-mapped over IPv6", ap("[::ffff:127.0.0.1]:53"), false, ap("[::ffff:127.0.0.1]:53"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, believed := tc.want, tc.believed
			if !kernelDeliversMappedIPv6 && tc.src.Addr().Is4In6() {
				// This kernel never delivers the forged kind.
				want, believed = normal(tc.src), true
			}
			d := (&PacketConn{}).datagram(tc.src, &pktRecv{overIPv4: tc.overIPv4}, 0)
			if d.Src != want {
				t.Fatalf("Src %v, want %v", d.Src, want)
			}
			p := d.Peer()
			if p.AddrPort() != want || p.Provenance() != core.ProvenanceSocket {
				t.Fatalf("Peer() = %v (%v), want %v from the socket", p, p.Provenance(), want)
			}
			r := res.Resolve(p, xff)
			if (r.Reason == core.ReasonHeader) != believed {
				t.Fatalf("Resolve: %+v; header believed: %v, want %v", r, r.Reason == core.ReasonHeader, believed)
			}
		})
	}
}

// A Datagram a program builds itself is judged by its Src alone: a
// v4-mapped one is taken to have arrived over IPv6.
func TestDatagramPeerOfBuiltDatagram(t *testing.T) {
	p := Datagram{Src: netip.MustParseAddrPort("[::ffff:10.0.0.1]:53")}.Peer()
	if a := p.AddrPort().Addr(); !a.Is4In6() {
		t.Fatalf("Peer() of a v4-mapped Src is %v, want it kept IPv6", p)
	}
	if p := (Datagram{}).Peer(); p.IsIP() {
		t.Fatalf("Peer() of no source is %v", p)
	}
}

// ReadFrom hands out its address in one allocation, IPv4 as 4 bytes, as
// net.UDPConn does for an IPv4 socket.
func TestUDPAddr(t *testing.T) {
	for _, s := range []string{"192.0.2.1:53", "[2001:db8::1]:443", "[::ffff:192.0.2.1]:1"} {
		ap := netip.MustParseAddrPort(s)
		a := udpAddr(ap)
		if a.AddrPort() != ap || len(a.IP) != ap.Addr().BitLen()/8 || a.Zone != "" {
			t.Errorf("udpAddr(%v) = %#v", ap, a)
		}
	}
	ap := netip.MustParseAddrPort("192.0.2.1:53")
	if n := testing.AllocsPerRun(100, func() { _ = udpAddr(ap) }); n != 1 {
		t.Errorf("udpAddr: %v allocations, want 1", n)
	}
}
