package proxyproto_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/trustedip/trustedip/core/proxyproto"
)

// A load balancer relays a client's HTTP connection, putting a version 1
// header in front of it. Parse returns the header and its length; what
// follows is the client's stream.
func ExampleParse() {
	conn := []byte("PROXY TCP4 203.0.113.7 192.0.2.1 51234 443\r\nGET / HTTP/1.1\r\n")

	h, n, err := proxyproto.Parse(conn)
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Version, h.Command, h.Family, h.Source, h.Destination)
	fmt.Printf("%q\n", conn[n:])
	// Output:
	// 1 PROXY INET 203.0.113.7:51234 192.0.2.1:443
	// "GET / HTTP/1.1\r\n"
}

// Bytes arrive in pieces. ErrIncomplete asks for more; a prefix that can
// no longer become a header is rejected at once.
func ExampleParse_incomplete() {
	for _, read := range []string{
		"PROXY TCP6 2001:db8::7 ",
		"PROXY TCP6 2001:db8::7 2001:db8::1 51234 443\r\n",
		"PROXY TCP6 203.0.113.7 ",
		"GET / HTTP/1.1\r\n",
	} {
		h, _, err := proxyproto.Parse([]byte(read))
		switch {
		case errors.Is(err, proxyproto.ErrIncomplete):
			fmt.Println("read more")
		case err != nil:
			fmt.Println(err)
		default:
			fmt.Println(h.Source)
		}
	}
	// Output:
	// read more
	// [2001:db8::7]:51234
	// proxyproto: malformed header: TCP6 address is not an IPv6 address
	// proxyproto: no PROXY protocol header: input does not start with a version 1 or version 2 signature
}

// A version 2 header says how long it is in its first 16 bytes, so a
// reader that gets it in small pieces can wait for all of it and parse it
// once. Here the length field (bytes 15 and 16) announces 12 bytes of IPv4
// addresses and ports after the fixed 16.
func ExampleHeaderLen() {
	hdr := []byte("\r\n\r\n\x00\r\nQUIT\n" + // signature
		"\x21\x11\x00\x0c" + // version 2 PROXY, TCP over IPv4, length 12
		"\xcb\x00\x71\x07\xc0\x00\x02\x01\xc8\x22\x01\xbb") // 203.0.113.7:51234 to 192.0.2.1:443
	for _, got := range [][]byte{hdr[:10], hdr[:16]} {
		n, ok := proxyproto.HeaderLen(got)
		fmt.Println(len(got), "bytes in:", n, ok)
	}
	h, n, err := proxyproto.Parse(hdr)
	fmt.Println(n, h.Source, err)
	// Output:
	// 10 bytes in: 0 false
	// 16 bytes in: 28 true
	// 28 203.0.113.7:51234 <nil>
}

// A proxy that passes connections on writes a version 2 header with TLVs
// and a checksum; the next hop reads them back.
func ExampleHeader_AppendV2() {
	h := proxyproto.Header{
		Command:     proxyproto.Proxy,
		Family:      proxyproto.FamilyINET6,
		Transport:   proxyproto.TransportStream,
		Source:      netip.MustParseAddrPort("[2001:db8::7]:51234"),
		Destination: netip.MustParseAddrPort("[2001:db8::1]:443"),
	}
	wire, err := h.AppendV2(nil,
		proxyproto.TLV{Type: proxyproto.TLVALPN, Value: []byte("h2")},
		proxyproto.TLV{Type: proxyproto.TLVAuthority, Value: []byte("example.com")},
		proxyproto.TLV{Type: proxyproto.TLVCRC32C}, // filled in by AppendV2
	)
	if err != nil {
		panic(err)
	}

	got, n, err := proxyproto.Parse(wire)
	if err != nil {
		panic(err)
	}
	alpn, _ := got.ALPN()
	authority, _ := got.Authority()
	fmt.Println(n, got.Source, string(alpn), authority, got.Checksummed())
	// Output: 78 [2001:db8::7]:51234 h2 example.com true
}

func ExampleHeader_AppendV1() {
	h := proxyproto.Header{
		Command:     proxyproto.Proxy,
		Family:      proxyproto.FamilyINET,
		Transport:   proxyproto.TransportStream,
		Source:      netip.MustParseAddrPort("203.0.113.7:51234"),
		Destination: netip.MustParseAddrPort("192.0.2.1:443"),
	}
	line, err := h.AppendV1(nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", line)
	// Output: "PROXY TCP4 203.0.113.7 192.0.2.1 51234 443\r\n"
}

// A whoami endpoint shows what the load balancer said, TLVs included.
func ExampleHeader_MarshalJSON() {
	h := proxyproto.Header{
		Command:     proxyproto.Proxy,
		Family:      proxyproto.FamilyINET,
		Transport:   proxyproto.TransportStream,
		Source:      netip.MustParseAddrPort("203.0.113.7:51234"),
		Destination: netip.MustParseAddrPort("192.0.2.1:443"),
	}
	wire, _ := h.AppendV2(nil,
		proxyproto.TLV{Type: proxyproto.TLVAuthority, Value: []byte("example.com")},
		proxyproto.TLV{Type: proxyproto.TLVAWS, Value: []byte("\x01vpce-0123456789abcdef0")},
	)
	got, _, _ := proxyproto.Parse(wire)
	j, _ := got.MarshalJSON()
	fmt.Println(string(j))
	// Output:
	// {"version":2,"command":"PROXY","family":"INET","transport":"STREAM","source":"203.0.113.7:51234","destination":"192.0.2.1:443","tlvs":[{"type":"0x02","name":"AUTHORITY","value":"example.com"},{"type":"0xea","name":"AWS","hex":"01767063652d3031323334353637383961626364656630"}],"authority":"example.com","aws_vpce_id":"vpce-0123456789abcdef0"}
}
