package e2e

import (
	"net"
	"net/netip"
	"testing"

	"github.com/trustedip/trustedip/core"
)

// TestLeastAgreesWithCore holds the least resolver to the core on the
// requests it is meant for: IPv4 hops without ports in one line, behind
// the proxies serverConfig trusts. A lower bound that decided wrongly
// would measure less work than the decision takes.
func TestLeastAgreesWithCore(t *testing.T) {
	res, err := core.New(serverConfig)
	if err != nil {
		t.Fatal(err)
	}
	peers := []string{"127.0.0.1:40000", "127.9.8.7:1", "10.0.0.1:443", "198.51.100.9:5000", "11.0.0.1:80"}
	lines := []string{
		forwardedFor,
		"203.0.113.7",
		"10.0.0.1, 10.0.0.2",
		"198.51.100.1, 203.0.113.7, 10.0.0.2",
		"203.0.113.7,10.1.2.3 , 127.0.0.1",
		"  192.0.2.44  ",
		"10.255.255.255",
		"1.2.3.4, 10.0.0.2, 127.0.0.1, 10.0.0.3",
	}
	for _, peer := range peers {
		ap := netip.MustParseAddrPort(peer)
		p4 := ap.Addr().As4()
		tcp := &net.TCPAddr{IP: net.IPv4(p4[0], p4[1], p4[2], p4[3]), Port: int(ap.Port())}
		for _, line := range lines {
			want := res.ResolveValues(core.ParsePeer(peer), []string{line}).Addr.As4()
			w := uint32(want[0])<<24 | uint32(want[1])<<16 | uint32(want[2])<<8 | uint32(want[3])
			if got := leastClient(leastIPv4(peer), []string{line}); got != w {
				t.Errorf("peer %s, %q: least %08x, core %08x", peer, line, got, w)
			}
			if got := leastClient(leastPeer(tcp), [][]byte{[]byte(line)}); got != w {
				t.Errorf("peer %v, %q as bytes: least %08x, core %08x", tcp, line, got, w)
			}
		}
	}
	if got := leastClient(leastIPv4(peers[0]), []string{forwardedFor}); got != wantClient4 {
		t.Errorf("the harness's request: %08x, want wantClient4 %08x", got, uint32(wantClient4))
	}
	if got := leastPeer(&net.UnixAddr{Name: "/tmp/s", Net: "unix"}); got != 0 {
		t.Errorf("a Unix peer: %08x", got)
	}
	if got := leastPeer((*net.TCPAddr)(nil)); got != 0 {
		t.Errorf("a nil TCP peer: %08x", got)
	}
}
