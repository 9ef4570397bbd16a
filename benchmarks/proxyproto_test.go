package benchmarks

import (
	"bufio"
	"bytes"
	"net"
	"net/netip"
	"testing"

	goproxyproto "github.com/pires/go-proxyproto"

	"github.com/trustedip/trustedip/core/proxyproto"
)

// BenchmarkProxyHeader compares core/proxyproto with go-proxyproto v0.15.0
// decoding the same PROXY protocol headers, in one binary and one run:
// BenchmarkProxyHeader/lib=<lib>/case=<case>. Compare the libraries with
//
//	go test -run '^$' -bench ProxyHeader -benchmem -count 10 ./benchmarks/ > /tmp/bench-pp.txt
//	benchstat -col /lib /tmp/bench-pp.txt
//
// The libraries:
//
//   - ours: proxyproto.Parse on the bytes, which is how core/netconn uses
//     it (it parses what it has read, and reads more on ErrIncomplete).
//   - ours-bufio: the same, fed through the same bufio.Reader scaffolding
//     that go-proxyproto needs (Reset, Peek, Discard), for a comparison
//     that includes the cost of the reader.
//   - go-proxyproto: proxyproto.Read(*bufio.Reader), its public read API.
//     One bufio.Reader and one bytes.Reader are made before the timer
//     starts and Reset on every iteration, so the loop measures parsing
//     and not the 4 KiB buffer that bufio.NewReader would allocate.
//
// The cases, each followed by the start of the relayed stream:
//
//   - v1tcp4, v1tcp6: version 1 text lines.
//   - v2tcp4: version 2, TCP over IPv4, no TLVs.
//   - v2tcp6tlv3: version 2, TCP over IPv6, with ALPN, AUTHORITY and
//     UNIQUE_ID TLVs. Parse checks every TLV's bounds while decoding;
//     go-proxyproto's Read only copies the TLV bytes (it splits them when
//     Header.TLVs is called, which is not timed here), so ours does more
//     work in this case, not less.
//
// TestProxyHeaderAgreement checks first that both libraries decode every
// case to the same addresses, so that the numbers compare like with like.
func BenchmarkProxyHeader(b *testing.B) {
	for _, lib := range []string{"ours", "ours-bufio", "go-proxyproto"} {
		b.Run("lib="+lib, func(b *testing.B) {
			for _, c := range ppCases {
				b.Run("case="+c.name, func(b *testing.B) {
					ppBenches[lib](b, c.in)
				})
			}
		})
	}
}

// ppCase is one header, followed by stream bytes, with the endpoints it
// carries.
type ppCase struct {
	name     string
	in       []byte
	src, dst netip.AddrPort
	tlvs     []proxyproto.TLV
}

const ppStream = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"

var ppCases = func() []ppCase {
	v4 := proxyproto.Header{Command: proxyproto.Proxy, Family: proxyproto.FamilyINET, Transport: proxyproto.TransportStream,
		Source: netip.MustParseAddrPort("203.0.113.7:51234"), Destination: netip.MustParseAddrPort("192.0.2.1:443")}
	v6 := proxyproto.Header{Command: proxyproto.Proxy, Family: proxyproto.FamilyINET6, Transport: proxyproto.TransportStream,
		Source: netip.MustParseAddrPort("[2001:db8:cafe::17]:51234"), Destination: netip.MustParseAddrPort("[2001:db8:1::1]:443")}
	tlv3 := []proxyproto.TLV{
		{Type: proxyproto.TLVALPN, Value: []byte("h2")},
		{Type: proxyproto.TLVAuthority, Value: []byte("example.com")},
		{Type: proxyproto.TLVUniqueID, Value: []byte("4f2c335d158dfe95")},
	}
	must := func(b []byte, err error) []byte {
		if err != nil {
			panic(err)
		}
		return append(b, ppStream...)
	}
	return []ppCase{
		{name: "v1tcp4", in: must(v4.AppendV1(nil)), src: v4.Source, dst: v4.Destination},
		{name: "v1tcp6", in: must(v6.AppendV1(nil)), src: v6.Source, dst: v6.Destination},
		{name: "v2tcp4", in: must(v4.AppendV2(nil)), src: v4.Source, dst: v4.Destination},
		{name: "v2tcp6tlv3", in: must(v6.AppendV2(nil, tlv3...)), src: v6.Source, dst: v6.Destination, tlvs: tlv3},
	}
}()

