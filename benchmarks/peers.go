package benchmarks

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/realip"
	"github.com/labstack/echo/v4"
	realclientip "github.com/realclientip/realclientip-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/nethttpmw"
)

// peerInput is one request shape, run through every library.
type peerInput struct {
	name       string
	remoteAddr string
	header     string // canonical header name
	value      string // its single line
	trusted    []string
	want       string // the client every library should find
}

var (
	trustedV4 = []string{"10.0.0.0/8"}
	// The ipv6 input trusts its proxies' /48, not 2001:db8::/32: the
	// client 2001:db8:cafe::17 is in the /32 and would be trusted too.
	trustedV6 = []string{"10.0.0.0/8", "2001:db8:1::/48"}
)

// xff10k is built once: 9,997 entries a right-to-left walk never reaches,
// then the three that decide.
var xff10k = func() string {
	var b strings.Builder
	for i := range 9997 {
		if i%4 == 3 {
			b.WriteString("junk-entry")
		} else {
			fmt.Fprintf(&b, "198.51.%d.%d", i/250%250, i%250+1)
		}
		b.WriteString(", ")
	}
	b.WriteString("203.0.113.7, 10.0.0.2, 10.0.0.3")
	return b.String()
}()

var peerInputs = []peerInput{
	{
		name:       "xff3",
		remoteAddr: "10.0.0.4:1234",
		header:     "X-Forwarded-For",
		value:      "203.0.113.7, 10.0.0.2, 10.0.0.3",
		trusted:    trustedV4,
		want:       "203.0.113.7",
	},
	{
		name:       "xff10k",
		remoteAddr: "10.0.0.4:1234",
		header:     "X-Forwarded-For",
		value:      xff10k,
		trusted:    trustedV4,
		want:       "203.0.113.7",
	},
	{
		name:       "fwd3",
		remoteAddr: "10.0.0.4:1234",
		header:     "Forwarded",
		value:      "for=203.0.113.7, for=10.0.0.2, for=10.0.0.3",
		trusted:    trustedV4,
		want:       "203.0.113.7",
	},
	{
		name:       "ipv6",
		remoteAddr: "[2001:db8:1::4]:1234",
		header:     "X-Forwarded-For",
		value:      "2001:db8:cafe::17, 2001:db8:1::2, 2001:db8:1::3",
		trusted:    trustedV6,
		want:       "2001:db8:cafe::17",
	},
}

// peerLibs names the libraries in the order benchstat should show them.
var peerLibs = []string{"ours", "ours-str", "gin", "echo", "chi", "realclientip", "grpc-realip"}

// newRequest builds the request once; the timed loops only read it. Its
// context records its connection, as nethttpmw.ConnContext does on a real
// server, but from a ConnInfo (netconn.NewInfoContext), since the inputs'
// peers are not loopback addresses: nethttpmw.Peer then finds the socket
// peer there, as it would in a server, and not the unattested text of
// RemoteAddr, which would answer no-peer without resolving anything.
func newRequest(in peerInput) *http.Request {
	ap := netip.MustParseAddrPort(in.remoteAddr)
	ctx := netconn.NewInfoContext(context.Background(), &netconn.ConnInfo{SocketPeer: ap, Client: ap})
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "http://example.com/", nil)
	r.RemoteAddr = in.remoteAddr
	r.Header = http.Header{in.header: {in.value}}
	return r
}

