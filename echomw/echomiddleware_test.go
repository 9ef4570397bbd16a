// These tests run echo's own middleware (RateLimiter, Logger,
// RequestLogger, Proxy) against IPExtractor: each must key on, log or
// forward the trusted IP, not the one a client wrote.

package echomw

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/trustedip/trustedip/core"
)

// TestRateLimiterKeysOnTrustedIP: the default identifier is c.RealIP().
// One client behind two proxies shares a bucket; a client that rotates
// its own X-Forwarded-For does not get a new one.
func TestRateLimiterKeysOnTrustedIP(t *testing.T) {
	e := echo.New()
	if err := Configure(e, xff); err != nil {
		panic(err)
	}
	e.Use(middleware.RateLimiter(middleware.NewRateLimiterMemoryStore(1))) // burst 1
	e.GET("/", func(c echo.Context) error { return c.NoContent(200) })

	for i, tc := range []struct {
		remote, xff string
		want        int
	}{
		{"10.0.0.4:1", "203.0.113.7", 200},
		{"10.0.0.5:1", "203.0.113.7", 429}, // same client, other proxy
		{"10.0.0.4:1", "203.0.113.8", 200}, // other client, same proxy
		{"198.51.100.1:1", "1.1.1.1", 200},
		{"198.51.100.1:1", "2.2.2.2", 429}, // spoofing does not buy a bucket
		{"198.51.100.2:1", "1.1.1.1", 200},
	} {
		if w := serve(e, request(tc.remote, header{"X-Forwarded-For", tc.xff})); w.Code != tc.want {
			t.Errorf("request %d (%s, XFF %s): %d, want %d", i, tc.remote, tc.xff, w.Code, tc.want)
		}
	}
}

// TestLoggersLogTrustedIP: Logger's ${remote_ip} and RequestLogger's
// RemoteIP are c.RealIP().
func TestLoggersLogTrustedIP(t *testing.T) {
	var buf bytes.Buffer
	var logged []string
	e := echo.New()
	if err := Configure(e, xff); err != nil {
		panic(err)
	}
	e.Use(middleware.LoggerWithConfig(middleware.LoggerConfig{Format: "${remote_ip}\n", Output: &buf}))
	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogRemoteIP: true,
		LogValuesFunc: func(_ echo.Context, v middleware.RequestLoggerValues) error {
			logged = append(logged, v.RemoteIP)
			return nil
		},
	}))
	e.GET("/", func(c echo.Context) error { return c.NoContent(204) })

	serve(e, request("10.0.0.4:1", header{"X-Forwarded-For", "6.6.6.6, 203.0.113.7, 10.0.0.3"}))
	serve(e, request("198.51.100.1:1", header{"X-Forwarded-For", "6.6.6.6"}, header{"X-Real-Ip", "6.6.6.6"}))
	if got := buf.String(); got != "203.0.113.7\n198.51.100.1\n" {
		t.Errorf("Logger wrote %q", got)
	}
	if strings.Join(logged, " ") != "203.0.113.7 198.51.100.1" {
		t.Errorf("RequestLogger saw %q", logged)
	}
}

// TestPreLoggerLogsRejected: a request WithRejectBroken refuses never
// reaches middleware added with Use, but a logger added with Pre before
// Configure logs it, with the last verified address, as Configure's doc
// advises.
func TestPreLoggerLogsRejected(t *testing.T) {
	var pre, use bytes.Buffer
	e := echo.New()
	e.Pre(middleware.LoggerWithConfig(middleware.LoggerConfig{Format: "${status} ${remote_ip}\n", Output: &pre}))
	if err := Configure(e, xff, WithRejectBroken(0)); err != nil {
		panic(err)
	}
	e.Use(middleware.LoggerWithConfig(middleware.LoggerConfig{Format: "${status} ${remote_ip}\n", Output: &use}))
	e.GET("/", func(c echo.Context) error { return c.NoContent(204) })

	serve(e, request("10.0.0.4:1", header{"X-Forwarded-For", "6.6.6.6, junk, 10.0.0.3"}))
	if pre.String() != "400 10.0.0.3\n" || use.Len() != 0 {
		t.Fatalf("Pre logger %q, Use logger %q", pre.String(), use.String())
	}
}

