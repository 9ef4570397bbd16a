package echomw

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/lbtest"
	"github.com/trustedip/trustedip/internal/sockettest"
)

// TestProxyHeaderNamingNoClient (issue 33, finding 1): echo serving on
// e.Listener, a netconn.Listener that takes PROXY headers from loopback,
// with a resolver that trusts loopback for X-Forwarded-For. A connection
// whose PROXY header named no client sends its own X-Forwarded-For: the
// answer is the load balancer, peer-untrusted, never the header. Served
// from a server without Configure's ConnContext, there is no answer.
func TestProxyHeaderNamingNoClient(t *testing.T) {
	defer log.SetOutput(log.Writer())
	log.SetOutput(io.Discard) // the no-record warning
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	const get = "GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6\r\nConnection: close\r\n\r\n"
	for _, wiring := range []string{"e.Listener", "own server without ConnContext"} {
		e := echo.New()
		e.HideBanner, e.HidePort = true, true
		if err := Configure(e, res); err != nil {
			t.Fatal(err)
		}
		e.GET("/", func(c echo.Context) error {
			r, _ := FromContext(c)
			return c.String(200, c.RealIP()+"|"+r.Reason.String())
		})
		l := lbtest.ProxyListener(t)
		want := "127.0.0.9|peer-untrusted"
		if wiring == "e.Listener" {
			e.Listener = l
			go e.Start("")
			t.Cleanup(func() { e.Close() })
		} else {
			srv := &http.Server{Handler: e}
			go srv.Serve(l)
			t.Cleanup(func() { srv.Close() })
			want = "|" // no record: no address, and no resolver for FromContext
		}
		for _, prefix := range []string{"PROXY UNKNOWN\r\n", lbtest.V2Local} {
			b := sockettest.Exchange(t, l.Addr().String(), "127.0.0.9", []byte(prefix+get))
			if _, body, _ := bytes.Cut(b, []byte("\r\n\r\n")); string(body) != want {
				t.Errorf("%s, %q: %q, want %q", wiring, prefix, body, want)
			}
		}
	}
}

// TestRewrittenRemoteAddr (issue 33, finding 2): a Pre middleware ahead
// of everything rewrites RemoteAddr from the client's own headers, as
// chi's RealIP does for net/http. The peer is the connection's, as
// Configure's ConnContext recorded it: the client at 127.0.0.1 is not a
// trusted proxy of a resolver that trusts 10.0.0.0/8, whatever it writes.
func TestRewrittenRemoteAddr(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if v := c.Request().Header.Get("X-Real-IP"); v != "" {
				c.Request().RemoteAddr = v
			}
			return next(c)
		}
	})
	if err := Configure(e, res); err != nil {
		t.Fatal(err)
	}
	e.GET("/", func(c echo.Context) error {
		r, _ := FromContext(c)
		return c.String(200, c.RealIP()+"|"+r.Reason.String())
	})
	l := lbtest.ProxyListener(t)
	e.Listener = l
	go e.Start("")
	t.Cleanup(func() { e.Close() })
	b := sockettest.Exchange(t, l.Addr().String(), "127.0.0.1", []byte("PROXY TCP4 127.0.0.1 127.0.0.1 4000 80\r\n"+
		"GET / HTTP/1.1\r\nHost: x\r\nX-Real-IP: 10.0.0.1:1\r\nX-Forwarded-For: 6.6.6.6\r\nConnection: close\r\n\r\n"))
	if _, body, _ := bytes.Cut(b, []byte("\r\n\r\n")); string(body) != "127.0.0.1|peer-untrusted" {
		t.Errorf("%q, want the connection's peer, untrusted", body)
	}
}