var ppBenches = map[string]func(*testing.B, []byte){
	"ours":          benchPPOurs,
	"ours-bufio":    benchPPOursBufio,
	"go-proxyproto": benchPPGoProxyproto,
}

// Sinks keep the compiler from discarding the work.
var (
	sinkPPHeader    proxyproto.Header
	sinkPPGoHeader  *goproxyproto.Header
	sinkPPN         int
	sinkPPErr       error
	sinkPPBufferLen int
)

func benchPPOurs(b *testing.B, in []byte) {
	b.ReportAllocs()
	for b.Loop() {
		sinkPPHeader, sinkPPN, sinkPPErr = proxyproto.Parse(in)
	}
	if sinkPPErr != nil {
		b.Fatal(sinkPPErr)
	}
}

func benchPPOursBufio(b *testing.B, in []byte) {
	rd := bytes.NewReader(in)
	br := bufio.NewReader(rd)
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(in)
		br.Reset(rd)
		if _, err := br.Peek(1); err != nil { // one read fills the buffer
			b.Fatal(err)
		}
		buf, _ := br.Peek(br.Buffered())
		sinkPPHeader, sinkPPN, sinkPPErr = proxyproto.Parse(buf)
		_, _ = br.Discard(sinkPPN)
	}
	if sinkPPErr != nil {
		b.Fatal(sinkPPErr)
	}
	sinkPPBufferLen = br.Buffered()
}

func benchPPGoProxyproto(b *testing.B, in []byte) {
	rd := bytes.NewReader(in)
	br := bufio.NewReader(rd)
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(in)
		br.Reset(rd)
		sinkPPGoHeader, sinkPPErr = goproxyproto.Read(br)
	}
	if sinkPPErr != nil {
		b.Fatal(sinkPPErr)
	}
	sinkPPBufferLen = br.Buffered()
}

// TestProxyHeaderAgreement decodes every benchmark case with both
// libraries, through the same setup the benchmarks use, and fails unless
// both find the expected endpoints (and TLVs), and leave the same stream
// bytes after the header.
func TestProxyHeaderAgreement(t *testing.T) {
	for _, c := range ppCases {
		h, n, err := proxyproto.Parse(c.in)
		if err != nil {
			t.Fatalf("%s: ours: %v", c.name, err)
		}
		if h.Source != c.src || h.Destination != c.dst || string(c.in[n:]) != ppStream {
			t.Errorf("%s: ours = %v -> %v, rest %q", c.name, h.Source, h.Destination, c.in[n:])
		}

		br := bufio.NewReader(bytes.NewReader(c.in))
		gh, err := goproxyproto.Read(br)
		if err != nil {
			t.Fatalf("%s: go-proxyproto: %v", c.name, err)
		}
		src, ok1 := gh.SourceAddr.(*net.TCPAddr)
		dst, ok2 := gh.DestinationAddr.(*net.TCPAddr)
		if !ok1 || !ok2 {
			t.Fatalf("%s: go-proxyproto addresses %T %T", c.name, gh.SourceAddr, gh.DestinationAddr)
		}
		// net.IP holds IPv4 in 16 bytes; compare unmapped.
		unmap := func(ap netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()) }
		if unmap(src.AddrPort()) != unmap(c.src) || unmap(dst.AddrPort()) != unmap(c.dst) {
			t.Errorf("%s: go-proxyproto = %v -> %v, want %v -> %v", c.name, src, dst, c.src, c.dst)
		}
		rest := make([]byte, br.Buffered())
		_, _ = br.Read(rest)
		if string(rest) != ppStream {
			t.Errorf("%s: go-proxyproto left %q after the header", c.name, rest)
		}

		theirs, err := gh.TLVs()
		if err != nil {
			t.Fatalf("%s: go-proxyproto TLVs: %v", c.name, err)
		}
		ours := h.TLVs()
		if len(theirs) != len(c.tlvs) || len(ours) != len(c.tlvs) {
			t.Fatalf("%s: %d TLVs (go-proxyproto %d), want %d", c.name, len(ours), len(theirs), len(c.tlvs))
		}
		for i, want := range c.tlvs {
			if ours[i].Type != want.Type || !bytes.Equal(ours[i].Value, want.Value) ||
				byte(theirs[i].Type) != byte(want.Type) || !bytes.Equal(theirs[i].Value, want.Value) {
				t.Errorf("%s: TLV %d: ours %v %q, go-proxyproto %#x %q, want %v %q", c.name, i,
					ours[i].Type, ours[i].Value, theirs[i].Type, theirs[i].Value, want.Type, want.Value)
			}
		}
	}
}
