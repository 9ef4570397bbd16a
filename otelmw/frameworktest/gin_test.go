package frameworktest

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/ginmw"
	"github.com/trustedip/trustedip/otelmw"
	"github.com/trustedip/trustedip/otelmw/internal/spantest"
)

// xff trusts the tests' proxy for X-Forwarded-For.
func xff() *core.Resolver {
	return core.MustNew(core.Config{TrustedProxies: []string{spantest.ProxyIP}, Header: "X-Forwarded-For"})
}

// record is the gin middleware otelmw's documentation gives, after
// otelgin.
func record(c *gin.Context) {
	r, _ := ginmw.FromContext(c)
	otelmw.Record(c.Request.Context(), r)
}

// ginEngine is an engine under ginmw.Configure with otelgin and then
// each of mw, answering "ok" on /x.
func ginEngine(t *testing.T, spans *spantest.Spans, res *core.Resolver, opts []ginmw.Option, mw ...gin.HandlerFunc) *gin.Engine {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	engine.Use(otelgin.Middleware("api", otelgin.WithTracerProvider(spans.Provider)))
	engine.Use(mw...)
	if err := ginmw.Configure(engine, res, opts...); err != nil {
		t.Fatal(err)
	}
	engine.GET("/x", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	return engine
}

// TestGin: with Record in a gin middleware after otelgin, the span's
// client is the verified one, and its network peer the socket's, where
// otelgin alone writes the client there (ginmw hands it a RemoteAddr that
// is the client). Without a record of the connection there is no client,
// and otelgin, finding c.ClientIP() empty, falls back on X-Forwarded-For:
// Record replaces that too.
func TestGin(t *testing.T) {
	res := xff()
	spans := spantest.New(t)
	engine := ginEngine(t, spans, res, nil, record)
	addr := spantest.Serve(t, engine, res, nil)

	spantest.Send(t, addr, spantest.ProxyIP, spantest.Get(spantest.Forged+", 203.0.113.7"))
	spantest.Check(t, spans.Server(t), map[attribute.Key]string{
		"client.address": "203.0.113.7", "network.peer.address": spantest.ProxyIP, "network.peer.port": "*",
	}, spantest.Forged)

	spantest.Send(t, addr, spantest.UntrustedIP, spantest.Get(spantest.Forged))
	spantest.Check(t, spans.Server(t), map[attribute.Key]string{
		"client.address": spantest.UntrustedIP, "client.port": "*", "network.peer.address": spantest.UntrustedIP,
	}, spantest.Forged)

	addr = spantest.Serve(t, engine, nil, nil) // no ConnContext
	spantest.Send(t, addr, spantest.UntrustedIP, spantest.Get(spantest.Forged))
	spantest.Check(t, spans.Server(t), map[attribute.Key]string{
		"client.address": "", "network.peer.address": "",
	}, spantest.Forged)
}

// TestGinWithoutRecord is the control: otelgin under ginmw.Configure
// alone writes the client as the network peer, and the client's own
// X-Forwarded-For as client.address when there is no verified client.
func TestGinWithoutRecord(t *testing.T) {
	res := xff()
	spans := spantest.New(t)
	engine := ginEngine(t, spans, res, nil)

	spantest.Send(t, spantest.Serve(t, engine, res, nil), spantest.ProxyIP, spantest.Get(spantest.Forged+", 203.0.113.7"))
	if got := spantest.Attrs(spans.Server(t))["network.peer.address"]; got != "203.0.113.7" {
		t.Errorf("otelgin alone: network.peer.address %q, want the client 203.0.113.7 (ginmw's RemoteAddr): if otelgin reads the peer elsewhere now, update otelmw's documentation", got)
	}
	spantest.Send(t, spantest.Serve(t, engine, nil, nil), spantest.UntrustedIP, spantest.Get(spantest.Forged))
	if got := spantest.Attrs(spans.Server(t))["client.address"]; got != spantest.Forged {
		t.Errorf("otelgin alone without a verified client: client.address %q, want the header's %q: update otelmw's documentation", got, spantest.Forged)
	}
}

// TestGinHookRunsFirst pins why gin needs a middleware of its own:
// ginmw.Configure puts its middleware, and so its hook, first in the
// chain, ahead of otelgin registered before it, so the hook finds no span
// and otelgin's values stay.
func TestGinHookRunsFirst(t *testing.T) {
	res := xff()
	spans := spantest.New(t)
	engine := ginEngine(t, spans, res, []ginmw.Option{ginmw.WithHook(otelmw.Record)})
	spantest.Send(t, spantest.Serve(t, engine, res, nil), spantest.ProxyIP, spantest.Get(spantest.Forged+", 203.0.113.7"))
	if got := spantest.Attrs(spans.Server(t))["network.peer.address"]; got != "203.0.113.7" {
		t.Errorf("ginmw.WithHook(otelmw.Record): network.peer.address %q, want otelgin's own 203.0.113.7: if ginmw's hook now runs inside otelgin's span, otelmw's documentation must say so", got)
	}
}

// TestGinUnderOtelhttp: an engine served under otelhttp rather than
// otelgin has its span before ginmw's middleware runs, so ginmw's hook
// records, as nethttpmw's does.
func TestGinUnderOtelhttp(t *testing.T) {
	res := xff()
	spans := spantest.New(t)
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	if err := ginmw.Configure(engine, res, ginmw.WithHook(otelmw.Record)); err != nil {
		t.Fatal(err)
	}
	engine.GET("/x", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	addr := spantest.Serve(t, otelhttp.NewHandler(engine, "api", otelhttp.WithTracerProvider(spans.Provider)), res, nil)

	spantest.Send(t, addr, spantest.UntrustedIP, spantest.Get(spantest.Forged))
	spantest.Check(t, spans.Server(t), map[attribute.Key]string{
		"client.address": spantest.UntrustedIP, "network.peer.address": spantest.UntrustedIP,
	}, spantest.Forged)
}
