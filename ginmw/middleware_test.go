package ginmw

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/internal/sockettest"
	"github.com/trustedip/trustedip/nethttpmw"
)

func init() { gin.SetMode(gin.TestMode) }

var (
	xff    = core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	realIP = core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Real-IP"})
)

// seen is what a handler observed.
type seen struct {
	ran      bool
	ginIP    string // c.ClientIP()
	ourIP    string // ClientIP(c)
	res      core.Result
	stored   bool
	remoteIP string // c.RemoteIP()
}

func (s *seen) handler(c *gin.Context) {
	s.ran = true
	s.ginIP, s.ourIP, s.remoteIP = c.ClientIP(), ClientIP(c), c.RemoteIP()
	s.res, s.stored = FromContext(c)
}

type header struct{ name, value string }

// request returns a request from remote on a connection the server
// recorded: "ip:port", or "@" for a Unix socket; any other text gives a
// request without a record, whose RemoteAddr is that text.
func request(remote string, hs ...header) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = remote
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		r = r.WithContext(netconn.NewInfoContext(r.Context(), &netconn.ConnInfo{SocketPeer: ap, Client: ap}))
	} else if remote == "@" {
		r = r.WithContext(netconn.NewInfoContext(r.Context(), &netconn.ConnInfo{Unix: true}))
	}
	for _, h := range hs {
		r.Header.Add(h.name, h.value)
	}
	return r
}

func serve(engine *gin.Engine, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	engine.ServeHTTP(w, r)
	return w
}

func configured(t *testing.T, res *core.Resolver, s *seen, opts ...Option) *gin.Engine {
	t.Helper()
	engine := gin.New()
	if err := Configure(engine, res, opts...); err != nil {
		t.Fatal(err)
	}
	engine.GET("/", s.handler)
	return engine
}

// startServer serves engine over loopback from an http.Server that
// records each connection with res, as the package documentation says to.
func startServer(t *testing.T, engine *gin.Engine, res *core.Resolver) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(engine)
	srv.Config.ConnContext = nethttpmw.ConnContext(res)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func TestWithRejectBroken(t *testing.T) {
	var s seen
	engine := configured(t, xff, &s, WithRejectBroken(0))
	w := serve(engine, request("10.0.0.2:443", header{"X-Forwarded-For", "1.1.1.1, junk"}))
	if w.Code != http.StatusBadRequest || s.ran || !strings.Contains(w.Body.String(), "broken") {
		t.Fatalf("status %d, body %q, handler ran: %v", w.Code, w.Body, s.ran)
	}

	engine = configured(t, xff, &s, WithRejectBroken(http.StatusForbidden))
	if w := serve(engine, request("10.0.0.2:443", header{"X-Forwarded-For", "junk"})); w.Code != http.StatusForbidden || s.ran {
		t.Fatalf("status %d, handler ran: %v", w.Code, s.ran)
	}
	// A clean request passes.
	if w := serve(engine, request("10.0.0.2:443", header{"X-Forwarded-For", "1.1.1.1"})); w.Code != 200 || !s.ran {
		t.Fatalf("status %d, handler ran: %v", w.Code, s.ran)
	}

	// Without the option a broken request is served with the last
	// verified address.
	s = seen{}
	engine = configured(t, xff, &s)
	w = serve(engine, request("10.0.0.2:443", header{"X-Forwarded-For", "1.1.1.1, junk, 10.0.0.7"}))
	if w.Code != 200 || s.res.Reason != core.ReasonBroken || s.ourIP != "10.0.0.7" || s.ginIP != "10.0.0.7" {
		t.Fatalf("status %d, %+v", w.Code, s)
	}
}

