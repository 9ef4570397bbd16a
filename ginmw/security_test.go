package ginmw

import (
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/internal/lbtest"
	"github.com/trustedip/trustedip/internal/sockettest"
	"github.com/trustedip/trustedip/nethttpmw"
)

// TestProxyHeaderNamingNoClient (issue 33, finding 1): behind a
// netconn.Listener that takes PROXY headers from loopback, with a resolver
// that trusts loopback for X-Forwarded-For, a connection whose PROXY header
// named no client sends its own X-Forwarded-For. Served with ConnContext
// the answer is the load balancer, peer-untrusted; with engine.RunListener,
// which sets no ConnContext, RemoteAddr's text cannot say that the header
// named no client, so there is no answer. Never the header.
func TestProxyHeaderNamingNoClient(t *testing.T) {
	defer log.SetOutput(log.Writer())
	log.SetOutput(io.Discard) // the no-record warning
	res := core.MustNew(core.Config{TrustedProxies: []string{"loopback"}, Header: "X-Forwarded-For"})
	const get = "GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6\r\nConnection: close\r\n\r\n"
	for _, wiring := range []string{"ConnContext", "RunListener"} {
		engine := gin.New()
		if err := Configure(engine, res); err != nil {
			t.Fatal(err)
		}
		engine.GET("/", func(c *gin.Context) {
			r, _ := FromContext(c)
			c.String(200, "%s|%s|%s", c.ClientIP(), r.Reason, r.Peer.Provenance())
		})
		l := lbtest.ProxyListener(t)
		if wiring == "ConnContext" {
			srv := &http.Server{Handler: engine, ConnContext: nethttpmw.ConnContext(res)}
			go srv.Serve(l)
			t.Cleanup(func() { srv.Close() })
		} else {
			go engine.RunListener(l)
		}
		for _, prefix := range []string{"PROXY UNKNOWN\r\n", lbtest.V2Local} {
			b := sockettest.Exchange(t, l.Addr().String(), "127.0.0.9", []byte(prefix+get))
			_, body, _ := bytes.Cut(b, []byte("\r\n\r\n"))
			want := "127.0.0.9|peer-untrusted|proxy-no-client"
			if wiring == "RunListener" {
				want = "|no-peer|unattested"
			}
			if string(body) != want {
				t.Errorf("%s, %q: %q, want %q", wiring, prefix, body, want)
			}
		}
	}
}

// TestRewrittenRemoteAddr (issue 33, finding 2): a net/http middleware in
// front of the engine rewrites RemoteAddr from the client's header, as
// chi's RealIP does. With ConnContext the peer is the connection's, and
// the client, not a trusted proxy, is its own address.
func TestRewrittenRemoteAddr(t *testing.T) {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	engine := gin.New()
	if err := Configure(engine, res); err != nil {
		t.Fatal(err)
	}
	engine.GET("/", func(c *gin.Context) { c.String(200, "%s", c.ClientIP()) })
	realIP := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.RemoteAddr = r.Header.Get("X-Real-IP")
		engine.ServeHTTP(w, r)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: realIP, ConnContext: nethttpmw.ConnContext(res)}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	b := sockettest.Exchange(t, l.Addr().String(), "127.0.0.1", []byte("GET / HTTP/1.1\r\nHost: x\r\nX-Real-IP: 10.0.0.1:1\r\nX-Forwarded-For: 6.6.6.6\r\nConnection: close\r\n\r\n"))
	if _, body, _ := bytes.Cut(b, []byte("\r\n\r\n")); string(body) != "127.0.0.1" {
		t.Errorf("c.ClientIP() %q, want the socket peer", body)
	}
}
