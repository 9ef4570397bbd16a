package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/labstack/echo/v4"
	"github.com/valyala/fasthttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// The floor server of each framework answers the question a shortfall
// against bare raises: how much of it does the framework force on any
// client-IP middleware, whatever that middleware decides?
//
// It does what our adapter does in that framework, and nothing of what
// the resolver does. It reads the socket peer and every line of the
// header, hands one value per request to the handler by the same carrier
// the adapter uses (a copy of the request with a context wrapping its
// own, in net/http, gin and echo; fasthttp's user values with a pooled
// holder released by io.Closer; a wrapped gRPC context and stream), and
// the handler reads
// it back and fails the request unless the peer was there and the header
// had its one line. No address is parsed, no proxy looked up, no text
// made. Measured against bare side by side (Comparison.Floor), it is the
// part of ours's cost that belongs to the framework; what ours costs
// above it is the resolution, which is ours to answer for.
const floorHeader = "X-Forwarded-For"

// floorValue is what a floor middleware hands to its handler.
type floorValue struct {
	peer  bool // the peer's address was there
	lines int  // lines of the header
	// least is set on the least resolver's server (see least.go), and
	// client is then its answer.
	least  bool
	client uint32
}

func (v floorValue) ok() bool {
	return v.peer && v.lines == 1 && (!v.least || v.client == wantClient4)
}

// httpFloorValue reads r as the floor of an HTTP framework does, and
// resolves its client too when least is set.
func httpFloorValue(r *http.Request, least bool) floorValue {
	lines := r.Header[floorHeader]
	v := floorValue{peer: r.RemoteAddr != "", lines: len(lines)}
	if least {
		v.least, v.client = true, leastClient(leastIPv4(r.RemoteAddr), lines)
	}
	return v
}

// serveFloor serves fw's floor on ln, or with least its least resolver.
func serveFloor(fw string, least bool, ln net.Listener) (func(), error) {
	switch fw {
	case "nethttp":
		return serveHTTP(ln, nethttpFloor(least)), nil
	case "gin":
		return serveHTTP(ln, ginFloor(least)), nil
	case "echo":
		return serveHTTP(ln, echoFloor(least)), nil
	case "fasthttp":
		srv := &fasthttp.Server{Handler: fasthttpFloor(least), Name: "e2e"}
		go srv.Serve(ln)
		return func() { _ = srv.Shutdown() }, nil
	case "grpc":
		srv := grpc.NewServer(grpc.UnaryInterceptor(grpcFloorUnary(least)), grpc.StreamInterceptor(grpcFloorStream(least)))
		srv.RegisterService(&benchDesc, benchService{check: func(ctx context.Context) bool {
			v, ok := ctx.Value(floorKey{}).(*floorValue)
			return ok && v.ok()
		}})
		go srv.Serve(ln)
		return srv.Stop, nil
	}
	return nil, fmt.Errorf("e2e: unknown framework %q", fw)
}

// floorContext carries a floorValue the way nethttpmw and grpcmw carry a
// Result: one allocation that is both the context and the value.
type floorContext struct {
	context.Context
	v floorValue
}

type floorKey struct{}

func (c *floorContext) Value(key any) any {
	if key == (floorKey{}) {
		return &c.v
	}
	return c.Context.Value(key)
}

func nethttpFloor(least bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if v, ok := r.Context().Value(floorKey{}).(*floorValue); !ok || !v.ok() {
			w.WriteHeader(http.StatusInternalServerError)
		}
		w.Write(okBody)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := &floorContext{Context: r.Context(), v: httpFloorValue(r, least)}
		mux.ServeHTTP(w, r.WithContext(ctx))
	})
}

// ginFloor replaces c.Request with a shallow copy whose context carries
// the value, as ginmw does: gin keeps the request's client in c.Request
// alone, and its per-request map, c.Keys, costs a map of its own.
func ginFloor(least bool) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	engine.Use(func(c *gin.Context) {
		r := c.Request
		c.Request = r.WithContext(&floorContext{Context: r.Context(), v: httpFloorValue(r, least)})
	})
	engine.GET("/", func(c *gin.Context) {
		code := http.StatusOK
		if v, ok := c.Request.Context().Value(floorKey{}).(*floorValue); !ok || !v.ok() {
			code = http.StatusInternalServerError
		}
		c.Data(code, "text/plain", okBody)
	})
	return engine
}

// echoFloor carries the value as echomw.Configure does: a middleware
// added with e.Pre, ahead of routing, puts a copy of the request with the
// value in its context on the echo.Context.
func echoFloor(least bool) http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			c.SetRequest(r.WithContext(&floorContext{Context: r.Context(), v: httpFloorValue(r, least)}))
			return next(c)
		}
	})
	e.GET("/", func(c echo.Context) error {
		code := http.StatusOK
		if v, ok := c.Request().Context().Value(floorKey{}).(*floorValue); !ok || !v.ok() {
			code = http.StatusInternalServerError
		}
		return c.Blob(code, "text/plain", okBody)
	})
	return e
}

// floorHolder is fasthttpmw's holder without the Result: pooled, kept in
// the user values, and put back when fasthttp closes it.
type floorHolder struct {
	ctx *fasthttp.RequestCtx
	v   floorValue
}

var floorHolders = sync.Pool{New: func() any { return new(floorHolder) }}

var floorUserKey = &struct{ name string }{"e2e floor"}

func (h *floorHolder) Close() error {
	h.ctx = nil
	floorHolders.Put(h)
	return nil
}

func fasthttpFloor(least bool) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		h := floorHolders.Get().(*floorHolder)
		h.ctx = ctx
		ctx.SetUserValue(floorUserKey, h)
		hdr := &ctx.Request.Header
		hdr.DisableNormalizing()
		addr, lines := ctx.RemoteAddr(), hdr.PeekAll(floorHeader)
		h.v = floorValue{peer: addr != nil, lines: len(lines)}
		if least {
			h.v.least, h.v.client = true, leastClient(leastPeer(addr), lines)
		}
		hdr.EnableNormalizing()
		if h, ok := ctx.UserValue(floorUserKey).(*floorHolder); !ok || !h.v.ok() {
			ctx.SetStatusCode(fasthttp.StatusInternalServerError)
		}
		ctx.SetBody(okBody)
	}
}

func grpcFloorContext(ctx context.Context, least bool) context.Context {
	p, _ := peer.FromContext(ctx)
	lines := metadata.ValueFromIncomingContext(ctx, "x-forwarded-for")
	v := floorValue{peer: p != nil && p.Addr != nil, lines: len(lines)}
	if least && v.peer {
		v.least, v.client = true, leastClient(leastPeer(p.Addr), lines)
	}
	return &floorContext{Context: ctx, v: v}
}

func grpcFloorUnary(least bool) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return handler(grpcFloorContext(ctx, least), req)
	}
}

type floorStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *floorStream) Context() context.Context { return s.ctx }

func grpcFloorStream(least bool) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &floorStream{ServerStream: ss, ctx: grpcFloorContext(ss.Context(), least)})
	}
}