// TestConfigureAgreement: after Configure, gin's c.ClientIP(),
// c.RemoteIP() and ClientIP(c) give the same answer, and the socket peer
// is the Result's Peer.
func TestConfigureAgreement(t *testing.T) {
	spoof := []header{
		{"X-Real-IP", "6.6.6.6"},
		{"X-Appengine-Remote-Addr", "6.6.6.6"},
		{"CF-Connecting-IP", "6.6.6.6"},
		{"Fly-Client-IP", "6.6.6.6"},
	}
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
		{"trusted peer, no header", xff, "10.0.0.4:1234", nil, "10.0.0.4", core.ReasonNoHeader},
		{"trusted peer, no header, spoofed platform headers", xff, "10.0.0.4:1234", spoof, "10.0.0.4", core.ReasonNoHeader},
		{"trusted peer, broken", xff, "10.0.0.4:1234", []header{{"X-Forwarded-For", "203.0.113.7, unknown"}}, "10.0.0.4", core.ReasonBroken},
		{"untrusted peer, XFF", xff, "198.51.100.1:5000", []header{{"X-Forwarded-For", "6.6.6.6"}}, "198.51.100.1", core.ReasonPeerUntrusted},
		{"untrusted peer, spoofed platform headers", xff, "198.51.100.1:5000", spoof, "198.51.100.1", core.ReasonPeerUntrusted},
		{"untrusted IPv6 peer", xff, "[2001:db8::9]:5000", []header{{"X-Forwarded-For", "6.6.6.6"}}, "2001:db8::9", core.ReasonPeerUntrusted},
		{"unix peer, untrusted", xff, "@", []header{{"X-Forwarded-For", "6.6.6.6"}}, "", core.ReasonNoPeer},
		{"unparseable peer", xff, "nonsense", []header{{"X-Forwarded-For", "6.6.6.6"}}, "", core.ReasonNoPeer},
		{"X-Real-IP, trusted peer", realIP, "10.0.0.4:1234", []header{{"X-Real-IP", "203.0.113.9"}, {"X-Forwarded-For", "6.6.6.6"}}, "203.0.113.9", core.ReasonHeader},
		{"X-Real-IP, untrusted peer", realIP, "198.51.100.1:5000", []header{{"X-Real-IP", "6.6.6.6"}}, "198.51.100.1", core.ReasonPeerUntrusted},
		{"X-Real-IP, two lines", realIP, "10.0.0.4:1234", []header{{"X-Real-IP", "203.0.113.9"}, {"X-Real-IP", "6.6.6.6"}}, "10.0.0.4", core.ReasonBroken},
		{"X-Real-IP, a list", realIP, "10.0.0.4:1234", []header{{"X-Real-IP", "203.0.113.9, 6.6.6.6"}}, "10.0.0.4", core.ReasonBroken},
		{"X-Real-IP, none, XFF present", realIP, "10.0.0.4:1234", []header{{"X-Forwarded-For", "6.6.6.6"}}, "10.0.0.4", core.ReasonNoHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s seen
			serve(configured(t, tc.res, &s), request(tc.remote, tc.hs...))
			if !s.stored || s.res.Reason != tc.reason {
				t.Fatalf("stored %v, reason %v, want %v", s.stored, s.res.Reason, tc.reason)
			}
			if s.ginIP != tc.want || s.ourIP != tc.want || s.remoteIP != tc.want {
				t.Fatalf("c.ClientIP() %q, c.RemoteIP() %q, ClientIP(c) %q, want %q", s.ginIP, s.remoteIP, s.ourIP, tc.want)
			}
			if s.res.Peer != core.ParsePeer(tc.remote) {
				t.Fatalf("Result's Peer %v, want the socket peer %s", s.res.Peer, tc.remote)
			}
		})
	}
}

// TestConfigureHasNoCarrierHeader: Configure hands gin the answer through
// RemoteAddr, not a header, so a header named like the one earlier
// versions used, or like any platform's, changes nothing.
func TestConfigureHasNoCarrierHeader(t *testing.T) {
	var s seen
	engine := configured(t, xff, &s)
	for remote, want := range map[string]string{"198.51.100.1:5000": "198.51.100.1", "10.0.0.4:1": "10.0.0.4", "@": ""} {
		r := request(remote)
		for _, name := range []string{"Trustedip Client-IP", "Trustedip-Client-Ip", gin.PlatformCloudflare, gin.PlatformGoogleAppEngine, gin.PlatformFlyIO} {
			r.Header[name] = []string{"6.6.6.6"}
		}
		serve(engine, r)
		if s.ginIP != want || s.ourIP != want {
			t.Errorf("%s: c.ClientIP() %q, ClientIP(c) %q, want %q", remote, s.ginIP, s.ourIP, want)
		}
	}
}

