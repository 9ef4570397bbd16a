package proxyproto

import (
	"errors"
	"strings"
	"testing"
)

// parseCase is one input to Parse: the header (or the bytes that are not
// one) and what follows it, with the expected outcome.
type parseCase struct {
	name string
	in   string // the header, or the whole input when err is set
	rest string // the start of the relayed stream, after the header
	want Header
	err  error // a sentinel, or nil
}

// The spec's examples and limits (proxy-protocol.txt, section 2.1).
var v1Cases = []parseCase{
	{name: "spec example TCP4", in: "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", rest: "GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n",
		want: Header{Version: 1, Command: Proxy, Family: FamilyINET, Transport: TransportStream, Source: ap("192.168.0.1:56324"), Destination: ap("192.168.0.11:443")}},
	{name: "longest TCP4 (56 bytes)", in: "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n",
		want: Header{Version: 1, Command: Proxy, Family: FamilyINET, Transport: TransportStream, Source: ap("255.255.255.255:65535"), Destination: ap("255.255.255.255:65535")}},
	{name: "ports and addresses of zero", in: "PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n",
		want: Header{Version: 1, Command: Proxy, Family: FamilyINET, Transport: TransportStream, Source: ap("0.0.0.0:0"), Destination: ap("0.0.0.0:0")}},
	{name: "TCP6", in: "PROXY TCP6 2001:db8::1 2001:db8::2 51234 443\r\n", rest: "\x16\x03\x01",
		want: Header{Version: 1, Command: Proxy, Family: FamilyINET6, Transport: TransportStream, Source: ap("[2001:db8::1]:51234"), Destination: ap("[2001:db8::2]:443")}},
	{name: "longest TCP6 (104 bytes)", in: "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF 65535 65535\r\n",
		want: Header{Version: 1, Command: Proxy, Family: FamilyINET6, Transport: TransportStream, Source: ap("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"), Destination: ap("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535")}},
	{name: "TCP6 with IPv4-mapped addresses, kept mapped", in: "PROXY TCP6 ::ffff:192.0.2.1 ::ffff:c000:202 1 2\r\n",
		want: Header{Version: 1, Command: Proxy, Family: FamilyINET6, Transport: TransportStream, Source: ap("[::ffff:192.0.2.1]:1"), Destination: ap("[::ffff:192.0.2.2]:2")}},
	{name: "TCP6 unspecified and loopback", in: "PROXY TCP6 :: ::1 0 1\r\n",
		want: Header{Version: 1, Command: Proxy, Family: FamilyINET6, Transport: TransportStream, Source: ap("[::]:0"), Destination: ap("[::1]:1")}},
	{name: "UNKNOWN short form", in: "PROXY UNKNOWN\r\n", rest: "GET /",
		want: Header{Version: 1, Command: Proxy}},
	{name: "UNKNOWN worst case (107 bytes)", in: "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
		want: Header{Version: 1, Command: Proxy}},
	{name: "UNKNOWN followed by anything", in: "PROXY UNKNOWN this is ignored \x00\xff  \r\n",
		want: Header{Version: 1, Command: Proxy}},
	{name: "UNKNOWN with a space only", in: "PROXY UNKNOWN \r\n",
		want: Header{Version: 1, Command: Proxy}},

	{name: "no signature: HTTP", in: "GET / HTTP/1.1\r\n", err: ErrNoHeader},
	{name: "no signature: lowercase", in: "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", err: ErrNoHeader},
	{name: "PROXY without its space", in: "PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n", err: ErrMalformed},
	{name: "PROXY and a tab", in: "PROXY\tTCP4", err: ErrMalformed},
	{name: "PROXY and CRLF", in: "PROXY\r\n", err: ErrMalformed},
	{name: "incomplete: PROXY", in: "PROXY", err: ErrIncomplete},
	{name: "no signature: first byte", in: "\x16\x03\x01\x02\x00", err: ErrNoHeader},

	{name: "bare LF", in: "PROXY TCP4 1.2.3.4 5.6.7.8 80 443\n", err: ErrMalformed},
	{name: "CR not followed by LF", in: "PROXY TCP4 1.2.3.4 5.6.7.8 80 443\rX\n", err: ErrMalformed},
	{name: "LF CR", in: "PROXY TCP4 1.2.3.4 5.6.7.8 80 443\n\r", err: ErrMalformed},
	{name: "no fields", in: "PROXY TCP4\r\n", err: ErrMalformed},
	{name: "no protocol", in: "PROXY \r\n", err: ErrMalformed},
	{name: "protocol lowercase", in: "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", err: ErrMalformed},
	{name: "protocol UDP4", in: "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", err: ErrMalformed},
	{name: "protocol TCP5", in: "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", err: ErrMalformed},
	{name: "UNKNOWN run on", in: "PROXY UNKNOWNX\r\n", err: ErrMalformed},
	{name: "UNKNOWN with a CR inside", in: "PROXY UNKNOWN a\rb\r\n", err: ErrMalformed},
	{name: "double space", in: "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", err: ErrMalformed},
	{name: "double space between ports", in: "PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n", err: ErrMalformed},
	{name: "trailing space", in: "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", err: ErrMalformed},
	{name: "tab separator", in: "PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", err: ErrMalformed},
	{name: "three fields", in: "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", err: ErrMalformed},
	{name: "five fields", in: "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", err: ErrMalformed},
	{name: "leading zero in octet", in: "PROXY TCP4 010.0.0.1 5.6.7.8 1 2\r\n", err: ErrMalformed},
	{name: "octet out of range", in: "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", err: ErrMalformed},
	{name: "three octets", in: "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", err: ErrMalformed},
	{name: "IPv6 in TCP4", in: "PROXY TCP4 ::1 5.6.7.8 1 2\r\n", err: ErrMalformed},
	{name: "IPv4 in TCP6", in: "PROXY TCP6 1.2.3.4 ::1 1 2\r\n", err: ErrMalformed},
	{name: "IPv4 destination in TCP6", in: "PROXY TCP6 ::1 1.2.3.4 1 2\r\n", err: ErrMalformed},
	{name: "zone in TCP6", in: "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", err: ErrMalformed},
	{name: "brackets in TCP6", in: "PROXY TCP6 [::1] ::1 1 2\r\n", err: ErrMalformed},
	{name: "host name", in: "PROXY TCP4 localhost 5.6.7.8 1 2\r\n", err: ErrMalformed},
	{name: "port with leading zero", in: "PROXY TCP4 1.2.3.4 5.6.7.8 080 443\r\n", err: ErrMalformed},
	{name: "port 00", in: "PROXY TCP4 1.2.3.4 5.6.7.8 00 443\r\n", err: ErrMalformed},
	{name: "port too large", in: "PROXY TCP4 1.2.3.4 5.6.7.8 65536 443\r\n", err: ErrMalformed},
	{name: "port with six digits", in: "PROXY TCP4 1.2.3.4 5.6.7.8 100000 443\r\n", err: ErrMalformed},
	{name: "port with sign", in: "PROXY TCP4 1.2.3.4 5.6.7.8 +80 443\r\n", err: ErrMalformed},
	{name: "negative port", in: "PROXY TCP4 1.2.3.4 5.6.7.8 80 -1\r\n", err: ErrMalformed},
	{name: "port not a number", in: "PROXY TCP4 1.2.3.4 5.6.7.8 http 443\r\n", err: ErrMalformed},
	{name: "empty last port", in: "PROXY TCP4 1.2.3.4 5.6.7.8 80 \r\n", err: ErrMalformed},
	{name: "too long: no CRLF in 107 bytes", in: "PROXY UNKNOWN " + strings.Repeat("x", 120) + "\r\n", err: ErrTooLong},
	{name: "too long: CRLF at 108", in: "PROXY UNKNOWN " + strings.Repeat("x", 92) + "\r\n", err: ErrTooLong},
	{name: "too long: cannot end in time", in: "PROXY UNKNOWN " + strings.Repeat("x", 92), err: ErrTooLong},
	{name: "too long: TCP6 with long embedded forms", in: "PROXY TCP6 0000:0000:0000:0000:0000:ffff:255.255.255.255 0000:0000:0000:0000:0000:ffff:255.255.255.255 65535 65535\r\n", err: ErrTooLong},

	{name: "incomplete: empty", in: "", err: ErrIncomplete},
	{name: "incomplete: part of the signature", in: "PROX", err: ErrIncomplete},
	{name: "incomplete: signature", in: "PROXY ", err: ErrIncomplete},
	{name: "incomplete: protocol", in: "PROXY UNK", err: ErrIncomplete},
	{name: "incomplete: address", in: "PROXY TCP4 1.2.", err: ErrIncomplete},
	{name: "incomplete: IPv6 address", in: "PROXY TCP6 2001:db8::", err: ErrIncomplete},
	{name: "incomplete: embedded IPv4", in: "PROXY TCP6 ::ffff:1.2", err: ErrIncomplete},
	{name: "incomplete: no CRLF yet", in: "PROXY TCP4 1.2.3.4 5.6.7.8 80 443", err: ErrIncomplete},
	{name: "incomplete: no LF yet", in: "PROXY TCP4 1.2.3.4 5.6.7.8 80 443\r", err: ErrIncomplete},
	{name: "incomplete: UNKNOWN and anything", in: "PROXY UNKNOWN whatever", err: ErrIncomplete},
	{name: "early: bad protocol", in: "PROXY TCP5", err: ErrMalformed},
	{name: "early: octet too large", in: "PROXY TCP4 256", err: ErrMalformed},
	{name: "early: fifth octet", in: "PROXY TCP4 1.2.3.4.", err: ErrMalformed},
	{name: "early: IPv4 in TCP6", in: "PROXY TCP6 1.2.3.4 ", err: ErrMalformed},
	{name: "early: ninth group", in: "PROXY TCP6 1:2:3:4:5:6:7:8:", err: ErrMalformed},
	{name: "early: port leading zero", in: "PROXY TCP4 1.2.3.4 5.6.7.8 80 08", err: ErrMalformed},
	{name: "early: space after last port", in: "PROXY TCP4 1.2.3.4 5.6.7.8 80 8 ", err: ErrMalformed},
	{name: "early: CR in the middle", in: "PROXY TCP4 1.2\r", err: ErrMalformed},
}

