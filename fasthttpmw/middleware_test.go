package fasthttpmw

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/trustedip/trustedip/core"
)

var xff = core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})

// report writes what a handler behind the middleware sees.
func report(ctx *fasthttp.RequestCtx) {
	r, ok := FromContext(ctx)
	fmt.Fprintf(ctx, "%v %s %s %s", ok, ClientIP(ctx), r.Reason, ctx.RemoteAddr())
}

// reply is one response as the client read it.
type reply struct {
	status int
	header http.Header
	body   string
}

// inmem serves srv on an in-memory listener until the test ends.
func inmem(t *testing.T, srv *fasthttp.Server) *fasthttputil.InmemoryListener {
	t.Helper()
	ln := fasthttputil.NewInmemoryListener()
	serve(t, srv, func() error { return srv.Serve(ln) })
	return ln
}

// exchange sends raw requests one after the other on one connection that
// the server sees as coming from peer, and reads their responses.
func exchange(t *testing.T, ln *fasthttputil.InmemoryListener, peer net.Addr, reqs ...string) []reply {
	t.Helper()
	c, err := ln.DialWithLocalAddr(peer)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return roundTrips(t, c, reqs...)
}

func roundTrips(t *testing.T, c net.Conn, reqs ...string) []reply {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	var out []reply
	for _, raw := range reqs {
		if _, err := io.WriteString(c, raw); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out = append(out, reply{resp.StatusCode, resp.Header, string(body)})
	}
	return out
}

// request builds a GET with the given header lines, written as they are.
func request(lines ...string) string {
	var b strings.Builder
	b.WriteString("GET / HTTP/1.1\r\nHost: x\r\n")
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

func tcp(s string) *net.TCPAddr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }

func TestMiddlewareReadsEveryLine(t *testing.T) {
	ln := inmem(t, &fasthttp.Server{Handler: New(xff, report)})
	for _, tc := range []struct {
		peer  string
		lines []string
		want  string
	}{
		// The first line is the client's own; reading only it would
		// answer 6.6.6.6.
		{"10.0.0.2:443", []string{"X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 1.1.1.1, 10.0.0.1"}, "true 1.1.1.1 header 10.0.0.2:443"},
		{"10.0.0.2:443", nil, "true 10.0.0.2 no-header 10.0.0.2:443"},
		{"9.9.9.9:1234", []string{"X-Forwarded-For: 1.1.1.1"}, "true 9.9.9.9 peer-untrusted 9.9.9.9:1234"},
	} {
		got := exchange(t, ln, tcp(tc.peer), request(tc.lines...))[0]
		if got.status != 200 || got.body != tc.want {
			t.Errorf("%s %q: %d %q, want %q", tc.peer, tc.lines, got.status, got.body, tc.want)
		}
	}
}

// TestDisableHeaderNamesNormalizing: with the server option, fasthttp keeps
// header names as sent and PeekAll matches them byte for byte. The
// middleware must still read every line, whatever its spelling.
func TestDisableHeaderNamesNormalizing(t *testing.T) {
	// The handler also reports what PeekAll alone would have found, and
	// whether the middleware left the server's setting as it was.
	handler := New(xff, func(ctx *fasthttp.RequestCtx) {
		disabled := ctx.Request.Header.DisableNormalizing()
		if !disabled {
			ctx.Request.Header.EnableNormalizing()
		}
		fmt.Fprintf(ctx, "%s %s peekall=%d disabled=%v", ClientIP(ctx), mustResult(ctx).Reason,
			len(ctx.Request.Header.PeekAll("X-Forwarded-For")), disabled)
	})
	for _, tc := range []struct {
		name  string
		lines []string
		want  string // the same from both servers
		peek  [2]int // PeekAll's count: normalizing server, raw-names server
	}{
		{"lowercase and odd case", []string{"x-forwarded-for: 6.6.6.6", "X-FORWARDED-for: 1.1.1.1, 10.0.0.1"}, "1.1.1.1 header", [2]int{2, 0}},
		// The client wrote the canonical line, its proxy appended a
		// lowercase one: reading the exact spelling only would answer
		// the client's choice, 6.6.6.6.
		{"spoof in canonical case", []string{"X-Forwarded-For: 6.6.6.6", "x-forwarded-for: 1.1.1.1"}, "1.1.1.1 header", [2]int{2, 1}},
		{"one lowercase line", []string{"x-forwarded-for: 203.0.113.7, 10.0.0.1"}, "203.0.113.7 header", [2]int{1, 0}},
	} {
		for i, disable := range []bool{false, true} {
			ln := inmem(t, &fasthttp.Server{Handler: handler, DisableHeaderNamesNormalizing: disable})
			got := exchange(t, ln, tcp("10.0.0.2:443"), request(tc.lines...))[0]
			want := fmt.Sprintf("%s peekall=%d disabled=%v", tc.want, tc.peek[i], disable)
			if got.body != want {
				t.Errorf("%s, DisableHeaderNamesNormalizing=%v: %q, want %q", tc.name, disable, got.body, want)
			}
		}
	}
}