func newOurs(tb testing.TB, in peerInput) *core.Resolver {
	res, err := core.New(core.Config{TrustedProxies: in.trusted, Header: in.header})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// newGin returns a Context ready for ClientIP, or why gin cannot take part.
// ClientIP recomputes its answer on every call (nothing is cached on the
// Context), so calling it in a loop on one Context is the per-request cost.
func newGin(tb testing.TB, in peerInput) (*gin.Context, string) {
	if in.header != "X-Forwarded-For" {
		return nil, xffOnly["gin"]
	}
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	if err := engine.SetTrustedProxies(in.trusted); err != nil {
		tb.Fatal(err)
	}
	engine.ForwardedByClientIP = true
	engine.RemoteIPHeaders = []string{"X-Forwarded-For"}
	engine.TrustedPlatform = ""
	c := gin.CreateTestContextOnly(httptest.NewRecorder(), engine)
	c.Request = newRequest(in)
	return c, ""
}

// newEcho returns echo's X-Forwarded-For extractor trusting only in.trusted.
func newEcho(tb testing.TB, in peerInput) (echo.IPExtractor, string) {
	if in.header != "X-Forwarded-For" {
		return nil, xffOnly["echo"]
	}
	opts := []echo.TrustOption{
		echo.TrustLoopback(false),
		echo.TrustLinkLocal(false),
		echo.TrustPrivateNet(false),
	}
	for _, p := range in.trusted {
		_, ipnet, err := net.ParseCIDR(p)
		if err != nil {
			tb.Fatal(err)
		}
		opts = append(opts, echo.TrustIPRange(ipnet))
	}
	return echo.ExtractIPFromXFFHeader(opts...), ""
}

// chiHarness is chi's ClientIPFromXFF middleware wrapped around a handler
// that reads the answer back, the only way chi hands it out.
type chiHarness struct {
	h   http.Handler
	w   discardWriter
	got string
}

func newChi(tb testing.TB, in peerInput) (*chiHarness, string) {
	if in.header != "X-Forwarded-For" {
		return nil, xffOnly["chi"]
	}
	ch := &chiHarness{}
	ch.h = middleware.ClientIPFromXFF(in.trusted...)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		ch.got = middleware.GetClientIP(r.Context())
	}))
	return ch, ""
}

func (ch *chiHarness) clientIP(r *http.Request) string {
	ch.h.ServeHTTP(ch.w, r)
	return ch.got
}

// discardWriter is an http.ResponseWriter that costs nothing; the chi
// handler never writes.
type discardWriter struct{}

func (discardWriter) Header() http.Header         { return nil }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) WriteHeader(int)             {}

// newRealClientIP builds the strategy once. It reads X-Forwarded-For and
// Forwarded both. It ignores the remoteAddr argument: the peer is never
// checked against the trusted ranges.
func newRealClientIP(tb testing.TB, in peerInput) realclientip.RightmostTrustedRangeStrategy {
	ranges, err := realclientip.AddressesAndRangesToIPNets(in.trusted...)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := realclientip.NewRightmostTrustedRangeStrategy(in.header, ranges)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Sinks keep the compiler from discarding the work.
var (
	sinkResult core.Result
	sinkString string
)

var peerBenches = map[string]func(*testing.B, peerInput){
	"ours":         benchOurs,
	"ours-str":     benchOursString,
	"gin":          benchGin,
	"echo":         benchEcho,
	"chi":          benchChi,
	"realclientip": benchRealClientIP,
	"grpc-realip":  benchGRPCRealIP,
}

func benchOurs(b *testing.B, in peerInput) {
	res, r := newOurs(b, in), newRequest(in)
	b.ReportAllocs()
	var out core.Result
	for b.Loop() {
		out = res.Resolve(nethttpmw.Peer(r), r.Header)
	}
	sinkResult = out
}

func benchOursString(b *testing.B, in peerInput) {
	res, r := newOurs(b, in), newRequest(in)
	b.ReportAllocs()
	var out string
	for b.Loop() {
		out = res.Resolve(nethttpmw.Peer(r), r.Header).String()
	}
	sinkString = out
}

func benchGin(b *testing.B, in peerInput) {
	c, skip := newGin(b, in)
	if skip != "" {
		b.Skip(skip)
	}
	b.ReportAllocs()
	var out string
	for b.Loop() {
		out = c.ClientIP()
	}
	sinkString = out
}

func benchEcho(b *testing.B, in peerInput) {
	extract, skip := newEcho(b, in)
	if skip != "" {
		b.Skip(skip)
	}
	r := newRequest(in)
	b.ReportAllocs()
	var out string
	for b.Loop() {
		out = extract(r)
	}
	sinkString = out
}

func benchChi(b *testing.B, in peerInput) {
	ch, skip := newChi(b, in)
	if skip != "" {
		b.Skip(skip)
	}
	r := newRequest(in)
	b.ReportAllocs()
	var out string
	for b.Loop() {
		out = ch.clientIP(r)
	}
	sinkString = out
}

func benchRealClientIP(b *testing.B, in peerInput) {
	s, r := newRealClientIP(b, in), newRequest(in)
	b.ReportAllocs()
	var out string
	for b.Loop() {
		out = s.ClientIP(r.Header, r.RemoteAddr)
	}
	sinkString = out
}

// grpcRealIPHarness is go-grpc-middleware v2's realip unary interceptor in
// front of a handler that reads its answer back as text, called as
// grpc.Server calls an interceptor: with the connection's peer and the
// incoming metadata (keys lowercase) in the context.
type grpcRealIPHarness struct {
	ctx       context.Context
	info      grpc.UnaryServerInfo
	intercept grpc.UnaryServerInterceptor
	handler   grpc.UnaryHandler
	got       string
}

func newGRPCRealIP(tb testing.TB, in peerInput) (*grpcRealIPHarness, string) {
	if in.header != "X-Forwarded-For" {
		return nil, xffOnly["grpc-realip"]
	}
	var trusted []netip.Prefix
	for _, p := range in.trusted {
		trusted = append(trusted, netip.MustParsePrefix(p))
	}
	h := &grpcRealIPHarness{info: grpc.UnaryServerInfo{FullMethod: "/bench.Peers/Get"}}
	ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort(in.remoteAddr))})
	h.ctx = metadata.NewIncomingContext(ctx, metadata.MD{"x-forwarded-for": {in.value}})
	h.intercept = realip.UnaryServerInterceptorOpts(
		realip.WithTrustedPeers(trusted),
		realip.WithTrustedProxies(trusted),
		realip.WithHeaders([]string{realip.XForwardedFor}),
	)
	h.handler = func(ctx context.Context, _ any) (any, error) {
		h.got = realIPString(ctx)
		return nil, nil
	}
	return h, ""
}