// The version 2 forms of section 2.2, and ways to get them wrong.
var v2Cases = []parseCase{
	{name: "haproxy TCP4 capture", in: "\r\n\r\n\x00\r\nQUIT\n!\x11\x00\x0c\xac\x13\x00\x01\xac\x13\x00\x03\xa6R\x00P", rest: "GET / HTTP/1.1\r\n",
		want: Header{Version: 2, Command: Proxy, Family: FamilyINET, Transport: TransportStream, Source: ap("172.19.0.1:42578"), Destination: ap("172.19.0.3:80")}},
	{name: "UDP4", in: v2(0x21, 0x12, in4("192.0.2.1", "192.0.2.2", 53, 5353)),
		want: Header{Version: 2, Command: Proxy, Family: FamilyINET, Transport: TransportDatagram, Source: ap("192.0.2.1:53"), Destination: ap("192.0.2.2:5353")}},
	{name: "TCP6", in: v2(0x21, 0x21, in6("2001:db8::1", "2001:db8::2", 51234, 443)), rest: "\x16\x03\x01",
		want: Header{Version: 2, Command: Proxy, Family: FamilyINET6, Transport: TransportStream, Source: ap("[2001:db8::1]:51234"), Destination: ap("[2001:db8::2]:443")}},
	{name: "UDP6 with IPv4-mapped source", in: v2(0x21, 0x22, in6("::ffff:192.0.2.1", "2001:db8::2", 1, 2)),
		want: Header{Version: 2, Command: Proxy, Family: FamilyINET6, Transport: TransportDatagram, Source: ap("[::ffff:192.0.2.1]:1"), Destination: ap("[2001:db8::2]:2")}},
	{name: "UNIX stream", in: v2(0x21, 0x31, unixBlock("/run/client.sock", "/run/server.sock")),
		want: Header{Version: 2, Command: Proxy, Family: FamilyUnix, Transport: TransportStream, SourceUnix: "/run/client.sock", DestinationUnix: "/run/server.sock"}},
	{name: "UNIX datagram, abstract and full-length paths", in: v2(0x21, 0x32, unixBlock("\x00abstract", strings.Repeat("p", 108))),
		want: Header{Version: 2, Command: Proxy, Family: FamilyUnix, Transport: TransportDatagram, SourceUnix: "\x00abstract", DestinationUnix: strings.Repeat("p", 108)}},
	{name: "LOCAL health check", in: v2(0x20, 0x00), rest: "GET /health",
		want: Header{Version: 2, Command: Local}},
	{name: "LOCAL with addresses, ignored", in: v2(0x20, 0x11, in4("10.0.0.1", "10.0.0.2", 1, 2)),
		want: Header{Version: 2, Command: Local, Family: FamilyINET, Transport: TransportStream}},
	{name: "LOCAL with a family and no address block", in: v2(0x20, 0x11),
		want: Header{Version: 2, Command: Local, Family: FamilyINET, Transport: TransportStream}},
	{name: "LOCAL with a short block, skipped", in: v2(0x20, 0x21, "\x01\x02\x03"),
		want: Header{Version: 2, Command: Local, Family: FamilyINET6, Transport: TransportStream}},
	{name: "LOCAL with TLVs", in: v2(0x20, 0x00, tlv(TLVUniqueID, "hc-1")),
		want: Header{Version: 2, Command: Local, tlvs: tlv(TLVUniqueID, "hc-1")}},
	{name: "PROXY UNSPEC", in: v2(0x21, 0x00),
		want: Header{Version: 2, Command: Proxy}},
	{name: "PROXY UNSPEC with TLVs", in: v2(0x21, 0x00, tlv(TLVAuthority, "example.com")),
		want: Header{Version: 2, Command: Proxy, tlvs: tlv(TLVAuthority, "example.com")}},
	{name: "TCP4 with TLVs", in: v2(0x21, 0x11, in4("203.0.113.7", "192.0.2.1", 51234, 443),
		tlv(TLVALPN, "h2"), tlv(TLVNoop, "\x00\x00"), tlv(TLVAuthority, "example.com"), tlv(TLVUniqueID, "\x01\x02\x03"), tlv(0xF0, "")), rest: "PRI * HTTP/2.0",
		want: Header{Version: 2, Command: Proxy, Family: FamilyINET, Transport: TransportStream, Source: ap("203.0.113.7:51234"), Destination: ap("192.0.2.1:443"),
			tlvs: tlv(TLVALPN, "h2") + tlv(TLVAuthority, "example.com") + tlv(TLVUniqueID, "\x01\x02\x03") + tlv(0xF0, "")}},
	{name: "SSL TLV", in: v2(0x21, 0x11, in4("203.0.113.7", "192.0.2.1", 1, 443),
		tlv(TLVSSL, ssl(0x07, 0, tlv(SSLSubVersion, "TLSv1.3"), tlv(SSLSubCN, "client")))),
		want: Header{Version: 2, Command: Proxy, Family: FamilyINET, Transport: TransportStream, Source: ap("203.0.113.7:1"), Destination: ap("192.0.2.1:443"),
			tlvs: tlv(TLVSSL, ssl(0x07, 0, tlv(SSLSubVersion, "TLSv1.3"), tlv(SSLSubCN, "client")))}},
	{name: "UNIQUE_ID of 128 bytes", in: v2(0x21, 0x00, tlv(TLVUniqueID, strings.Repeat("u", 128))),
		want: Header{Version: 2, Command: Proxy, tlvs: tlv(TLVUniqueID, strings.Repeat("u", 128))}},
	{name: "CRC32C", in: seal(v2(0x21, 0x11, in4("10.0.0.1", "10.0.0.2", 1, 2), crcPlaceholder, tlv(TLVALPN, "h2")), 16+12),
		want: Header{Version: 2, Command: Proxy, Family: FamilyINET, Transport: TransportStream, Source: ap("10.0.0.1:1"), Destination: ap("10.0.0.2:2"),
			tlvs: tlv(TLVALPN, "h2"), checksummed: true}},
	{name: "CRC32C last, on a health check", in: seal(v2(0x20, 0x00, tlv(TLVNoop, ""), crcPlaceholder), 16+3),
		want: Header{Version: 2, Command: Local, checksummed: true}},
	{name: "longest length", in: v2(0x21, 0x00, tlv(0xF1, strings.Repeat("x", 0xffff-3))),
		want: Header{Version: 2, Command: Proxy, tlvs: tlv(0xF1, strings.Repeat("x", 0xffff-3))}},

	{name: "no signature: one byte off", in: "\r\n\r\n\x00\r\nQUIT\r\x21\x11\x00\x00", err: ErrNoHeader},
	{name: "no signature: NUL missing", in: "\r\n\r\n\r\nQUIT\n\x21\x11\x00\x00", err: ErrNoHeader},
	{name: "no signature: CRLF line", in: "\r\n", rest: "GET", err: ErrNoHeader},
	{name: "version 1 in the binary format", in: v2(0x11, 0x11, in4("1.1.1.1", "2.2.2.2", 1, 2)), err: ErrUnsupported},
	{name: "version 3", in: v2(0x31, 0x11, in4("1.1.1.1", "2.2.2.2", 1, 2)), err: ErrUnsupported},
	{name: "command 2", in: v2(0x22, 0x11, in4("1.1.1.1", "2.2.2.2", 1, 2)), err: ErrUnsupported},
	{name: "command 15", in: v2(0x2F, 0x00), err: ErrUnsupported},
	{name: "family 4", in: v2(0x21, 0x41, in4("1.1.1.1", "2.2.2.2", 1, 2)), err: ErrUnsupported},
	{name: "transport 3", in: v2(0x21, 0x13, in4("1.1.1.1", "2.2.2.2", 1, 2)), err: ErrUnsupported},
	{name: "INET with UNSPEC transport", in: v2(0x21, 0x10, in4("1.1.1.1", "2.2.2.2", 1, 2)), err: ErrUnsupported},
	{name: "UNSPEC with STREAM transport", in: v2(0x21, 0x01), err: ErrUnsupported},
	{name: "LOCAL with an undefined family", in: v2(0x20, 0x13), err: ErrUnsupported},
	{name: "length shorter than INET block", in: v2len(0x21, 0x11, 11, in4("1.1.1.1", "2.2.2.2", 1, 2)), err: ErrMalformed},
	{name: "length shorter than INET6 block", in: v2len(0x21, 0x21, 35, in6("::1", "::2", 1, 2)), err: ErrMalformed},
	{name: "length shorter than UNIX block", in: v2len(0x21, 0x31, 215, unixBlock("a", "b")), err: ErrMalformed},
	{name: "length zero for INET", in: v2(0x21, 0x11), err: ErrMalformed},
	{name: "truncated TLV header", in: v2(0x21, 0x11, in4("1.1.1.1", "2.2.2.2", 1, 2), "\x01\x00"), err: ErrMalformed},
	{name: "truncated TLV value", in: v2(0x21, 0x11, in4("1.1.1.1", "2.2.2.2", 1, 2), "\x01\x00\x05h2"), err: ErrMalformed},
	{name: "TLV longer than the header", in: v2(0x21, 0x11, in4("1.1.1.1", "2.2.2.2", 1, 2), "\x02\xff\xffexample.com"), err: ErrMalformed},
	{name: "wrong CRC32C", in: v2(0x21, 0x11, in4("1.1.1.1", "2.2.2.2", 1, 2), tlv(TLVCRC32C, "\xde\xad\xbe\xef")), err: ErrChecksum},
	{name: "CRC32C sealed, then changed", in: func() string {
		b := []byte(seal(v2(0x21, 0x11, in4("1.1.1.1", "2.2.2.2", 1, 2), crcPlaceholder), 28))
		b[16] ^= 1 // the client address
		return string(b)
	}(), err: ErrChecksum},
	{name: "CRC32C of 3 bytes", in: v2(0x21, 0x00, tlv(TLVCRC32C, "\x00\x00\x00")), err: ErrMalformed},
	{name: "two CRC32C", in: v2(0x21, 0x00, crcPlaceholder, crcPlaceholder), err: ErrMalformed},
	{name: "UNIQUE_ID of 129 bytes", in: v2(0x21, 0x00, tlv(TLVUniqueID, strings.Repeat("u", 129))), err: ErrMalformed},
	{name: "SSL TLV shorter than 5", in: v2(0x21, 0x00, tlv(TLVSSL, "\x01\x00\x00\x00")), err: ErrMalformed},
	{name: "SSL sub-TLV overruns", in: v2(0x21, 0x00, tlv(TLVSSL, ssl(1, 0, "\x21\x00\x09TLSv1.3"))), err: ErrMalformed},
	{name: "SSL sub-TLV header cut", in: v2(0x21, 0x00, tlv(TLVSSL, ssl(1, 0, "\x21\x00"))), err: ErrMalformed},

	{name: "incomplete: signature", in: sig2, err: ErrIncomplete},
	{name: "incomplete: 15 bytes", in: v2(0x21, 0x11)[:15], err: ErrIncomplete},
	{name: "incomplete: addresses", in: v2(0x21, 0x11, in4("1.1.1.1", "2.2.2.2", 1, 2))[:20], err: ErrIncomplete},
	{name: "early: version", in: sig2 + "\x10", err: ErrUnsupported},
	{name: "early: family", in: sig2 + "\x21\x51", err: ErrUnsupported},
	{name: "early: length shorter than the block", in: v2len(0x21, 0x21, 12), err: ErrMalformed},
	{name: "early: TLV longer than the length", in: v2len(0x21, 0x11, 20, in4("1.1.1.1", "2.2.2.2", 1, 2), "\x01\x00\x09"), err: ErrMalformed},
	{name: "early: TLV length high byte too large", in: v2len(0x21, 0x11, 200, in4("1.1.1.1", "2.2.2.2", 1, 2), "\x01\x01"), err: ErrMalformed},
	{name: "early: CRC32C cannot be 4 bytes", in: v2len(0x21, 0x00, 200, "\x03\x01"), err: ErrMalformed},
	{name: "early: SSL sub-TLV overruns", in: v2len(0x21, 0x00, 200, "\x20\x00\x0a\x01\x00\x00\x00\x00\x21\x00\x09"), err: ErrMalformed},
}

