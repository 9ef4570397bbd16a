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
	"google.golang.org/grpc/credentials/insecure"

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

// Server kinds, one listener each: a framework and a variant: bare, the
// handler alone; ours, the framework's trustedip adapter wired as its
// documentation says, with the same handler, which does not ask for the
// client; or asks, the same adapter and wiring with a handler that asks
// once and fails the request unless the answer is wantClient.
var (
	serverFrameworks = []string{"nethttp", "gin", "echo", "fasthttp", "grpc"}
	serverVariants   = []string{"bare", "ours", "asks"}
)

var okBody = []byte("ok")

// servers is every framework's servers of every variant, listening on
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
	if variant == "bare" {
		res = nil
	}
	ask := variant == "asks"
	switch fw {
	case "nethttp":
		h, cc := nethttpHandler(res, ask)
		return serveHTTP(ln, &http.Server{Handler: h, ConnContext: cc}), nil
	case "gin":
		h, cc, err := ginHandler(res, ask)
		if err != nil {
			return nil, err
		}
		return serveHTTP(ln, &http.Server{Handler: h, ConnContext: cc}), nil
	case "echo":
		e, err := echoServer(res, ask)
		if err != nil {
			return nil, err
		}
		// echo's own server, as e.Start would serve it: Configure set
		// its ConnContext.
		e.Server.Handler = e
		return serveHTTP(ln, e.Server), nil
	case "fasthttp":
		srv := &fasthttp.Server{Handler: fasthttpHandler(res, ask), Name: "e2e"}
		go srv.Serve(ln)
		return func() { _ = srv.Shutdown() }, nil
	case "grpc":
		srv := grpcServer(res, ask)
		go srv.Serve(ln)
		return srv.Stop, nil
	}
	return nil, fmt.Errorf("e2e: unknown framework %q", fw)
}

// serveHTTP serves srv on ln, with the same timeout for every variant.
func serveHTTP(ln net.Listener, srv *http.Server) func() {
	srv.ReadHeaderTimeout = 10 * time.Second
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

// Every handler answers "ok". With res nil the server is bare; otherwise
// our adapter is wired in, and with ask the handler reads the client as
// an application would and answers 500 (an error for gRPC) unless it is
// wantClient, which the load generator counts as a failure: a comparison
// against a misconfigured server stops. The ours and asks servers of a
// framework are wired by the same code, so a test of the asks server's
// answers tests the ours server's wiring too.

// nethttpHandler returns the handler and the server's ConnContext.
func nethttpHandler(res *core.Resolver, ask bool) (http.Handler, func(context.Context, net.Conn) context.Context) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if ask && nethttpmw.ClientIP(r) != wantClient {
			w.WriteHeader(http.StatusInternalServerError)
		}
		w.Write(okBody)
	})
	if res == nil {
		return mux, nil
	}
	return nethttpmw.New(res)(mux), nethttpmw.ConnContext(res)
}

// ginHandler returns the engine and the server's ConnContext.
func ginHandler(res *core.Resolver, ask bool) (http.Handler, func(context.Context, net.Conn) context.Context, error) {
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	var cc func(context.Context, net.Conn) context.Context
	if res != nil {
		if err := ginmw.Configure(engine, res); err != nil {
			return nil, nil, err
		}
		cc = nethttpmw.ConnContext(res)
	}
	engine.GET("/", func(c *gin.Context) {
		code := http.StatusOK
		if ask && ginmw.ClientIP(c) != wantClient {
			code = http.StatusInternalServerError
		}
		c.Data(code, "text/plain", okBody)
	})
	return engine, cc, nil
}

// echoServer returns the Echo, whose e.Server serves it.
func echoServer(res *core.Resolver, ask bool) (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	if res != nil {
		if err := echomw.Configure(e, res); err != nil {
			return nil, err
		}
	}
	e.GET("/", func(c echo.Context) error {
		code := http.StatusOK
		if ask && echomw.ClientIP(c) != wantClient {
			code = http.StatusInternalServerError
		}
		return c.Blob(code, "text/plain", okBody)
	})
	return e, nil
}

func fasthttpHandler(res *core.Resolver, ask bool) fasthttp.RequestHandler {
	h := func(ctx *fasthttp.RequestCtx) {
		if ask && fasthttpmw.ClientIP(ctx) != wantClient {
			ctx.SetStatusCode(fasthttp.StatusInternalServerError)
		}
		ctx.SetBody(okBody)
	}
	if res == nil {
		return h
	}
	return fasthttpmw.New(res, h)
}

func grpcServer(res *core.Resolver, ask bool) *grpc.Server {
	if res == nil {
		srv := grpc.NewServer()
		srv.RegisterService(&benchDesc, benchService{})
		return srv
	}
	srv := grpc.NewServer(grpcmw.ServerOptions(res, insecure.NewCredentials())...)
	var check func(context.Context) bool
	if ask {
		check = func(ctx context.Context) bool { return grpcmw.ClientIP(ctx) == wantClient }
	}
	srv.RegisterService(&benchDesc, benchService{check: check})
	return srv
}
