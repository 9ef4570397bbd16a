package core_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"

	"github.com/trustedip/trustedip/core"
)

// A load balancer at 10.0.0.4 forwards a request that passed through a
// second proxy at 10.0.0.3. The client wrote its own X-Forwarded-For entry
// on the left, hoping to be taken for 10.0.0.1; walking from the right
// stops at the first address that is not a trusted proxy.
func Example() {
	cfg, err := core.ParseConfig([]byte(`{"trusted_proxies":["10.0.0.0/8"],"header":"X-Forwarded-For"}`))
	if err != nil {
		panic(err)
	}
	res, err := core.New(cfg)
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	h.Add("X-Forwarded-For", "10.0.0.1, 203.0.113.7, 10.0.0.3")

	r := res.Resolve(netip.MustParseAddrPort("10.0.0.4:1234"), h)
	fmt.Println(r.Addr, r.Reason, r.Header, r.Hop)
	// Output: 203.0.113.7 header X-Forwarded-For 2
}

// A peer that is not a trusted proxy is the client, whatever it says.
func ExampleResolver_Resolve_untrustedPeer() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	h := http.Header{"X-Forwarded-For": {"10.0.0.1"}}

	r := res.Resolve(netip.MustParseAddrPort("198.51.100.9:5555"), h)
	fmt.Println(r.Addr, r.Reason)
	// Output: 198.51.100.9 peer-untrusted
}

func ExampleResolver_Explain() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"private"}, Header: "Forwarded"})
	h := http.Header{"Forwarded": {`for="[2001:db8::7]:4711";proto=https, for=10.0.0.3`}}

	fmt.Println(res.Explain(core.ParsePeer("10.0.0.4:1234"), h))
	// Output:
	// peer 10.0.0.4:1234 is trusted by 10.0.0.0/8 (private), so its Forwarded is read
	// hop 1 10.0.0.3 is trusted by 10.0.0.0/8 (private)
	// hop 2 2001:db8::7 is not trusted, so it is the client
	// => [2001:db8::7]:4711 (header)
}

// ResolveBytes reads header lines in place, as fasthttp hands them over.
func ExampleResolver_ResolveBytes() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Real-IP"})
	lines := [][]byte{[]byte("203.0.113.7")}

	r := res.ResolveBytes(core.ParsePeerBytes([]byte("127.0.0.1:40000")), lines)
	fmt.Println(r.Addr, r.Reason)
	// Output: 203.0.113.7 header
}

// ResolveRemoteAddr takes net/http's Request.RemoteAddr as it is, as the
// net/http, gin and echo adapters do.
func ExampleResolver_ResolveRemoteAddr() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback", "10.0.0.0/8"}, Header: "X-Forwarded-For"})
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("X-Forwarded-For", "203.0.113.7, 10.0.0.2")

	r := res.ResolveRemoteAddr(req.RemoteAddr, req.Header[res.HeaderKey()])
	fmt.Println(r.Addr, r.Reason, r.Hop)
	// Output: 203.0.113.7 header 2
}

// ResolveNetAddr takes a connection's net.Addr as it is, as gRPC's peer
// holds it.
func ExampleResolver_ResolveNetAddr() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	peer := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}

	r := res.ResolveNetAddr(peer, []string{"198.51.100.4"})
	fmt.Println(r.Addr, r.Reason, r.Peer)
	// Output: 198.51.100.4 header 127.0.0.1:40000
}

// Refresh the Cloudflare ranges from the list Cloudflare publishes, here
// read from a string.
func ExampleReadTrustSet() {
	fresh, err := core.ReadTrustSet(strings.NewReader("173.245.48.0/20\n2400:cb00::/32\n"))
	if err != nil {
		panic(err)
	}
	res := core.MustNew(core.Config{Header: "CF-Connecting-IP"}, core.WithTrustSet(fresh))
	h := http.Header{"Cf-Connecting-Ip": {"203.0.113.7"}}

	r := res.Resolve(netip.MustParseAddrPort("173.245.48.10:443"), h)
	fmt.Println(r.Addr, r.Reason)
	// Output: 203.0.113.7 header
}

func ExampleParsePeer() {
	for _, s := range []string{"10.0.0.2:443", "[::ffff:10.0.0.2]:443", "@", "nonsense"} {
		p := core.ParsePeer(s)
		fmt.Printf("%q ip=%v unix=%v %q\n", s, p.IsIP(), p.IsUnix(), p)
	}
	// Output:
	// "10.0.0.2:443" ip=true unix=false "10.0.0.2:443"
	// "[::ffff:10.0.0.2]:443" ip=true unix=false "10.0.0.2:443"
	// "@" ip=false unix=true "@"
	// "nonsense" ip=false unix=false ""
}

// A middleware stores the decision in the request's context, and any code
// below it reads it back.
func ExampleNewContext() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	r := res.ResolveValues(core.ParsePeer("10.0.0.4:1234"), []string{"203.0.113.7, 10.0.0.3"})
	ctx := core.NewContext(context.Background(), r)

	if got, ok := core.FromContext(ctx); ok {
		fmt.Println(got, got.Reason)
	}
	// Output: 203.0.113.7 header
}
