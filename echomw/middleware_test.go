package echomw

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/internal/sockettest"
)

var (
	xff    = core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	realIP = core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Real-IP"})
)

// seen is what a handler observed.
type seen struct {
	ran    bool
	realIP string // c.RealIP()
	ourIP  string // ClientIP(c)
	res    core.Result
	stored bool
}

func (s *seen) handler(c echo.Context) error {
	s.ran = true
	s.realIP, s.ourIP = c.RealIP(), ClientIP(c)
	s.res, s.stored = FromContext(c)
	return nil
}

type header struct{ name, value string }

func request(remote string, hs ...header) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = remote
	for _, h := range hs {
		r.Header.Add(h.name, h.value)
	}
	return r
}

// serve serves r with e as e's own server would: its ConnContext, which
// Configure sets, records the connection r came from ("ip:port", or "@"
// for a Unix socket; other text gives no record).
func serve(e *echo.Echo, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.ServeHTTP(w, recorded(e.Server.ConnContext, r))
	return w
}

// recorded returns r as a server with ConnContext cc hands it on.
func recorded(cc func(context.Context, net.Conn) context.Context, r *http.Request) *http.Request {
	if cc == nil {
		return r
	}
	if _, err := netip.ParseAddrPort(r.RemoteAddr); err != nil && r.RemoteAddr != "@" {
		return r
	}
	return r.WithContext(cc(r.Context(), sockettest.Conn(r.RemoteAddr)))
}

func configured(res *core.Resolver, s *seen, opts ...Option) *echo.Echo {
	e := echo.New()
	if err := Configure(e, res, opts...); err != nil {
		panic(err)
	}
	e.GET("/", s.handler)
	return e
}

func TestMiddlewareReadsEveryLine(t *testing.T) {
	var s seen
	serve(configured(xff, &s), request("10.0.0.2:443",
		header{"X-Forwarded-For", "6.6.6.6"},
		header{"X-Forwarded-For", "1.1.1.1, 10.0.0.1"}))
	if !s.stored || s.res.Reason != core.ReasonHeader || s.res.Hop != 2 || s.ourIP != "1.1.1.1" || s.realIP != "1.1.1.1" {
		t.Fatalf("%+v", s)
	}
}

// TestNewLeavesRealIP: New alone does not change c.RealIP(), which is
// echo's own answer (before v4.16.3, the leftmost X-Forwarded-For entry of
// any peer; since, the socket peer); Configure is what changes it.
func TestNewLeavesRealIP(t *testing.T) {
	var withNew, bare seen
	e := echo.New()
	e.Use(New(xff))
	e.GET("/", withNew.handler)
	plain := echo.New()
	plain.GET("/", bare.handler)
	r := func() *http.Request {
		return request("198.51.100.1:5000", header{"X-Forwarded-For", "6.6.6.6, 10.0.0.1"})
	}
	e.ServeHTTP(httptest.NewRecorder(), recorded(netconn.ConnContext, r()))
	plain.ServeHTTP(httptest.NewRecorder(), recorded(netconn.ConnContext, r()))
	if withNew.ourIP != "198.51.100.1" || withNew.realIP != bare.realIP {
		t.Fatalf("ClientIP %q, c.RealIP() %q with New, %q without", withNew.ourIP, withNew.realIP, bare.realIP)
	}
}

