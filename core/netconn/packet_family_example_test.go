package netconn_test

import (
	"fmt"
	"net/http"
	"net/netip"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
)

// A UDP service asks the resolver about each datagram through its Peer.
// An IPv4 sender read over IPv4 is the IPv4 host it names; an IPv6
// datagram whose source claims to be that host (::ffff:127.0.0.1, which
// Linux delivers to IPv6 sockets) keeps its IPv6 address, and a trusted
// set of IPv4 prefixes does not contain it.
func ExampleDatagram_Peer() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	h := http.Header{"X-Forwarded-For": {"203.0.113.7"}}
	for _, d := range []netconn.Datagram{
		{Src: netip.MustParseAddrPort("127.0.0.1:5353")},          // as ReadDatagram reports an IPv4 sender
		{Src: netip.MustParseAddrPort("[::ffff:127.0.0.1]:5353")}, // and an IPv6 one that wrote this source
	} {
		r := res.Resolve(d.Peer(), h)
		fmt.Println(d.Src, "->", r.Addr, r.Reason)
	}
	// Output:
	// 127.0.0.1:5353 -> 203.0.113.7 header
	// [::ffff:127.0.0.1]:5353 -> ::ffff:127.0.0.1 peer-untrusted
}