func (h *grpcRealIPHarness) clientIP() string {
	_, _ = h.intercept(h.ctx, nil, &h.info, h.handler)
	return h.got
}

func benchGRPCRealIP(b *testing.B, in peerInput) {
	h, skip := newGRPCRealIP(b, in)
	if skip != "" {
		b.Skip(skip)
	}
	b.ReportAllocs()
	var out string
	for b.Loop() {
		out = h.clientIP()
	}
	sinkString = out
}

// xffOnly says why each library that reads only X-Forwarded-For-style
// headers cannot take part with Forwarded.
var xffOnly = map[string]string{
	"gin":         "gin has no Forwarded (RFC 7239) support; ClientIP reads only the RemoteIPHeaders as X-Forwarded-For-style lists",
	"echo":        "echo has no Forwarded (RFC 7239) extractor, only X-Forwarded-For, X-Real-IP and the direct peer",
	"chi":         "chi's ClientIPFrom* middlewares read X-Forwarded-For or a single-IP header; there is none for Forwarded (RFC 7239)",
	"grpc-realip": "go-grpc-middleware's realip reads X-Forwarded-For, X-Real-IP or True-Client-IP; there is no Forwarded (RFC 7239) support",
}

// peerSkip says why lib cannot take part with in, or "" when it can.
func peerSkip(lib string, in peerInput) string {
	if in.header != "X-Forwarded-For" {
		return xffOnly[lib]
	}
	return ""
}

// peerNotes says what each library's Setup times.
var peerNotes = map[string]string{
	"ours":         "nethttpmw.Peer (a recorded connection) + Resolver.Resolve, the adapters' path",
	"ours-str":     "ours + Result.String",
	"gin":          "gin Context.ClientIP, SetTrustedProxies",
	"echo":         "echo ExtractIPFromXFFHeader with TrustIPRange, default trusts off",
	"chi":          "chi v5 middleware.ClientIPFromXFF + GetClientIP",
	"realclientip": "realclientip-go RightmostTrustedRangeStrategy",
	"grpc-realip":  "go-grpc-middleware v2 realip unary interceptor + FromContext as text",
}

// PeerSetups returns the core-versus-peers benchmarks of BenchmarkClientIP
// as Setups, for a report: Framework is "peers/<input>" (xff3, xff10k,
// fwd3, ipv6) and Name the library (ours, ours-str, gin, echo, chi,
// realclientip, grpc-realip). Pairs a library cannot serve, such as gin
// with Forwarded, are left out.
func PeerSetups() []Setup {
	var out []Setup
	for _, in := range peerInputs {
		for _, lib := range peerLibs {
			if peerSkip(lib, in) != "" {
				continue
			}
			bench := peerBenches[lib]
			out = append(out, Setup{
				Framework: "peers/" + in.name, Name: lib, Note: peerNotes[lib],
				Bench: func(b *testing.B) { bench(b, in) },
			})
		}
	}
	return out
}
