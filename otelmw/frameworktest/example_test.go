package frameworktest

import (
	"log"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/echomw"
	"github.com/trustedip/trustedip/ginmw"
	"github.com/trustedip/trustedip/grpcmw"
	"github.com/trustedip/trustedip/nethttpmw"
	"github.com/trustedip/trustedip/otelmw"
)

// gin under otelgin: Record in a middleware of the program's own, after
// otelgin, since ginmw's own middleware (and hook) runs first in the
// chain, before otelgin has started the span. The examples of this
// package compile the wiring otelmw's documentation gives; the tests run
// it.
func Example_gin() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	engine := gin.New()
	engine.Use(otelgin.Middleware("api"), func(c *gin.Context) {
		r, _ := ginmw.FromContext(c)
		otelmw.Record(c.Request.Context(), r)
	})
	if err := ginmw.Configure(engine, res); err != nil {
		log.Fatal(err)
	}
	engine.GET("/", func(c *gin.Context) { c.String(http.StatusOK, c.ClientIP()) })
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: engine, ConnContext: nethttpmw.ConnContext(res)}
	log.Fatal(srv.ListenAndServe())
}

// echo under otelecho: New after otelecho, through echo.WrapMiddleware,
// since echomw's hook runs in e.Pre, before otelecho has started the
// span; WithLegacyKeys for otelecho's http.client_ip.
func Example_echo() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	e := echo.New()
	if err := echomw.Configure(e, res); err != nil {
		log.Fatal(err)
	}
	e.Use(otelecho.Middleware("api"), echo.WrapMiddleware(otelmw.New(res, otelmw.WithLegacyKeys())))
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, c.RealIP()) })
	log.Fatal(e.Start("127.0.0.1:8080"))
}

// gRPC under otelgrpc: its stats handler starts the span before any
// interceptor runs, so Record is grpcmw's hook.
func Example_grpc() {
	res := core.MustNew(core.Config{TrustedProxies: []string{"10.0.0.0/8"}, Header: "X-Forwarded-For"})
	opts := grpcmw.ServerOptions(res, insecure.NewCredentials(), grpcmw.WithHook(otelmw.Record))
	srv := grpc.NewServer(append(opts, grpc.StatsHandler(otelgrpc.NewServerHandler()))...)
	l, err := net.Listen("tcp", "127.0.0.1:8085")
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(srv.Serve(l))
}