func TestConfigureSettings(t *testing.T) {
	engine := gin.New()
	engine.AppEngine = true
	if err := Configure(engine, xff); err != nil {
		t.Fatal(err)
	}
	if engine.ForwardedByClientIP || engine.RemoteIPHeaders != nil || engine.AppEngine || engine.TrustedPlatform != "" {
		t.Fatalf("engine left trusting: forwarded %v headers %v appengine %v platform %q",
			engine.ForwardedByClientIP, engine.RemoteIPHeaders, engine.AppEngine, engine.TrustedPlatform)
	}
	if err := Configure(nil, xff); err == nil || !strings.Contains(err.Error(), "nil *gin.Engine") {
		t.Fatalf("Configure(nil): %v", err)
	}
	if err := Configure(gin.New(), nil); err == nil || !strings.Contains(err.Error(), "nil *core.Resolver") {
		t.Fatalf("Configure without a resolver: %v", err)
	}
}

// getBody sends a GET to url with the headers and returns the body.
func getBody(t *testing.T, client *http.Client, url string, hs ...header) string {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hs {
		req.Header.Add(h.name, h.value)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s %s", url, resp.Status, b)
	}
	return string(b)
}

// TestMiddlewareBeforeConfigure: middleware added with engine.Use before
// Configure (gin.Default's Logger, a rate limiter) runs after Configure's,
// so it sees the verified client, not the socket peer.
func TestMiddlewareBeforeConfigure(t *testing.T) {
	loopback := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	engine := gin.New()
	var early string
	engine.Use(func(c *gin.Context) { early = c.ClientIP() })
	if err := Configure(engine, loopback); err != nil {
		t.Fatal(err)
	}
	engine.GET("/", func(c *gin.Context) { c.String(200, "%s %s", c.ClientIP(), ClientIP(c)) })
	engine.NoRoute(func(c *gin.Context) { c.String(404, "%s", c.ClientIP()) })
	srv := startServer(t, engine, loopback)
	if got := getBody(t, srv.Client(), srv.URL, header{"X-Forwarded-For", "6.6.6.6, 203.0.113.7"}); got != "203.0.113.7 203.0.113.7" || early != "203.0.113.7" {
		t.Fatalf("handler %q, middleware added before Configure %q", got, early)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/nowhere", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "203.0.113.9" {
		t.Fatalf("NoRoute: %q", b)
	}
}

// TestConfigureRefuses (issue 33, finding 3): whatever order a user
// wires gin in, the client IP is either right or the wiring is refused
// with a message that says what to do: routes registered before Configure
// would not run its middleware; a second Configure; engine.Use(New(res)),
// which leaves gin trusting every proxy's header.
func TestConfigureRefuses(t *testing.T) {
	engine := gin.New()
	engine.GET("/early", func(*gin.Context) {})
	engine.Group("/api").POST("/x", func(*gin.Context) {})
	err := Configure(engine, xff)
	if err == nil || !strings.Contains(err.Error(), "2 routes are registered already (GET /early, POST /api/x)") || !strings.Contains(err.Error(), "call Configure before registering routes") {
		t.Errorf("routes first: %v", err)
	}
	if engine.ForwardedByClientIP == false {
		t.Errorf("a refused Configure changed the engine")
	}

	engine = gin.New()
	if err := Configure(engine, xff); err != nil {
		t.Fatal(err)
	}
	if err := Configure(engine, xff); err == nil || !strings.Contains(err.Error(), "configured already") {
		t.Errorf("twice: %v", err)
	}

	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "call ginmw.Configure(engine, res)") {
			t.Errorf("New: panicked with %q", msg)
		}
	}()
	gin.New().Use(New(xff))
}