func TestWithRejectBroken(t *testing.T) {
	var s seen
	used := false
	e := configured(xff, &s, WithRejectBroken(0))
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { used = true; return next(c) }
	})
	w := serve(e, request("10.0.0.2:443", header{"X-Forwarded-For", "1.1.1.1, junk"}))
	if w.Code != http.StatusBadRequest || s.ran || used || !strings.Contains(w.Body.String(), "broken") {
		t.Fatalf("status %d, body %q, handler ran %v, Use middleware ran %v", w.Code, w.Body, s.ran, used)
	}
	// Refused before routing: an unknown path gets the same answer.
	r := request("10.0.0.2:443", header{"X-Forwarded-For", "junk"})
	r.URL.Path = "/nowhere"
	if w := serve(e, r); w.Code != http.StatusBadRequest {
		t.Fatalf("unknown path: status %d", w.Code)
	}

	e = configured(xff, &s, WithRejectBroken(http.StatusForbidden))
	if w := serve(e, request("10.0.0.2:443", header{"X-Forwarded-For", "junk"})); w.Code != http.StatusForbidden || s.ran {
		t.Fatalf("status %d, handler ran %v", w.Code, s.ran)
	}
	if w := serve(e, request("10.0.0.2:443", header{"X-Forwarded-For", "1.1.1.1"})); w.Code != 200 || !s.ran {
		t.Fatalf("clean request: status %d, handler ran %v", w.Code, s.ran)
	}

	// Without the option a broken request is served with the last
	// verified address.
	s = seen{}
	w = serve(configured(xff, &s), request("10.0.0.2:443", header{"X-Forwarded-For", "1.1.1.1, junk, 10.0.0.7"}))
	if w.Code != 200 || s.res.Reason != core.ReasonBroken || s.ourIP != "10.0.0.7" || s.realIP != "10.0.0.7" {
		t.Fatalf("status %d, %+v", w.Code, s)
	}
}

// TestRealIPAgreement: after Configure, c.RealIP() and ClientIP(c) give
// the same answer.
func TestRealIPAgreement(t *testing.T) {
	for _, tc := range []struct {
		name   string
		res    *core.Resolver
		remote string
		hs     []header
		want   string
		reason core.Reason
	}{
		{"trusted peer, XFF", xff, "10.0.0.4:1234", []header{{"X-Forwarded-For", "6.6.6.6, 203.0.113.7, 10.0.0.3"}}, "203.0.113.7", core.ReasonHeader},
		{"trusted peer, two XFF lines", xff, "10.0.0.4:1234", []header{{"X-Forwarded-For", "203.0.113.7"}, {"X-Forwarded-For", "198.51.100.4, 10.0.0.3"}}, "198.51.100.4", core.ReasonHeader},
		{"trusted peer, IPv6 hop with port", xff, "10.0.0.4:1234", []header{{"X-Forwarded-For", "[2001:db8::1]:4711"}}, "2001:db8::1", core.ReasonHeader},
		{"trusted v4-mapped peer", xff, "[::ffff:10.0.0.4]:1234", []header{{"X-Forwarded-For", "203.0.113.7"}}, "203.0.113.7", core.ReasonHeader},
		{"trusted peer, all hops trusted", xff, "10.0.0.4:1234", []header{{"X-Forwarded-For", "10.1.1.1, 10.0.0.3"}}, "10.1.1.1", core.ReasonAllTrusted},
		{"trusted peer, no header", xff, "10.0.0.4:1234", []header{{"X-Real-Ip", "6.6.6.6"}}, "10.0.0.4", core.ReasonNoHeader},
		{"trusted peer, broken", xff, "10.0.0.4:1234", []header{{"X-Forwarded-For", "203.0.113.7, unknown"}}, "10.0.0.4", core.ReasonBroken},
		{"untrusted peer, XFF and X-Real-Ip", xff, "198.51.100.1:5000", []header{{"X-Forwarded-For", "6.6.6.6"}, {"X-Real-Ip", "6.6.6.6"}}, "198.51.100.1", core.ReasonPeerUntrusted},
		{"untrusted private peer", xff, "192.168.1.9:5000", []header{{"X-Forwarded-For", "6.6.6.6"}}, "192.168.1.9", core.ReasonPeerUntrusted},
		{"untrusted IPv6 peer", xff, "[2001:db8::9]:5000", []header{{"X-Forwarded-For", "6.6.6.6"}}, "2001:db8::9", core.ReasonPeerUntrusted},
		{"unix peer, untrusted", xff, "@", []header{{"X-Forwarded-For", "6.6.6.6"}}, "", core.ReasonNoPeer},
		{"unparseable peer", xff, "nonsense", []header{{"X-Forwarded-For", "6.6.6.6"}}, "", core.ReasonNoPeer},
		{"X-Real-IP, trusted peer", realIP, "10.0.0.4:1234", []header{{"X-Real-IP", "203.0.113.9"}, {"X-Forwarded-For", "6.6.6.6"}}, "203.0.113.9", core.ReasonHeader},
		{"X-Real-IP, untrusted peer", realIP, "198.51.100.1:5000", []header{{"X-Real-IP", "6.6.6.6"}}, "198.51.100.1", core.ReasonPeerUntrusted},
		{"X-Real-IP, two lines", realIP, "10.0.0.4:1234", []header{{"X-Real-IP", "203.0.113.9"}, {"X-Real-IP", "6.6.6.6"}}, "10.0.0.4", core.ReasonBroken},
		{"X-Real-IP, none, XFF present", realIP, "10.0.0.4:1234", []header{{"X-Forwarded-For", "6.6.6.6"}}, "10.0.0.4", core.ReasonNoHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s seen
			serve(configured(tc.res, &s), request(tc.remote, tc.hs...))
			// No record of the connection: no address, and no resolver
			// for FromContext either.
			if unrecorded := tc.remote == "nonsense"; s.stored == unrecorded || !unrecorded && s.res.Reason != tc.reason {
				t.Fatalf("stored %v, reason %v, want %v", s.stored, s.res.Reason, tc.reason)
			}
			if s.realIP != tc.want || s.ourIP != tc.want {
				t.Fatalf("c.RealIP() %q, ClientIP(c) %q, want %q", s.realIP, s.ourIP, tc.want)
			}
			if got := IPExtractor(tc.res)(recorded(netconn.ConnContext, request(tc.remote, tc.hs...))); got != tc.want {
				t.Fatalf("IPExtractor alone: %q", got)
			}
		})
	}
}

