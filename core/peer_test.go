package core

import (
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// fakeAddr is a net.Addr of a type PeerFromNetAddr does not know.
type fakeAddr string

func (fakeAddr) Network() string  { return "fake" }
func (a fakeAddr) String() string { return string(a) }

// fakeUnixAddr is a Unix socket's address of a type PeerFromNetAddr does
// not know, named as a client may name its socket.
type fakeUnixAddr string

func (fakeUnixAddr) Network() string  { return "unixpacket" }
func (a fakeUnixAddr) String() string { return string(a) }

func TestPeerFromNetAddr(t *testing.T) {
	ip := func(s string) Peer { return Peer{addr: netip.MustParseAddr(s), port: 4711, kind: peerIP} }
	for _, tc := range []struct {
		name string
		in   net.Addr
		want Peer
	}{
		{"tcp4, 4 bytes", &net.TCPAddr{IP: net.IP{203, 0, 113, 7}, Port: 4711}, ip("203.0.113.7")},
		{"tcp4, 16 bytes", &net.TCPAddr{IP: net.ParseIP("203.0.113.7"), Port: 4711}, ip("203.0.113.7")},
		{"tcp6", &net.TCPAddr{IP: net.ParseIP("2001:db8::7"), Port: 4711}, ip("2001:db8::7")},
		{"tcp6 with a zone", &net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 4711, Zone: "eth0"}, ip("fe80::1")},
		{"tcp 0.0.0.0", &net.TCPAddr{IP: net.IPv4zero, Port: 4711}, Peer{}},
		{"tcp ::", &net.TCPAddr{IP: net.IPv6unspecified, Port: 4711}, Peer{}},
		{"tcp without an IP", &net.TCPAddr{Port: 4711}, Peer{}},
		{"tcp with a 5-byte IP", &net.TCPAddr{IP: net.IP{1, 2, 3, 4, 5}, Port: 4711}, Peer{}},
		{"nil *TCPAddr", (*net.TCPAddr)(nil), Peer{}},
		{"udp", &net.UDPAddr{IP: net.ParseIP("::ffff:198.51.100.1"), Port: 4711}, ip("198.51.100.1")},
		{"unix", &net.UnixAddr{Name: "/run/app.sock", Net: "unix"}, UnixPeer()},
		{"nil", nil, Peer{}},
		{"other type, by its text", fakeAddr("192.0.2.1:4711"), ip("192.0.2.1")},
		{"other type, junk", fakeAddr("not an address"), Peer{}},
		{"other type, empty text", fakeAddr(""), Peer{}},
		{"other type, @", fakeAddr("@"), Peer{}},
		{"other type on a Unix network, named like an IP", fakeUnixAddr("127.0.0.1:1"), UnixPeer()},
		{"other type on a Unix network, empty", fakeUnixAddr(""), UnixPeer()},
	} {
		if got := PeerFromNetAddr(tc.in); got != tc.want {
			t.Errorf("%s: PeerFromNetAddr(%v) = %+v, want %+v", tc.name, tc.in, got, tc.want)
		}
	}
}

// TestPeerFromTCPAddrAgrees checks the direct conversion of *net.TCPAddr
// against the general one, PeerFromAddrPort of its AddrPort, on random
// addresses in both of the net package's forms.
func TestPeerFromTCPAddrAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 20000 {
		var b [16]byte
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		var ip net.IP
		switch i % 4 {
		case 0:
			ip = net.IP(b[:4])
		case 1:
			ip = net.IPv4(b[0], b[1], b[2], b[3])
		case 2:
			ip = net.IP(b[:])
		default:
			ip = make(net.IP, 16) // mostly zero: unspecified and loopback-like
			ip[15] = b[0] & 1
		}
		a := &net.TCPAddr{IP: ip, Port: int(rng.Uint32() & 0xffff)}
		if got, want := PeerFromNetAddr(a), PeerFromAddrPort(a.AddrPort()); got != want {
			t.Fatalf("PeerFromNetAddr(%v) = %+v, PeerFromAddrPort says %+v", a, got, want)
		}
	}
}

func TestPeerFromNetAddrAllocs(t *testing.T) {
	a := net.Addr(&net.TCPAddr{IP: net.ParseIP("203.0.113.7"), Port: 4711})
	if n := testing.AllocsPerRun(100, func() { _ = PeerFromNetAddr(a) }); n != 0 {
		t.Errorf("PeerFromNetAddr allocates %v times", n)
	}
}

// TestPeerWithoutHeaders: a peer whose PROXY header named no client is
// the answer, with reason peer-untrusted, even when its address is a
// trusted proxy and it sent a header; every path agrees.
func TestPeerWithoutHeaders(t *testing.T) {
	for _, cfg := range []Config{
		{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"},
		{TrustedProxies: []string{"loopback", "10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12", "fc00::/7", "cloudflare"}, Header: "Forwarded"},
		{TrustedProxies: []string{"loopback"}, Header: "X-Real-IP", TrustUnixSocket: true},
		{TrustedProxies: []string{"loopback"}},
	} {
		r := MustNew(cfg)
		for _, text := range []string{"127.0.0.1:443", "[::1]:443"} {
			p := ParsePeer(text).WithoutHeaders()
			if !p.HeadersIgnored() || !p.IsIP() || p.String() != text {
				t.Fatalf("%s: WithoutHeaders gave %+v", text, p)
			}
			lines := []string{"6.6.6.6", "for=6.6.6.6"}
			got := r.ResolveValues(p, lines)
			if got.Reason != ReasonPeerUntrusted || got.AddrPort() != p.AddrPort() || got.Peer != p || got.Hop != 0 {
				t.Errorf("%+v: %s: %+v", cfg, text, got)
			}
			h := http.Header{}
			if r.HeaderKey() != "" {
				h[r.HeaderKey()] = lines
			}
			if again := r.Resolve(p, h); again != got {
				t.Errorf("Resolve %+v, ResolveValues %+v", again, got)
			}
			ex := r.ExplainValues(p, lines)
			if ex.Result != got || !strings.Contains(ex.String(), "names no client") {
				t.Errorf("Explain:\n%s", ex)
			}
		}
	}
	// Only an IP peer can be marked: a Unix-socket or unknown peer has no
	// address to answer with, and stays what it was.
	for _, p := range []Peer{UnixPeer(), {}} {
		if q := p.WithoutHeaders(); q != p {
			t.Errorf("%+v marked: %+v", p, q)
		}
	}
}