// TestDefaultLoggerLogsTrustedIP: gin.Default()'s Logger calls
// c.ClientIP() after the handler returns; after Configure it logs the
// verified client. It logs a request WithRejectBroken turned away too,
// with the socket peer, as a refused request carries no answer.
func TestDefaultLoggerLogsTrustedIP(t *testing.T) {
	var buf bytes.Buffer
	defer func(w io.Writer) { gin.DefaultWriter = w }(gin.DefaultWriter)
	gin.DefaultWriter = &buf // gin.Default's Logger writes here
	engine := gin.Default()
	if err := Configure(engine, xff, WithRejectBroken(0)); err != nil {
		t.Fatal(err)
	}
	engine.GET("/", func(c *gin.Context) { c.Status(204) })

	serve(engine, request("10.0.0.4:1234", header{"X-Forwarded-For", "6.6.6.6, 203.0.113.7, 10.0.0.3"}))
	if line := buf.String(); !strings.Contains(line, " 203.0.113.7 |") || strings.Contains(line, "6.6.6.6") {
		t.Fatalf("log line %q, want the verified client", line)
	}
	buf.Reset()
	serve(engine, request("10.0.0.4:1234", header{"X-Forwarded-For", "6.6.6.6, junk, 10.0.0.3"}))
	if line := buf.String(); !strings.Contains(line, " 400 ") || !strings.Contains(line, " 10.0.0.4 |") {
		t.Fatalf("log line %q, want the 400 and the socket peer", line)
	}
}

// TestReverseProxy: a handler that forwards c.Request with
// httputil.ReverseProxy needs nothing removed, and SetXForwarded sends the
// verified client upstream, since it reads RemoteAddr.
func TestReverseProxy(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Header.Get("X-Forwarded-For"))
	}))
	defer upstream.Close()
	target, _ := url.Parse(upstream.URL)
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.SetXForwarded()
	}}
	loopback := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	engine := gin.New()
	if err := Configure(engine, loopback); err != nil {
		t.Fatal(err)
	}
	engine.GET("/", func(c *gin.Context) { proxy.ServeHTTP(c.Writer, c.Request) })

	// A real server: ReverseProxy needs gin's writer to have a real
	// http.ResponseWriter underneath. The peer, 127.0.0.1, is trusted.
	srv := startServer(t, engine, loopback)
	if got := getBody(t, srv.Client(), srv.URL, header{"X-Forwarded-For", "6.6.6.6, 203.0.113.7"}); got != "203.0.113.7" {
		t.Fatalf("upstream saw X-Forwarded-For %q, want the verified client alone", got)
	}
}

// TestUnixSocket: behind a local proxy on a Unix socket, trusted with
// TrustUnixSocket, c.ClientIP() is the header's client. Without an
// address it is "", though gin on its own answers "<nil>" there.
func TestUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Skip("no Unix sockets:", err)
	}
	trusting := core.MustNew(core.Config{Header: "X-Forwarded-For", TrustUnixSocket: true})
	engine := gin.New()
	if err := Configure(engine, trusting); err != nil {
		t.Fatal(err)
	}
	engine.GET("/", func(c *gin.Context) {
		res, _ := FromContext(c)
		c.String(200, "%s|%s|%s", c.ClientIP(), ClientIP(c), res.Reason)
	})
	srv := &http.Server{Handler: engine}
	go srv.Serve(l)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}}
	defer client.CloseIdleConnections()

	if got := getBody(t, client, "http://unix/", header{"X-Forwarded-For", "203.0.113.7"}); got != "203.0.113.7|203.0.113.7|header" {
		t.Fatalf("with header: %q", got)
	}
	if got := getBody(t, client, "http://unix/"); got != "||no-header" {
		t.Fatalf("without header: %q", got)
	}
}

func TestConnInfo(t *testing.T) {
	engine := gin.New()
	if err := Configure(engine, xff); err != nil {
		t.Fatal(err)
	}
	engine.GET("/", func(c *gin.Context) {
		info, ok := ConnInfo(c)
		if !ok {
			c.String(500, "no ConnInfo")
			return
		}
		c.String(200, "%s %s", info.SocketPeer.Addr(), ClientIP(c))
	})
	srv := startServer(t, engine, xff)
	if got := getBody(t, srv.Client(), srv.URL); got != "127.0.0.1 127.0.0.1" {
		t.Fatalf("%q", got)
	}
}

