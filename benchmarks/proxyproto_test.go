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
	for _, lib := range ppLibs {
		b.Run("lib="+lib, func(b *testing.B) {
			for _, c := range ppCases {
				b.Run("case="+c.name, func(b *testing.B) {
					ppBenches[lib](b, c.in)
				})
			}
		})
	}
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