// TestProxySendsTrustedIP: the Proxy middleware sets X-Real-Ip upstream
// from c.RealIP(), overwriting one the client sent.
func TestProxySendsTrustedIP(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("X-Real-Ip")+"|"+strings.Join(r.Header.Values("X-Forwarded-For"), ";"))
	}))
	defer upstream.Close()
	target, _ := url.Parse(upstream.URL)
	proxying := func() *echo.Echo {
		e := echo.New()
		if err := Configure(e, xff); err != nil {
			panic(err)
		}
		e.Use(middleware.Proxy(middleware.NewRoundRobinBalancer([]*middleware.ProxyTarget{{URL: target}})))
		return e
	}

	for _, tc := range []struct {
		name   string
		remote string
		hs     []header
		want   string
	}{
		{"trusted proxy", "10.0.0.4:1", []header{{"X-Forwarded-For", "6.6.6.6, 203.0.113.7"}, {"X-Real-Ip", "6.6.6.6"}},
			"203.0.113.7|6.6.6.6, 203.0.113.7, 10.0.0.4"},
		{"untrusted peer", "198.51.100.1:1", []header{{"X-Real-Ip", "6.6.6.6"}},
			"198.51.100.1|198.51.100.1"},
	} {
		w := serve(proxying(), request(tc.remote, tc.hs...))
		if w.Code != 200 || w.Body.String() != tc.want {
			t.Errorf("%s: upstream saw %d %q, want %q", tc.name, w.Code, w.Body, tc.want)
		}
	}
}

// TestProxyWebSocketForwardedFor: for a WebSocket, Proxy hijacks the
// connection and writes the request upstream itself. It sets X-Real-Ip to
// c.RealIP(), the verified client. X-Forwarded-For is echo's to write, and
// it keeps the client's own line (since v4.16.1 with the socket peer
// appended; before, unchanged), as the package documentation warns.
func TestProxyWebSocketForwardedFor(t *testing.T) {
	upstream, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer upstream.Close()
	got := make(chan http.Header, 1)
	go func() {
		for {
			conn, err := upstream.Accept()
			if err != nil {
				return
			}
			r, err := http.ReadRequest(bufio.NewReader(conn))
			if err == nil {
				got <- r.Header
			}
			io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			conn.Close()
		}
	}()
	target, _ := url.Parse("http://" + upstream.Addr().String())

	// The peer is 127.0.0.1: trusted here, and X-Real-IP is the header.
	loopback := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Real-IP"})
	e := echo.New()
	if err := Configure(e, loopback); err != nil {
		t.Fatal(err)
	}
	e.Use(middleware.Proxy(middleware.NewRoundRobinBalancer([]*middleware.ProxyTarget{{URL: target}})))
	srv := startServer(t, e)

	for _, tc := range []struct{ extra, wantXFF string }{
		{"", ""},
		{"X-Forwarded-For: 6.6.6.6\r\n", "6.6.6.6"},
	} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Real-Ip: 203.0.113.7\r\n"+tc.extra+"\r\n")
		var h http.Header
		select {
		case h = <-got:
		case <-time.After(10 * time.Second):
			t.Fatal("the upstream got no request")
		}
		conn.Close()
		if !strings.HasPrefix(h.Get("X-Forwarded-For"), tc.wantXFF) || h.Get("X-Real-Ip") != "203.0.113.7" {
			t.Errorf("%q: upstream saw X-Forwarded-For %q, X-Real-Ip %q; want one that starts with %q and the verified client",
				tc.extra, h.Get("X-Forwarded-For"), h.Get("X-Real-Ip"), tc.wantXFF)
		}
	}
}

// startServer serves e over loopback from a server with e's ConnContext,
// as e.Start would, until the test ends.
func startServer(t *testing.T, e *echo.Echo) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(e)
	srv.Config.ConnContext = e.Server.ConnContext
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}