func TestWithoutMiddleware(t *testing.T) {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest("GET", "/", nil)
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

// allocsPerRequest measures engine on one request, served again and
// again.
func allocsPerRequest(engine *gin.Engine) float64 {
	r := request("10.0.0.4:1234", header{"X-Forwarded-For", "203.0.113.7, 10.0.0.2, 10.0.0.3"}, header{"User-Agent", "test"})
	w := &discard{h: http.Header{}}
	return testing.AllocsPerRun(500, func() { engine.ServeHTTP(w, r) })
}

// TestAllocations: what Configure adds to gin per request. gin's
// c.ClientIP() reads only the request's RemoteAddr, so the answer must be
// there before any handler runs: every request is resolved, which costs
// no allocation. A direct client's answer is the RemoteAddr net/http
// wrote, and costs nothing more; a proxied client's costs its text.
func TestAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	noop := func(*gin.Context) {}
	bare := gin.New()
	bare.GET("/", noop)
	configured := gin.New()
	if err := Configure(configured, xff); err != nil {
		t.Fatal(err)
	}
	configured.GET("/", noop)
	ctx := nethttpmw.ConnContext(xff)(context.Background(), sockettest.Conn("10.0.0.4:1234"))
	for _, tc := range []struct {
		name string
		hs   []header
		want float64
	}{
		{"direct client", nil, 0},
		{"proxied client", []header{{"X-Forwarded-For", "203.0.113.7, 10.0.0.2, 10.0.0.3"}}, 1},
	} {
		r := httptest.NewRequestWithContext(ctx, "GET", "/", nil)
		r.RemoteAddr = "10.0.0.4:1234"
		for _, h := range tc.hs {
			r.Header.Add(h.name, h.value)
		}
		w := &discard{h: http.Header{}}
		// Each run starts from the RemoteAddr net/http wrote, as each
		// request does.
		b := testing.AllocsPerRun(500, func() { r.RemoteAddr = "10.0.0.4:1234"; bare.ServeHTTP(w, r) })
		c := testing.AllocsPerRun(500, func() { r.RemoteAddr = "10.0.0.4:1234"; configured.ServeHTTP(w, r) })
		if c-b != tc.want {
			t.Errorf("%s: Configure adds %v allocations, want %v", tc.name, c-b, tc.want)
		}
	}
}

// TestUnixPeerNamedLikeAnAddress: on a Unix-socket listener RemoteAddr is
// the name the client bound its own socket to. A local client that names
// it "127.0.0.1:1" must not pass for the trusted loopback proxy, nor one
// that names it "6.6.6.6:1234" choose that address: the peer is taken
// from the connection, a Unix socket.
func TestUnixPeerNamedLikeAnAddress(t *testing.T) {
	l, path := sockettest.ListenUnix(t)
	loopback := core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"}
	trustUnix := loopback
	trustUnix.TrustUnixSocket = true
	engines := map[string]*gin.Engine{}
	for name, cfg := range map[string]core.Config{"default": loopback, "trust-unix": trustUnix} {
		engine := gin.New()
		if err := Configure(engine, core.MustNew(cfg)); err != nil {
			t.Fatal(err)
		}
		engine.GET("/", func(c *gin.Context) {
			res, _ := FromContext(c)
			c.String(200, "%s|%s|%s", c.ClientIP(), ClientIP(c), res.Reason)
		})
		engines[name] = engine
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		engines[r.URL.Query().Get("cfg")].ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	defer srv.Close()

	for _, tc := range []struct {
		cfg, bound string
		hs         []header
		want       string
	}{
		{"default", "127.0.0.1:1", []header{{"X-Forwarded-For", "6.6.6.6"}}, "||no-peer"},
		{"default", "6.6.6.6:1234", nil, "||no-peer"},
		{"trust-unix", "127.0.0.1:1", []header{{"X-Forwarded-For", "203.0.113.7"}}, "203.0.113.7|203.0.113.7|header"},
		{"trust-unix", "6.6.6.6:1234", nil, "||no-header"},
	} {
		client := sockettest.ClientAs(t, path, tc.bound)
		if got := getBody(t, client, "http://unix/?cfg="+tc.cfg, tc.hs...); got != tc.want {
			t.Errorf("%s, client bound to %q: %q, want %q", tc.cfg, tc.bound, got, tc.want)
		}
	}
}
