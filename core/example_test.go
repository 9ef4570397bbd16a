package core_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
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

	r := res.Resolve(core.ParsePeer("10.0.0.4:1234"), h)
	fmt.Println(r.Addr, r.Reason, r.Header, r.Hop)
	// Output: 203.0.113.7 header X-Forwarded-For 2
}

// A peer that is not a trusted proxy is the client, whatever it says; the
// Result says that it sent a header nobody asked it for.
func ExampleResolver_Resolve_untrustedPeer() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	h := http.Header{"X-Forwarded-For": {"10.0.0.1"}}

	r := res.Resolve(core.ParsePeer("198.51.100.9:5555"), h)
	fmt.Println(r.Addr, r.Reason, r.HeaderIgnored)
	// Output: 198.51.100.9 peer-untrusted true
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

// ResolveValues takes the header's lines as strings: here gRPC metadata,
// whose keys are lowercase, and whose peer is a net.Addr.
func ExampleResolver_ResolveValues() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	md := map[string][]string{"x-forwarded-for": {"198.51.100.4"}}
	peer := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}

	r := res.ResolveValues(core.PeerFromNetAddr(peer), md[res.MetadataKey()])
	fmt.Println(r.Addr, r.Reason, r.Peer)
	// Output: 198.51.100.4 header 127.0.0.1:40000
}

// ExplainValues explains a decision from the header's lines, as gRPC
// metadata holds them.
func ExampleResolver_ExplainValues() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	fmt.Println(res.ExplainValues(core.ParsePeer("10.0.0.4:1"), []string{"6.6.6.6", "203.0.113.7, junk, 10.0.0.3"}))
	// Output:
	// peer 10.0.0.4:1 is trusted by 10.0.0.0/8, so its X-Forwarded-For is read
	// hop 1 10.0.0.3 is trusted by 10.0.0.0/8
	// hop 2 "junk" is not a valid hop, so the walk stops
	// the answer is the last verified hop, the nearest trusted one to the right of the bad one
	// => 10.0.0.3 (broken)
}

// ResolveBytes reads header lines in place, as fasthttp hands them over.
func ExampleResolver_ResolveBytes() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Real-IP"})
	lines := [][]byte{[]byte("203.0.113.7")}

	r := res.ResolveBytes(core.PeerFromAddrPort(netip.MustParseAddrPort("127.0.0.1:40000")), lines)
	fmt.Println(r.Addr, r.Reason)
	// Output: 203.0.113.7 header
}

// Trust lists change while serving: here a CDN's new range arrives, and
// requests through it are believed from then on.
func ExampleResolver_Update() {
	cfg := core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"}
	res := core.MustNew(cfg)
	h := http.Header{"X-Forwarded-For": {"203.0.113.7, 198.51.100.9"}}
	fmt.Println(res.Resolve(core.ParsePeer("10.0.0.4:1"), h))

	cfg.TrustedProxies = append(cfg.TrustedProxies, "198.51.100.0/24")
	if err := res.Update(cfg); err != nil {
		panic(err)
	}
	fmt.Println(res.Resolve(core.ParsePeer("10.0.0.4:1"), h))
	// Output:
	// 198.51.100.9
	// 203.0.113.7
}

// A Config can be valid and still not what was meant; Warnings says what
// looks wrong, for the program to log.
func ExampleResolver_Warnings() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.1/8"}, Header: "X-Forwarded_For"})
	for _, w := range res.Warnings() {
		fmt.Println(w)
	}
	// Output:
	// trusted_proxies[0]: "10.0.0.1/8" has host bits set; it is read as 10.0.0.0/8, which trusts the whole range
	// header: "X-Forwarded_For" is read as a header holding a single address; did you mean X-Forwarded-For?
}

// Refresh the Cloudflare ranges from the list Cloudflare publishes, here
// read from a string.
func ExampleReadTrustSet() {
	fresh, err := core.ReadTrustSet(strings.NewReader("173.245.48.0/20\n2400:cb00::/32\n"), core.FormatAuto)
	if err != nil {
		panic(err)
	}
	res := core.MustNew(core.Config{Header: "CF-Connecting-IP"}, core.WithTrustSet(fresh))
	h := http.Header{"Cf-Connecting-Ip": {"203.0.113.7"}}

	r := res.Resolve(core.ParsePeer("173.245.48.10:443"), h)
	fmt.Println(r.Addr, r.Reason, fresh.Len())
	// Output: 203.0.113.7 header 2
}

