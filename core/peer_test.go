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
	ip := func(s string) Peer {
		return Peer{addr: netip.MustParseAddr(s), port: 4711, kind: peerIP, prov: ProvenanceSocket}
	}
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

// TestPeerProvenance: a peer whose provenance does not vouch for it
// never has its headers read, even when its address is a trusted proxy
// and it sent a header; every path agrees. A load balancer that named no
// client and an unvalidated source are the answer (peer-untrusted);
// unattested text is no answer (no-peer), whatever it says.
func TestPeerProvenance(t *testing.T) {
	for _, cfg := range []Config{
		{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"},
		{TrustedProxies: []string{"loopback", "10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12", "fc00::/7", "cloudflare"}, Header: "Forwarded"},
		{TrustedProxies: []string{"loopback"}, Header: "X-Real-IP", TrustUnixSocket: true},
		{TrustedProxies: []string{"loopback"}},
	} {
		r := MustNew(cfg)
		for _, pv := range []Provenance{ProvenanceNoClient, ProvenanceUnvalidated, ProvenanceUnattested} {
			for _, text := range []string{"127.0.0.1:443", "[::1]:443"} {
				p := ParsePeer(text).WithProvenance(pv)
				if p.Provenance() != pv || !p.IsIP() || p.String() != text {
					t.Fatalf("%s: WithProvenance(%v) gave %+v", text, pv, p)
				}
				lines := []string{"6.6.6.6", "for=6.6.6.6"}
				got := r.ResolveValues(p, lines)
				want := Result{Reason: ReasonPeerUntrusted, Addr: p.Addr(), Port: p.AddrPort().Port(), HasPort: true, Peer: p}
				if pv == ProvenanceUnattested {
					want = Result{Reason: ReasonNoPeer, Peer: p}
				}
				want.HeaderIgnored = r.HeaderKey() != ""
				if got != want {
					t.Errorf("%+v: %s %v: %+v, want %+v", cfg, text, pv, got, want)
				}
				h := http.Header{}
				if r.HeaderKey() != "" {
					h[r.HeaderKey()] = lines
				}
				if again := r.Resolve(p, h); again != got {
					t.Errorf("Resolve %+v, ResolveValues %+v", again, got)
				}
				ex := r.ExplainValues(p, lines)
				if ex.Result != got || !strings.Contains(ex.String(), map[Provenance]string{
					ProvenanceNoClient: "names no client", ProvenanceUnvalidated: "not validated", ProvenanceUnattested: "nothing vouches",
				}[pv]) {
					t.Errorf("Explain:\n%s", ex)
				}
			}
		}
	}
	// A Unix-socket peer that does not vouch has no address to answer with.
	r := MustNew(Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For", TrustUnixSocket: true})
	for _, pv := range []Provenance{ProvenanceNoClient, ProvenanceUnattested} {
		if got := r.ResolveValues(UnixPeer().WithProvenance(pv), []string{"203.0.113.7"}); got.Reason != ReasonNoPeer || got.IsValid() {
			t.Errorf("Unix peer %v: %+v", pv, got)
		}
	}
	if got := r.ResolveValues(UnixPeer().WithProvenance(ProvenanceProxy), []string{"203.0.113.7"}); got.Reason != ReasonHeader {
		t.Errorf("Unix peer proxy-protocol: %+v", got)
	}
}

// TestPeerOverIPv6: a v4-mapped source that arrived over IPv6 stays IPv6,
// matches no IPv4 prefix, and is answered as the IPv6 address it is.
func TestPeerOverIPv6(t *testing.T) {
	r := MustNew(Config{TrustedProxies: []string{"loopback", "10.0.0.0/8", "::ffff:192.168.0.0/112"}, Header: "X-Forwarded-For"})
	for _, src := range []string{"[::ffff:127.0.0.1]:5353", "[::ffff:10.1.2.3]:1", "[::ffff:192.168.7.7%eth0]:9"} {
		p := PeerOverIPv6(netip.MustParseAddrPort(src))
		if !p.IsIP() || !p.Addr().Is4In6() || p.Addr().Zone() != "" {
			t.Fatalf("%s: %+v", src, p)
		}
		got := r.ResolveValues(p, []string{"6.6.6.6"})
		if got.Reason != ReasonPeerUntrusted || got.Addr != p.Addr() || !strings.HasPrefix(got.String(), "::ffff:") {
			t.Errorf("%s: %+v (%s)", src, got, got)
		}
		// The same address read as an IPv4 packet's is the trusted host.
		if got := r.ResolveValues(PeerFromAddrPort(netip.MustParseAddrPort(src)), []string{"6.6.6.6"}); got.Reason != ReasonHeader {
			t.Errorf("%s over IPv4: %+v", src, got)
		}
	}
	if p := PeerOverIPv6(netip.MustParseAddrPort("127.0.0.1:1")); !p.Addr().Is4In6() {
		t.Errorf("an IPv4 address over IPv6 is v4-mapped: %v", p.Addr())
	}
	for _, bad := range []string{"[::]:1", "[::ffff:0.0.0.0]:1", "0.0.0.0:1"} {
		if p := PeerOverIPv6(netip.MustParseAddrPort(bad)); p.IsIP() {
			t.Errorf("%s: %+v", bad, p)
		}
	}
	if p := (Peer{}); p.Provenance() != ProvenanceUnattested {
		t.Errorf("the zero Peer's provenance is %v", p.Provenance())
	}
}

// TestZeroResolver: a Resolver not made by New says so, on every path.
func TestZeroResolver(t *testing.T) {
	var r Resolver
	for name, use := range map[string]func(){
		"Resolve":       func() { r.Resolve(ParsePeer("127.0.0.1:1"), nil) },
		"ResolveValues": func() { r.ResolveValues(ParsePeer("127.0.0.1:1"), nil) },
		"ResolveBytes":  func() { r.ResolveBytes(ParsePeer("127.0.0.1:1"), nil) },
		"Explain":       func() { r.Explain(ParsePeer("127.0.0.1:1"), nil) },
		"Warnings":      func() { r.Warnings() },
	} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, "core.New") {
					t.Errorf("%s: panic %q", name, msg)
				}
			}()
			use()
		}()
	}
}
