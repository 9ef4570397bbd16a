package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/labstack/echo/v4"
	"github.com/valyala/fasthttp"
	"google.golang.org/grpc"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/echomw"
	"github.com/trustedip/trustedip/fasthttpmw"
	"github.com/trustedip/trustedip/ginmw"
	"github.com/trustedip/trustedip/grpcmw"
	"github.com/trustedip/trustedip/nethttpmw"
)

// The request every comparison serves, and what ours must resolve.
const (
	forwardedFor = "203.0.113.7, 10.0.0.2"
	wantClient   = "203.0.113.7"
)

// serverConfig is the resolver every ours server uses.
var serverConfig = core.Config{TrustedProxies: []string{"loopback", "10.0.0.0/8"}, Header: "X-Forwarded-For"}

// Server kinds, one listener each: a framework and a variant: bare,
// ours, the framework's floor (see floor.go), or its least resolver (see
// least.go).
var (
	serverFrameworks = []string{"nethttp", "gin", "echo", "fasthttp", "grpc"}
	serverVariants   = []string{"bare", "ours", "floor", "least"}
)

var okBody = []byte("ok")

// servers is every framework's bare and ours server, listening on
// 127.0.0.1 ports of the system's choosing.
type servers struct {
	addrs map[string]string // "fw/variant" to host:port
	stops []func()
}

// startServers starts every server, or none.
func startServers() (*servers, error) {
	res, err := core.New(serverConfig)
	if err != nil {
		return nil, err
	}
	s := &servers{addrs: map[string]string{}}
	for _, fw := range serverFrameworks {
		for _, v := range serverVariants {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				s.stop()
				return nil, err
			}
			stop, err := serveOne(fw, v, res, ln)
			if err != nil {
				ln.Close()
				s.stop()
				return nil, err
			}
			s.addrs[fw+"/"+v] = ln.Addr().String()
			s.stops = append(s.stops, stop)
		}
	}
	return s, nil
}

func (s *servers) stop() {
	var wg sync.WaitGroup
	for _, stop := range s.stops {
		wg.Go(stop)
	}
	wg.Wait()
}

// serveOne serves variant of fw on ln, and returns the function that
// stops it.
func serveOne(fw, variant string, res *core.Resolver, ln net.Listener) (func(), error) {
	if variant == "floor" || variant == "least" {
		return serveFloor(fw, variant == "least", ln)
	}
	ours := variant == "ours"
	switch fw {
	case "nethttp":
		return serveHTTP(ln, nethttpHandler(ours, res)), nil
	case "gin":
		h, err := ginHandler(ours, res)
		if err != nil {
			return nil, err
		}
		return serveHTTP(ln, h), nil
	case "echo":
		return serveHTTP(ln, echoHandler(ours, res)), nil
	case "fasthttp":
		srv := &fasthttp.Server{Handler: fasthttpHandler(ours, res), Name: "e2e"}
		go srv.Serve(ln)
		return func() { _ = srv.Shutdown() }, nil
	case "grpc":
		srv := grpcServer(ours, res)
		go srv.Serve(ln)
		return srv.Stop, nil
	}
	return nil, fmt.Errorf("e2e: unknown framework %q", fw)
}

func serveHTTP(ln net.Listener, h http.Handler) func() {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
}

// Every handler answers "ok". The ours handlers read the client their
// adapter resolved, as an application would, and answer 500 (an error
// for gRPC) unless it is wantClient, which the load generator counts as a
// failure: a comparison against a misconfigured server stops.

func nethttpHandler(ours bool, res *core.Resolver) http.Handler {
	mux := http.NewServeMux()
	if !ours {
		mux.HandleFunc("GET /", func(w http.ResponseWriter, _ *http.Request) { w.Write(okBody) })
		return mux
	}
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if nethttpmw.ClientIP(r) != wantClient {
			w.WriteHeader(http.StatusInternalServerError)
		}
		w.Write(okBody)
	})
	return nethttpmw.New(res)(mux)
}

func ginHandler(ours bool, res *core.Resolver) (http.Handler, error) {
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	if !ours {
		engine.GET("/", func(c *gin.Context) { c.Data(http.StatusOK, "text/plain", okBody) })
		return engine, nil
	}
	if err := ginmw.Configure(engine, res); err != nil {
		return nil, err
	}
	engine.GET("/", func(c *gin.Context) {
		code := http.StatusOK
		if ginmw.ClientIP(c) != wantClient {
			code = http.StatusInternalServerError
		}
		c.Data(code, "text/plain", okBody)
	})
	return engine, nil
}

func echoHandler(ours bool, res *core.Resolver) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	if !ours {
		e.GET("/", func(c echo.Context) error { return c.Blob(http.StatusOK, "text/plain", okBody) })
		return e
	}
	echomw.Configure(e, res)
	e.GET("/", func(c echo.Context) error {
		code := http.StatusOK
		if echomw.ClientIP(c) != wantClient {
			code = http.StatusInternalServerError
		}
		return c.Blob(code, "text/plain", okBody)
	})
	return e
}

func fasthttpHandler(ours bool, res *core.Resolver) fasthttp.RequestHandler {
	if !ours {
		return func(ctx *fasthttp.RequestCtx) { ctx.SetBody(okBody) }
	}
	return fasthttpmw.New(res, func(ctx *fasthttp.RequestCtx) {
		if fasthttpmw.ClientIP(ctx) != wantClient {
			ctx.SetStatusCode(fasthttp.StatusInternalServerError)
		}
		ctx.SetBody(okBody)
	})
}

func grpcServer(ours bool, res *core.Resolver) *grpc.Server {
	if !ours {
		srv := grpc.NewServer()
		srv.RegisterService(&benchDesc, benchService{})
		return srv
	}
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(grpcmw.UnaryServerInterceptor(res)),
		grpc.StreamInterceptor(grpcmw.StreamServerInterceptor(res)),
	)
	srv.RegisterService(&benchDesc, benchService{check: func(ctx context.Context) bool {
		return grpcmw.ClientIP(ctx) == wantClient
	}})
	return srv
}
