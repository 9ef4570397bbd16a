package benchmarks

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/labstack/echo/v4"
	realclientip "github.com/realclientip/realclientip-go"

	"github.com/trustedip/trustedip/core"
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
var peerLibs = []string{"ours", "ours-str", "gin", "echo", "chi", "realclientip"}

// newRequest builds the request once; the timed loops only read it.
func newRequest(in peerInput) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
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
		return nil, "gin has no Forwarded (RFC 7239) support; ClientIP reads only the RemoteIPHeaders as X-Forwarded-For-style lists"
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
		return nil, "echo has no Forwarded (RFC 7239) extractor, only X-Forwarded-For, X-Real-IP and the direct peer"
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
		return nil, "chi's ClientIPFrom* middlewares read X-Forwarded-For or a single-IP header; there is none for Forwarded (RFC 7239)"
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
