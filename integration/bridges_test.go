package integration

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

	"github.com/gin-gonic/gin"
	"github.com/labstack/echo/v4"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/echomw"
	"github.com/trustedip/trustedip/ginmw"
	"github.com/trustedip/trustedip/internal/sockettest"
)

// Bridges such as fasthttpadaptor run net/http handlers on another
// server, which decides what the request may contain. fasthttp accepts
// header names net/http refuses (with a space in them, say), and it
// writes RemoteAddr from whatever its connection says. None of that may
// let a client choose gin's or echo's client IP, on routes and in
// middleware that run before the adapter as well as after it.

// bridged is gin and echo, each configured after middleware added first,
// echo also after an early route (gin refuses to be configured after
// one), served by fasthttp through fasthttpadaptor.
func bridged(t *testing.T, cfg core.Config) fasthttp.RequestHandler {
	t.Helper()
	res := core.MustNew(cfg)
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	engine.Use(func(c *gin.Context) { c.Header("X-Before", c.ClientIP()) }) // a rate limiter added first, say
	if err := ginmw.Configure(engine, res); err != nil {
		t.Fatal(err)
	}
	engine.GET("/gin/early", func(c *gin.Context) { c.String(200, "%s", c.ClientIP()) })
	engine.GET("/gin/late", func(c *gin.Context) { c.String(200, "%s|%s", c.ClientIP(), ginmw.ClientIP(c)) })

	e := echo.New()
	e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { c.Response().Header().Set("X-Before", c.RealIP()); return next(c) }
	})
	e.GET("/echo/early", func(c echo.Context) error { return c.String(200, c.RealIP()) })
	if err := echomw.Configure(e, res); err != nil {
		t.Fatal(err)
	}
	// A bridge has no ConnContext to record res with: New gives
	// FromContext and ClientIP theirs.
	e.Use(echomw.New(res))
	e.GET("/echo/late", func(c echo.Context) error { return c.String(200, c.RealIP()+"|"+echomw.ClientIP(c)) })

	ginH, echoH := fasthttpadaptor.NewFastHTTPHandler(engine), fasthttpadaptor.NewFastHTTPHandler(e)
	return func(ctx *fasthttp.RequestCtx) {
		if strings.HasPrefix(string(ctx.Path()), "/gin/") {
			ginH(ctx)
		} else {
			echoH(ctx)
		}
	}
}

// bridgeSpoofs are headers a client sends hoping to be someone else: the one
// ginmw once used to hand gin its answer (a name net/http refuses but
// fasthttp takes), and those gin and echo read on their own.
var bridgeSpoofs = []string{
	"Trustedip Client-IP: 6.6.6.6",
	"X-Real-IP: 6.6.6.6",
	"X-Appengine-Remote-Addr: 6.6.6.6",
	"CF-Connecting-IP: 6.6.6.6",
	"X-Forwarded-For: 6.6.6.6, 203.0.113.7",
}

// bridgeGet sends a GET with the bridgeSpoofs on c and returns the X-Before
// header and the body.
func bridgeGet(t *testing.T, c net.Conn, path string) (before, body string) {
	t.Helper()
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n\r\n", path, strings.Join(bridgeSpoofs, "\r\n"))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.Header.Get("X-Before"), string(b)
}

func TestBridgeFasthttpadaptor(t *testing.T) {
	srv := &fasthttp.Server{Handler: bridged(t, core.Config{TrustedProxies: []string{"127.0.0.1"}, Header: "X-Forwarded-For"})}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Shutdown()

	for _, tc := range []struct {
		src         string
		early, late string
	}{
		// 127.0.0.1 is a trusted proxy: its X-Forwarded-For is believed
		// everywhere, in middleware added before Configure too.
		{"127.0.0.1", "203.0.113.7", "203.0.113.7"},
		{"127.0.0.9", "127.0.0.9", "127.0.0.9"},
	} {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: netip.MustParseAddr(tc.src).AsSlice()}}
		dial := func() net.Conn {
			c, err := d.Dial("tcp4", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		for _, fw := range []string{"gin", "echo"} {
			before, body := bridgeGet(t, dial(), "/"+fw+"/early")
			// echo's Pre middleware and early route use the IPExtractor
			// Configure set; gin's middleware runs after Configure's.
			wantEarly := tc.early
			if before != wantEarly || body != wantEarly {
				t.Errorf("%s from %s, route before Configure: middleware saw %q, route %q; want %q", fw, tc.src, before, body, wantEarly)
			}
			before, body = bridgeGet(t, dial(), "/"+fw+"/late")
			if before != wantEarly || body != tc.late+"|"+tc.late {
				t.Errorf("%s from %s, route after Configure: middleware saw %q, route %q; want %q and %q", fw, tc.src, before, body, wantEarly, tc.late+"|"+tc.late)
			}
		}
	}
}

// TestBridgeFasthttpadaptorUnix: on a Unix-socket listener fasthttp's
// RemoteAddr is the name the client bound its socket to, and
// fasthttpadaptor copies it into RemoteAddr. The adapters take the peer
// from the connection instead: a Unix socket, with no address.
func TestBridgeFasthttpadaptorUnix(t *testing.T) {
	l, path := sockettest.ListenUnix(t)
	srv := &fasthttp.Server{Handler: bridged(t, core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})}
	go srv.Serve(l)
	defer srv.Shutdown()
	t.Chdir(t.TempDir())
	for _, bound := range []string{"127.0.0.1:1", "6.6.6.6:1234"} {
		for _, fw := range []string{"gin", "echo"} {
			c, err := sockettest.DialUnixAs(path, bound)
			if err != nil {
				t.Fatal(err)
			}
			_, body := bridgeGet(t, c, "/"+fw+"/late")
			if body != "|" {
				t.Errorf("%s, client bound to %q: %q, want no address", fw, bound, body)
			}
		}
	}
}
