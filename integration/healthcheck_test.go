package integration

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/labstack/echo/v4"
	"github.com/valyala/fasthttp"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/echomw"
	"github.com/trustedip/trustedip/fasthttpmw"
	"github.com/trustedip/trustedip/ginmw"
	"github.com/trustedip/trustedip/nethttpmw"
)

// A wiring is one way the documentation lets a user serve an adapter
// behind a netconn.Listener: it serves l until the test ends, and reports
// every request's answer, "ip|reason", on seen.
type wiring struct {
	name  string
	serve func(t *testing.T, res *core.Resolver, l net.Listener, seen chan<- string)
	// want is the answer to a health check whose PROXY header named no
	// client: the load balancer, or nothing where the wiring cannot know.
	want string
}

// report sends an answer without blocking the server.
func report(seen chan<- string, answer string) {
	select {
	case seen <- answer:
	default:
	}
}

var wirings = []wiring{
	{"nethttp, ConnContext", func(t *testing.T, res *core.Resolver, l net.Listener, seen chan<- string) {
		h := nethttpmw.New(res)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, _ := nethttpmw.FromRequest(r)
			report(seen, got.String()+"|"+got.Reason.String())
		}))
		serveHTTP(t, &http.Server{Handler: h, ConnContext: nethttpmw.ConnContext(res)}, l)
	}, haproxyProxyAddr + "|peer-untrusted"},
	{"nethttp, no ConnContext", func(t *testing.T, res *core.Resolver, l net.Listener, seen chan<- string) {
		h := nethttpmw.New(res)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, _ := nethttpmw.FromRequest(r)
			report(seen, got.String()+"|"+got.Reason.String())
		}))
		serveHTTP(t, &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}, l)
	}, "|no-peer"},
	{"gin, ConnContext", func(t *testing.T, res *core.Resolver, l net.Listener, seen chan<- string) {
		serveHTTP(t, &http.Server{Handler: ginEngine(t, res, seen), ConnContext: nethttpmw.ConnContext(res)}, l)
	}, haproxyProxyAddr + "|peer-untrusted"},
	{"gin, RunListener", func(t *testing.T, res *core.Resolver, l net.Listener, seen chan<- string) {
		engine := ginEngine(t, res, seen)
		go engine.RunListener(l)
		t.Cleanup(func() { l.Close() })
	}, "|no-peer"},
	{"echo, e.Listener", func(t *testing.T, res *core.Resolver, l net.Listener, seen chan<- string) {
		e := echo.New()
		e.HideBanner, e.HidePort = true, true
		if err := echomw.Configure(e, res); err != nil {
			t.Fatal(err)
		}
		e.Any("/*", func(c echo.Context) error {
			got, _ := echomw.FromContext(c)
			report(seen, c.RealIP()+"|"+got.Reason.String())
			return c.NoContent(200)
		})
		e.Listener = l
		go e.Start("")
		t.Cleanup(func() { e.Close() })
	}, haproxyProxyAddr + "|peer-untrusted"},
	{"fasthttp", func(t *testing.T, res *core.Resolver, l net.Listener, seen chan<- string) {
		srv := &fasthttp.Server{Handler: fasthttpmw.New(res, func(ctx *fasthttp.RequestCtx) {
			got, _ := fasthttpmw.FromContext(ctx)
			report(seen, got.String()+"|"+got.Reason.String())
		})}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Shutdown() })
	}, haproxyProxyAddr + "|peer-untrusted"},
}

// ginEngine is a configured gin that reports c.ClientIP() and the reason.
func ginEngine(t *testing.T, res *core.Resolver, seen chan<- string) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	if err := ginmw.Configure(engine, res); err != nil {
		t.Fatal(err)
	}
	engine.Any("/*path", func(c *gin.Context) {
		got, _ := ginmw.FromContext(c)
		report(seen, c.ClientIP()+"|"+got.Reason.String())
	})
	return engine
}

func serveHTTP(t *testing.T, srv *http.Server, l net.Listener) {
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
}

// TestHAProxyHealthCheckNamesNoClient (issue 33, finding 1): HAProxy sends
// each server its health checks with a PROXY version 2 LOCAL header, which
// names no client, and here an HTTP check that carries X-Forwarded-For:
// 6.6.6.6, as whoever is behind a load balancer that names no client could.
// (With send-proxy, version 1, HAProxy's checks name HAProxy itself as the
// client: a trusted proxy, whose header is the operator's own.) The server trusts HAProxy for the
// PROXY protocol and for X-Forwarded-For, in every wiring the
// documentation offers. None may believe the check's header: the answer
// is HAProxy's address, peer-untrusted, or, where the wiring cannot know
// what the PROXY header said, no address at all.
func TestHAProxyHealthCheckNamesNoClient(t *testing.T) {
	need(t, "haproxy")
	lb, err := core.NewTrustSet(haproxyProxyAddr)
	if err != nil {
		t.Fatal(err)
	}
	res := core.MustNew(core.Config{TrustedProxies: []string{haproxyProxyAddr}, Header: "X-Forwarded-For"})
	type target struct {
		wiring
		version string
		seen    chan string
	}
	var targets []target
	var routes []haproxyRoute
	for _, w := range wirings {
		for _, version := range []string{"send-proxy-v2"} {
			inner, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			seen := make(chan string, 64)
			w.serve(t, res, netconn.NewListener(inner, netconn.WithProxyFrom(lb)), seen)
			targets = append(targets, target{w, version, seen})
			routes = append(routes, haproxyRoute{
				name: fmt.Sprintf("hc%d", len(routes)), listen: freeAddr(t), mode: "http",
				upstream: inner.Addr().String(),
				server:   version + " check inter 100ms",
				backend:  []string{"option httpchk", "http-check send meth GET uri /health ver HTTP/1.1 hdr Host x hdr X-Forwarded-For 6.6.6.6"},
			})
		}
	}
	startHAProxy(t, routes)
	for _, tg := range targets {
		select {
		case got := <-tg.seen:
			if got != tg.want {
				t.Errorf("%s, %s: a health check was answered %q, want %q", tg.name, tg.version, got, tg.want)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s, %s: no health check arrived", tg.name, tg.version)
		}
	}
}
