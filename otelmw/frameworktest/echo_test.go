package frameworktest

import (
	"net"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho"
	"go.opentelemetry.io/otel/attribute"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/echomw"
	"github.com/trustedip/trustedip/otelmw"
	"github.com/trustedip/trustedip/otelmw/internal/spantest"
)

// echoServer starts an Echo under echomw.Configure (opts) with otelecho
// and then each of mw, answering "ok" on /x, on its own server (whose
// ConnContext Configure sets), and returns the address to dial.
func echoServer(t *testing.T, spans *spantest.Spans, res *core.Resolver, opts []echomw.Option, mw ...echo.MiddlewareFunc) string {
	t.Helper()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	if err := echomw.Configure(e, res, opts...); err != nil {
		t.Fatal(err)
	}
	e.Use(otelecho.Middleware("api", otelecho.WithTracerProvider(spans.Provider)))
	e.Use(mw...)
	e.GET("/x", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.Listener = l
	go e.Start("")
	t.Cleanup(func() { e.Close() })
	return l.Addr().String()
}

// TestEcho: with New after otelecho, through echo.WrapMiddleware, and
// WithLegacyKeys, the span's client is the verified one under both
// otelecho's keys (http.client_ip, which otelecho alone takes from
// X-Forwarded-For) and the current ones.
func TestEcho(t *testing.T) {
	res := xff()
	spans := spantest.New(t)
	addr := echoServer(t, spans, res, nil, echo.WrapMiddleware(otelmw.New(res, otelmw.WithLegacyKeys())))

	spantest.Send(t, addr, spantest.ProxyIP, spantest.Get(spantest.Forged+", 203.0.113.7"))
	spantest.Check(t, spans.Server(t), map[attribute.Key]string{
		"client.address": "203.0.113.7", "http.client_ip": "203.0.113.7",
		"network.peer.address": spantest.ProxyIP, "net.sock.peer.addr": spantest.ProxyIP, "net.sock.peer.port": "*",
	}, spantest.Forged)

	spantest.Send(t, addr, spantest.UntrustedIP, spantest.Get(spantest.Forged))
	spantest.Check(t, spans.Server(t), map[attribute.Key]string{
		"client.address": spantest.UntrustedIP, "http.client_ip": spantest.UntrustedIP,
		"network.peer.address": spantest.UntrustedIP, "net.sock.peer.addr": spantest.UntrustedIP,
	}, spantest.Forged)
}

// TestEchoWithoutRecord is the control: otelecho alone writes the
// client's own X-Forwarded-For as http.client_ip.
func TestEchoWithoutRecord(t *testing.T) {
	res := xff()
	spans := spantest.New(t)
	spantest.Send(t, echoServer(t, spans, res, nil), spantest.UntrustedIP, spantest.Get(spantest.Forged))
	if got := spantest.Attrs(spans.Server(t))["http.client_ip"]; got != spantest.Forged {
		t.Errorf("otelecho alone: http.client_ip %q, want the header's %q: update otelmw's documentation", got, spantest.Forged)
	}
}

// TestEchoHookRunsFirst pins why echo takes New rather than echomw's
// hook: the hook runs in e.Pre, before otelecho has started the span, so
// it records nothing there.
func TestEchoHookRunsFirst(t *testing.T) {
	res := xff()
	spans := spantest.New(t)
	addr := echoServer(t, spans, res, []echomw.Option{echomw.WithHook(otelmw.Record)})
	spantest.Send(t, addr, spantest.UntrustedIP, spantest.Get(spantest.Forged))
	if got, ok := spantest.Attrs(spans.Server(t))["client.address"]; ok {
		t.Errorf("echomw.WithHook(otelmw.Record): client.address %q on otelecho's span: if echomw's hook now runs inside it, otelmw's documentation must say so", got)
	}
}