func TestParse(t *testing.T) {
	for _, group := range []struct {
		name  string
		cases []parseCase
	}{{"v1", v1Cases}, {"v2", v2Cases}} {
		t.Run(group.name, func(t *testing.T) {
			for _, tc := range group.cases {
				t.Run(tc.name, func(t *testing.T) {
					checkParse(t, tc)
				})
			}
		})
	}
}

func checkParse(t *testing.T, tc parseCase) {
	t.Helper()
	h, n, err := Parse([]byte(tc.in + tc.rest))
	if tc.err != nil {
		if !errors.Is(err, tc.err) {
			t.Fatalf("Parse(%q) error = %v, want %v", tc.in, err, tc.err)
		}
		var pe *Error
		if !errors.As(err, &pe) || pe.Detail() == "" {
			t.Fatalf("Parse(%q) error %v is not an *Error with a detail", tc.in, err)
		}
		if h != (Header{}) || n != 0 {
			t.Fatalf("Parse(%q) failed but returned %+v, %d", tc.in, h, n)
		}
		return
	}
	if err != nil {
		t.Fatalf("Parse(%q) error: %v", tc.in, err)
	}
	if n != len(tc.in) {
		t.Errorf("Parse(%q) n = %d, want %d", tc.in, n, len(tc.in))
	}
	if h != tc.want {
		t.Errorf("Parse(%q)\n got %+v\nwant %+v", tc.in, h, tc.want)
	}
}