func mustResult(ctx *fasthttp.RequestCtx) core.Result {
	r, ok := FromContext(ctx)
	if !ok {
		panic("no Result")
	}
	return r
}

func TestWithRejectBroken(t *testing.T) {
	ran := 0
	// An access log around the middleware still finds the Result.
	logged := func(h fasthttp.RequestHandler) fasthttp.RequestHandler {
		return func(ctx *fasthttp.RequestCtx) {
			h(ctx)
			r, _ := FromContext(ctx)
			ctx.Response.Header.Set("X-Reason", r.Reason.String())
		}
	}
	handler := func(ctx *fasthttp.RequestCtx) { ran++; report(ctx) }
	for _, tc := range []struct {
		opts   []Option
		line   string
		status int
		ran    int
	}{
		{[]Option{WithRejectBroken(0)}, "X-Forwarded-For: 1.1.1.1, junk", 400, 0},
		{[]Option{WithRejectBroken(fasthttp.StatusForbidden)}, "X-Forwarded-For: junk", 403, 0},
		// Without the option a broken request is served with the last
		// verified address.
		{nil, "X-Forwarded-For: junk", 200, 1},
	} {
		ran = 0
		ln := inmem(t, &fasthttp.Server{Handler: logged(New(xff, handler, tc.opts...))})
		got := exchange(t, ln, tcp("10.0.0.2:443"), request(tc.line))[0]
		if got.status != tc.status || ran != tc.ran || got.header.Get("X-Reason") != "broken" {
			t.Errorf("%q: status %d, handler ran %d times, X-Reason %q", tc.line, got.status, ran, got.header.Get("X-Reason"))
		}
		if tc.status == 200 && got.body != "true 10.0.0.2 broken 10.0.0.2:443" {
			t.Errorf("served %q", got.body)
		}
		if tc.status != 200 && got.body != "client address could not be verified: broken" {
			t.Errorf("rejected with %q", got.body)
		}
	}
}

// TestWithRemoteAddrOverLoopback runs a real TCP server and sends two
// requests on one keep-alive connection. fasthttp keeps a RequestCtx's
// remote address across the requests of a connection, so the address the
// first request was given must be gone when the second one starts.
func TestWithRemoteAddrOverLoopback(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	mw := New(res, func(ctx *fasthttp.RequestCtx) {
		fmt.Fprintf(ctx, "%s %s %s", ClientIP(ctx), ctx.RemoteIP(), ctx.RemoteAddr())
	}, WithRemoteAddr())
	var prev *keptAddr
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		// Runs before the middleware, on the connection's goroutine.
		ctx.Response.Header.Set("X-Before", fmt.Sprintf("%s released=%v", ctx.RemoteAddr(), prev != nil && prev.ctx == nil))
		mw(ctx)
		prev = ctx.UserValue(keptKey{}).(*keptAddr)
	}}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serve(t, srv, func() error { return srv.Serve(l) })
	c, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	self := c.LocalAddr().String()

	got := roundTrips(t, c,
		request("X-Forwarded-For: 203.0.113.7:5555"),
		request("X-Forwarded-For: 2001:db8::1, 127.0.0.1"),
		request(),
	)
	for i, want := range []struct{ before, body string }{
		{self + " released=false", "203.0.113.7 203.0.113.7 203.0.113.7:5555"},
		{self + " released=true", "2001:db8::1 2001:db8::1 [2001:db8::1]:0"},
		{self + " released=true", "127.0.0.1 127.0.0.1 " + self},
	} {
		if got[i].header.Get("X-Before") != want.before || got[i].body != want.body {
			t.Errorf("request %d: X-Before %q, body %q; want %q, %q", i+1, got[i].header.Get("X-Before"), got[i].body, want.before, want.body)
		}
	}
}