// TestConfigureRunsForEveryRoute: Configure's IPExtractor and
// ConnContext are the Echo's, so routes registered before Configure and
// unmatched paths get the answer too.
func TestConfigureRunsForEveryRoute(t *testing.T) {
	var early, notFound seen
	e := echo.New()
	e.GET("/early", early.handler)
	if err := Configure(e, xff); err != nil {
		panic(err)
	}
	e.RouteNotFound("/*", notFound.handler)

	r := request("10.0.0.4:1234", header{"X-Forwarded-For", "203.0.113.7"})
	r.URL.Path = "/early"
	serve(e, r)
	r = request("10.0.0.4:1234", header{"X-Forwarded-For", "203.0.113.7"})
	r.URL.Path = "/missing"
	serve(e, r)
	for name, s := range map[string]seen{"early route": early, "not found": notFound} {
		if !s.stored || s.ourIP != "203.0.113.7" || s.realIP != "203.0.113.7" {
			t.Errorf("%s: %+v", name, s)
		}
	}
}

func TestConnInfo(t *testing.T) {
	e := echo.New()
	if err := Configure(e, xff); err != nil {
		panic(err)
	}
	e.GET("/", func(c echo.Context) error {
		info, ok := ConnInfo(c)
		if !ok {
			return c.String(500, "no ConnInfo")
		}
		return c.String(200, info.SocketPeer.Addr().String()+" "+ClientIP(c))
	})
	srv := httptest.NewUnstartedServer(e)
	srv.Config.ConnContext = e.Server.ConnContext
	srv.Start()
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "127.0.0.1 127.0.0.1" {
		t.Fatalf("%q", b)
	}
}

func TestWithoutMiddleware(t *testing.T) {
	c := echo.New().NewContext(httptest.NewRequest("GET", "/", nil), httptest.NewRecorder())
	if _, ok := FromContext(c); ok || ClientIP(c) != "" {
		t.Fatal("a Result without the middleware")
	}
	if _, ok := ConnInfo(c); ok {
		t.Fatal("ConnInfo without ConnContext")
	}
}

// discard is a ResponseWriter that allocates nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func allocsPerRequest(e *echo.Echo, h echo.HandlerFunc) float64 {
	e.GET("/", h)
	r := recorded(e.Server.ConnContext, request("10.0.0.4:1234", header{"X-Forwarded-For", "203.0.113.7, 10.0.0.2, 10.0.0.3"}))
	w := &discard{h: http.Header{}}
	return testing.AllocsPerRun(500, func() { e.ServeHTTP(w, r) })
}