// A provider's JSON list is told by its keys: here Fastly's.
func ExampleReadTrustSet_json() {
	body := `{"addresses":["151.101.0.0/16","23.235.32.0/20"],"ipv6_addresses":["2a04:4e40::/32"]}`
	set, err := core.ReadTrustSet(strings.NewReader(body), core.FormatAuto)
	if err != nil {
		panic(err)
	}
	fmt.Println(set.Len(), set.Contains(netip.MustParseAddr("151.101.1.1")))
	// Output: 3 true
}

// A damaged list is refused, and the error says where.
func ExampleReadTrustSet_error() {
	list := "# Cloudflare ips-v4\n173.245.48.0/20\n103.21.244.0/2x\n"
	_, err := core.ReadTrustSet(strings.NewReader(list), core.FormatLines)
	fmt.Println(err)
	// Output: line 3 "103.21.244.0/2x": netip.ParsePrefix("103.21.244.0/2x"): bad bits after slash: "2x"
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

// A Unix-socket peer has no address; trusted, it may send the header.
func ExampleUnixPeer() {
	res := core.MustNew(core.Config{Header: "X-Forwarded-For", TrustUnixSocket: true})
	r := res.Resolve(core.UnixPeer(), http.Header{"X-Forwarded-For": {"203.0.113.7"}})
	fmt.Println(r.Addr, r.Reason, r.Peer)
	// Output: 203.0.113.7 header @
}

// Behind a PROXY header that named no client, the load balancer's address
// is the answer, and the headers after it are not believed, though the
// load balancer is a trusted proxy. A peer taken from text nothing vouches
// for is no answer at all.
func ExamplePeer_WithProvenance() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	lb := core.ParsePeer("10.0.0.9:443").WithProvenance(core.ProvenanceNoClient)
	r := res.ResolveValues(lb, []string{"6.6.6.6"})
	fmt.Println(r.Addr, r.Reason, r.Peer.Provenance())
	text := core.ParsePeer("6.6.6.6:0").WithProvenance(core.ProvenanceUnattested)
	r = res.ResolveValues(text, []string{"10.0.0.1"})
	fmt.Println(r.IsValid(), r.Reason, r.Peer)
	// Output:
	// 10.0.0.9 peer-untrusted proxy-no-client
	// false no-peer 6.6.6.6:0
}

// AppendTo writes the client's text into a buffer of the caller's, for a
// rate limiter's key or a log line, without a string per request.
func ExampleResult_AppendTo() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	r := res.ResolveValues(core.ParsePeer("127.0.0.1:1"), []string{"2001:db8::7"})
	if !r.IsValid() {
		return // no client address: an untrusted Unix-socket peer
	}
	var buf [64]byte
	key := append(r.AppendTo(buf[:0]), "|login"...)
	fmt.Println(string(key))
	// Output: 2001:db8::7|login
}

// A Result logs as a group with log/slog, and marshals to JSON.
func ExampleResult_LogValue() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	r := res.ResolveValues(core.ParsePeer("127.0.0.1:4711"), []string{"203.0.113.7"})

	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	logger.Info("request", "client", r)
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
	// Output:
	// level=INFO msg=request client.ip=203.0.113.7 client.reason=header client.peer=127.0.0.1:4711 client.header=X-Forwarded-For client.hop=1
	// {"ip":"203.0.113.7","reason":"header","peer":"127.0.0.1:4711","header":"X-Forwarded-For","hop":1}
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

// PeerFromNetAddr converts a connection's address without formatting it;
// a v4-mapped address is unmapped, and a Unix socket has no address.
func ExamplePeerFromNetAddr() {
	tcp := &net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.7"), Port: 443}
	p := core.PeerFromNetAddr(tcp)
	fmt.Println(p.Addr(), p.AddrPort().Port(), p.IsIP())

	unix := core.PeerFromNetAddr(&net.UnixAddr{Name: "6.6.6.6:1234", Net: "unix"})
	fmt.Println(unix.IsUnix(), unix.Addr().IsValid())
	// Output:
	// 192.0.2.7 443 true
	// true false
}