// TestWithRemoteAddr checks RemoteIP and RemoteAddr against the Result on
// a RequestCtx set up by hand, and that resetting the request (what
// fasthttp does at its end) withdraws them.
func TestWithRemoteAddr(t *testing.T) {
	for _, tc := range []struct {
		peer    net.Addr
		line    string
		addr    string // RemoteAddr().String()
		ip      string // RemoteIP().String()
		ipBytes int
	}{
		{tcp("10.0.0.2:443"), "[2001:db8::1]:4711, 10.0.0.1", "[2001:db8::1]:4711", "2001:db8::1", 16},
		{tcp("10.0.0.2:443"), "203.0.113.7", "203.0.113.7:0", "203.0.113.7", 4},
		{tcp("10.0.0.2:443"), "::ffff:203.0.113.7", "203.0.113.7:0", "203.0.113.7", 4},
		{tcp("9.9.9.9:1234"), "203.0.113.7", "9.9.9.9:1234", "9.9.9.9", 4},
		// No client address: an empty one, not the Unix socket's name.
		{&net.UnixAddr{Name: "6.6.6.6:1234", Net: "unix"}, "203.0.113.7", "", "0.0.0.0", 16},
	} {
		var req fasthttp.Request
		req.Header.Set("X-Forwarded-For", tc.line)
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, tc.peer, nil)
		var addr, ip string
		var n int
		New(xff, func(ctx *fasthttp.RequestCtx) {
			addr, ip, n = ctx.RemoteAddr().String(), ctx.RemoteIP().String(), len(ctx.RemoteIP())
		}, WithRemoteAddr())(&ctx)
		if addr != tc.addr || ip != tc.ip || n != tc.ipBytes {
			t.Errorf("%s + %q: RemoteAddr %s, RemoteIP %s (%d bytes); want %s, %s (%d)", tc.peer, tc.line, addr, ip, n, tc.addr, tc.ip, tc.ipBytes)
		}
		ctx.Request.Reset()
		if ctx.RemoteAddr() != tc.peer {
			t.Errorf("%s + %q: RemoteAddr after reset %s", tc.peer, tc.line, ctx.RemoteAddr())
		}
		if _, ok := FromContext(&ctx); ok {
			t.Error("a Result after reset")
		}
	}
}

// TestInstalledTwice: the second run resolves from the socket peer, not
// from the address the first run put in RemoteAddr.
func TestInstalledTwice(t *testing.T) {
	count := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For", TrustedHops: 2})
	var got core.Result
	h := New(xff, New(count, func(ctx *fasthttp.RequestCtx) { got, _ = FromContext(ctx) }), WithRemoteAddr())
	var req fasthttp.Request
	req.Header.Set("X-Forwarded-For", "203.0.113.9, 203.0.113.7")
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, tcp("10.0.0.2:443"), nil)
	h(&ctx)
	if got.String() != "203.0.113.9" || got.Peer.String() != "10.0.0.2:443" {
		t.Fatalf("inner Result %+v", got)
	}
	if ctx.RemoteAddr().String() != "203.0.113.7:0" {
		t.Fatalf("RemoteAddr %s, want the outer answer", ctx.RemoteAddr())
	}
}

func TestFromContextWithoutMiddleware(t *testing.T) {
	var ctx fasthttp.RequestCtx
	if _, ok := FromContext(&ctx); ok || ClientIP(&ctx) != "" {
		t.Fatal("a Result without the middleware")
	}
}

// TestMiddlewareAllocations runs the whole wrapped handler on one reused
// RequestCtx, as fasthttp's server does. A request whose handler does not
// ask costs nothing, nor does asking for the Result; ClientIP costs its
// string, and WithRemoteAddr the address it hands out, which is new for
// each request so that a handler may keep it.
func TestMiddlewareAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	noop := func(*fasthttp.RequestCtx) {}
	var sink string
	for _, tc := range []struct {
		name    string
		h       fasthttp.RequestHandler
		rawKeys bool
		allocs  float64
	}{
		{"bare handler", noop, false, 0},
		{"New, does not ask", New(xff, noop), false, 0},
		{"New, asks FromContext", New(xff, func(ctx *fasthttp.RequestCtx) { FromContext(ctx) }), false, 0},
		{"New, asks ClientIP", New(xff, func(ctx *fasthttp.RequestCtx) { sink = ClientIP(ctx) }), false, 1},
		{"New, names not normalized, asks", New(xff, func(ctx *fasthttp.RequestCtx) { FromContext(ctx) }), true, 0},
		{"New WithRemoteAddr", New(xff, noop, WithRemoteAddr()), false, 1},
		{"New WithRemoteAddr, names not normalized", New(xff, noop, WithRemoteAddr()), true, 1},
	} {
		var req fasthttp.Request
		if tc.rawKeys {
			req.Header.DisableNormalizing()
			req.Header.Set("x-forwarded-for", "6.6.6.6")
			req.Header.Add("X-FORWARDED-FOR", "203.0.113.7, 10.0.0.2, 10.0.0.3")
		} else {
			req.Header.Set("X-Forwarded-For", "6.6.6.6")
			req.Header.Add("X-Forwarded-For", "203.0.113.7, 10.0.0.2, 10.0.0.3")
		}
		req.Header.Set("Cookie", "a=b")
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, tcp("10.0.0.4:1234"), nil)
		n := testing.AllocsPerRun(500, func() {
			tc.h(&ctx)
			ctx.Request.ResetUserValues() // what fasthttp's Request.Reset does first
		})
		if n != tc.allocs {
			t.Errorf("%s: %v allocations per request, want %v", tc.name, n, tc.allocs)
		}
		if tc.name != "bare handler" {
			tc.h(&ctx)
			if got := ClientIP(&ctx); got != "203.0.113.7" {
				t.Errorf("%s: ClientIP %q", tc.name, got)
			}
		}
	}
	_ = sink
}

