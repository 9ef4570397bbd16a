package benchmarks

import (
	"bufio"
	"bytes"
	"net/netip"
	"testing"

	goproxyproto "github.com/pires/go-proxyproto"

	"github.com/trustedip/trustedip/core/proxyproto"
)

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

// ppLibs are BenchmarkProxyHeader's libraries, in benchstat order.
var ppLibs = []string{"ours", "ours-bufio", "go-proxyproto"}

var ppNotes = map[string]string{
	"ours":          "proxyproto.Parse on the bytes read",
	"ours-bufio":    "proxyproto.Parse through bufio.Reader Peek and Discard",
	"go-proxyproto": "go-proxyproto v0.15.0 Read(*bufio.Reader)",
}

// ProxyHeaderSetups returns BenchmarkProxyHeader as Setups, for a report:
// Framework is "proxyproto/<case>" (v1tcp4, v1tcp6, v2tcp4, v2tcp6tlv3)
// and Name the library (ours, ours-bufio, go-proxyproto).
func ProxyHeaderSetups() []Setup {
	var out []Setup
	for _, c := range ppCases {
		for _, lib := range ppLibs {
			bench := ppBenches[lib]
			out = append(out, Setup{
				Framework: "proxyproto/" + c.name, Name: lib, Note: ppNotes[lib],
				Bench: func(b *testing.B) { bench(b, c.in) },
			})
		}
	}
	return out
}