// TestAllocations: what Configure adds to echo per request. Nothing when
// no handler asks; c.RealIP() costs its string, as echo's own extractors'
// answers do. WithHook makes every request eager, through e.Pre, whose
// routing closure echo builds on every request, with the middleware's
// own.
func TestAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	noop := func(echo.Context) error { return nil }
	readIP := func(c echo.Context) error { _ = c.RealIP(); return nil }
	configured := func(opts ...Option) *echo.Echo {
		e := echo.New()
		if err := Configure(e, xff, opts...); err != nil {
			t.Fatal(err)
		}
		return e
	}
	bare := allocsPerRequest(echo.New(), noop)
	for _, tc := range []struct {
		name string
		e    *echo.Echo
		h    echo.HandlerFunc
		want float64
	}{
		{"Configure, handler does not ask", configured(), noop, 0},
		{"Configure, c.RealIP()", configured(), readIP, 1},
		{"Configure and WithHook", configured(WithHook(func(context.Context, core.Result) {})), noop, 2},
	} {
		if got := allocsPerRequest(tc.e, tc.h) - bare; got != tc.want {
			t.Errorf("%s: %v allocations more than bare echo, want %v", tc.name, got, tc.want)
		}
	}
}

// TestTwoEchos: each Echo answers with its own resolver, however their
// requests alternate.
func TestTwoEchos(t *testing.T) {
	var a, b seen
	ea, eb := configured(xff, &a), configured(realIP, &b)
	r := func() *http.Request {
		return request("10.0.0.1:1", header{"X-Forwarded-For", "203.0.113.1"}, header{"X-Real-IP", "203.0.113.2"})
	}
	for range 3 {
		serve(ea, r())
		serve(eb, r())
		if a.ourIP != "203.0.113.1" || a.res.Header != "X-Forwarded-For" {
			t.Fatalf("first Echo: %q %+v", a.ourIP, a.res)
		}
		if b.ourIP != "203.0.113.2" || b.res.Header != "X-Real-Ip" {
			t.Fatalf("second Echo: %q %+v", b.ourIP, b.res)
		}
	}
}

// TestUnixPeerNamedLikeAnAddress: on a Unix-socket listener RemoteAddr is
// the name the client bound its own socket to. A local client that names
// it "127.0.0.1:1" must not pass for the trusted loopback proxy, nor one
// that names it "6.6.6.6:1234" choose that address: the peer is taken
// from the connection, a Unix socket.
func TestUnixPeerNamedLikeAnAddress(t *testing.T) {
	loopback := core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"}
	trustUnix := loopback
	trustUnix.TrustUnixSocket = true
	paths := map[string]string{}
	for name, cfg := range map[string]core.Config{"default": loopback, "trust-unix": trustUnix} {
		e := echo.New()
		if err := Configure(e, core.MustNew(cfg)); err != nil {
			t.Fatal(err)
		}
		e.GET("/", func(c echo.Context) error {
			res, _ := FromContext(c)
			return c.String(200, c.RealIP()+"|"+ClientIP(c)+"|"+res.Reason.String())
		})
		l, path := sockettest.ListenUnix(t)
		e.Server.Handler = e
		go e.Server.Serve(l)
		defer e.Server.Close()
		paths[name] = path
	}

	for _, tc := range []struct {
		cfg, bound, xff, want string
	}{
		{"default", "127.0.0.1:1", "6.6.6.6", "||no-peer"},
		{"default", "6.6.6.6:1234", "", "||no-peer"},
		{"trust-unix", "127.0.0.1:1", "203.0.113.7", "203.0.113.7|203.0.113.7|header"},
		{"trust-unix", "6.6.6.6:1234", "", "||no-header"},
	} {
		req, _ := http.NewRequest("GET", "http://unix/", nil)
		if tc.xff != "" {
			req.Header.Set("X-Forwarded-For", tc.xff)
		}
		resp, err := sockettest.ClientAs(t, paths[tc.cfg], tc.bound).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != tc.want {
			t.Errorf("%s, client bound to %q: %q, want %q", tc.cfg, tc.bound, b, tc.want)
		}
	}
}