// TestParsePrefixes holds Parse to its ErrIncomplete promise: every strict
// prefix of a valid header is incomplete, never a header or another error.
func TestParsePrefixes(t *testing.T) {
	for _, tc := range append(append([]parseCase{}, v1Cases...), v2Cases...) {
		if tc.err != nil || len(tc.in) > 1000 {
			continue
		}
		for i := range len(tc.in) {
			h, n, err := Parse([]byte(tc.in[:i]))
			if !errors.Is(err, ErrIncomplete) || n != 0 || h != (Header{}) {
				t.Fatalf("%s: Parse(%q) = %+v, %d, %v; want ErrIncomplete", tc.name, tc.in[:i], h, n, err)
			}
		}
	}
}

// TestHeaderLen: for every valid version 2 header, HeaderLen gives the
// length Parse returns from the 16th byte on, and nothing before; for
// version 1 and other input it gives nothing.
func TestHeaderLen(t *testing.T) {
	for _, tc := range append(append([]parseCase{}, v1Cases...), v2Cases...) {
		if tc.err != nil {
			continue
		}
		_, n, err := Parse([]byte(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		isV2 := strings.HasPrefix(tc.in, sig2)
		for i := 0; i <= n; i++ {
			got, ok := HeaderLen([]byte(tc.in[:i]))
			if want := isV2 && i >= 16; ok != want || (ok && got != n) {
				t.Fatalf("%s: HeaderLen of %d bytes = %d, %v; want %d, %v", tc.name, i, got, ok, n, want)
			}
		}
	}
	for _, in := range []string{"", "GET / HTTP/1.1\r\n\r\n", "\r\n\r\n\x00\r\nQUIX\n\x21\x11\x00\x0c"} {
		if n, ok := HeaderLen([]byte(in)); ok {
			t.Errorf("HeaderLen(%q) = %d, true", in, n)
		}
	}
}

// TestParseDoesNotKeepInput checks that a Header holds no reference into
// the input: overwriting the buffer after Parse must not change it.
func TestParseDoesNotKeepInput(t *testing.T) {
	for _, tc := range v2Cases {
		if tc.err != nil {
			continue
		}
		buf := []byte(tc.in)
		h, _, err := Parse(buf)
		if err != nil {
			t.Fatal(err)
		}
		before := h.TLVs()
		j1, _ := h.MarshalJSON()
		for i := range buf {
			buf[i] = 0xAA
		}
		j2, _ := h.MarshalJSON()
		if string(j1) != string(j2) || len(h.TLVs()) != len(before) {
			t.Errorf("%s: Header changed when the input was overwritten:\n%s\n%s", tc.name, j1, j2)
		}
	}
}

func TestErrors(t *testing.T) {
	_, _, err := Parse([]byte("PROXY TCP4 1.2.3.4 5.6.7.8 80 443\n"))
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind() != KindMalformed {
		t.Fatalf("error %v: want an *Error of kind KindMalformed", err)
	}
	if !errors.Is(err, ErrMalformed) || errors.Is(err, ErrIncomplete) || errors.Is(err, ErrNoHeader) {
		t.Errorf("errors.Is matches the wrong sentinels for %v", err)
	}
	if got := err.Error(); !strings.HasPrefix(got, "proxyproto: malformed header: ") || !strings.Contains(got, "LF") {
		t.Errorf("Error() = %q", got)
	}
	if ErrIncomplete.Error() != "proxyproto: incomplete header" {
		t.Errorf("ErrIncomplete.Error() = %q", ErrIncomplete.Error())
	}
	// Two detailed errors of one kind are not each other's sentinel.
	if errors.Is(errV1BareLF, errV1CR) {
		t.Error("a detailed error matched another detailed error")
	}
	for k := KindIncomplete; k <= KindChecksum; k++ {
		if strings.HasPrefix(k.String(), "Kind(") {
			t.Errorf("kind %d has no name", k)
		}
	}
	if Kind(99).String() != "Kind(99)" {
		t.Errorf("Kind(99).String() = %q", Kind(99).String())
	}
}

func TestStrings(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Local.String(), "LOCAL"}, {Proxy.String(), "PROXY"}, {Command(7).String(), "Command(7)"},
		{FamilyUnspec.String(), "UNSPEC"}, {FamilyINET.String(), "INET"}, {FamilyINET6.String(), "INET6"},
		{FamilyUnix.String(), "UNIX"}, {Family(9).String(), "Family(9)"},
		{TransportUnspec.String(), "UNSPEC"}, {TransportStream.String(), "STREAM"},
		{TransportDatagram.String(), "DGRAM"}, {Transport(5).String(), "Transport(5)"},
		{TLVALPN.String(), "ALPN"}, {TLVUniqueID.String(), "UNIQUE_ID"}, {TLVAzure.String(), "AZURE"},
		{TLVType(0x42).String(), "0x42"}, {SSLSubCN.String(), "0x22"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