// TestServerAllocations measures a whole request through fasthttp's server
// (ServeConn on an in-memory connection, client bytes prepared ahead),
// with and without the middleware: the middleware must add nothing to
// what fasthttp itself allocates, but for the address WithRemoteAddr
// hands out.
func TestServerAllocations(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("measures a running server; sync.Pool drops values under the race detector")
	}
	handler := func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }
	bare := serverAllocs(t, handler)
	wrapped := serverAllocs(t, New(xff, handler))
	withAddr := serverAllocs(t, New(xff, handler, WithRemoteAddr()))
	t.Logf("allocations per request through fasthttp.Server: bare %v, with the middleware %v, WithRemoteAddr %v", bare, wrapped, withAddr)
	if wrapped > bare || withAddr > bare+1 {
		t.Fatalf("the middleware adds %v allocations per request, %v WithRemoteAddr", wrapped-bare, withAddr-bare)
	}
}

func serverAllocs(t *testing.T, h fasthttp.RequestHandler) float64 {
	t.Helper()
	pc := fasthttputil.NewPipeConns()
	pc.SetAddresses(nil, tcp("10.0.0.4:1234"), nil, nil)
	srv := &fasthttp.Server{Handler: h, NoDefaultDate: true, NoDefaultServerHeader: true, NoDefaultContentType: true}
	done := make(chan struct{})
	go func() { srv.ServeConn(pc.Conn1()); close(done) }()
	defer func() { pc.Close(); <-done }()

	c := pc.Conn2()
	req := []byte(request("X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 203.0.113.7, 10.0.0.2, 10.0.0.3"))
	resp := make([]byte, len("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	once := func() {
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, resp); err != nil {
			t.Fatal(err)
		}
	}
	once()
	if string(resp) != "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" {
		t.Fatalf("response %q", resp)
	}
	return testing.AllocsPerRun(1000, once)
}

// TestConcurrentRequests: many keep-alive connections at once, each
// request with a client of its own. An address shared between two
// requests, or one left behind in a connection's RequestCtx, would show
// up as another request's answer (and, under -race, as a race).
func TestConcurrentRequests(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	srv := &fasthttp.Server{Handler: New(res, func(ctx *fasthttp.RequestCtx) {
		fmt.Fprintf(ctx, "%s %s", ClientIP(ctx), ctx.RemoteAddr())
	}, WithRemoteAddr())}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serve(t, srv, func() error { return srv.Serve(l) })

	const conns, perConn = 8, 40
	errs := make(chan error, conns)
	for g := range conns {
		go func() {
			c, err := net.Dial("tcp4", l.Addr().String())
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			br := bufio.NewReader(c)
			for i := range perConn {
				var raw, want string
				if i%3 == 2 { // now and then no header: the peer itself
					raw, want = request(), "127.0.0.1 "+c.LocalAddr().String()
				} else {
					client := fmt.Sprintf("203.0.113.%d:%d", g+1, 1000+i)
					raw, want = request("X-Forwarded-For: "+client), "203.0.113."+fmt.Sprint(g+1)+" "+client
				}
				if _, err := io.WriteString(c, raw); err != nil {
					errs <- err
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(body) != want {
					errs <- fmt.Errorf("connection %d, request %d: %q, want %q", g, i, body, want)
					return
				}
			}
			errs <- nil
		}()
	}
	for range conns {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
