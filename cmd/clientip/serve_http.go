package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/labstack/echo/v4"

	"github.com/trustedip/trustedip/core"
	"github.com/trustedip/trustedip/core/netconn"
	"github.com/trustedip/trustedip/echomw"
	"github.com/trustedip/trustedip/ginmw"
	"github.com/trustedip/trustedip/nethttpmw"
)

// httpServer runs a handler on net/http, as the net/http, gin and echo
// servers all do. ConnContext makes each connection's info reachable.
type httpServer struct{ srv *http.Server }

func newHTTPServer(h http.Handler, opts serveOptions) *httpServer {
	return &httpServer{srv: &http.Server{
		Handler:           h,
		ConnContext:       netconn.ConnContext,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    opts.maxHeaderBytes,
	}}
}

// defaultMaxHeaderBytes bounds a request's header block. A chain of
// proxies needs a few KiB at most; a bound in tens of KiB keeps a crowd of
// unfinished requests from holding much memory. Beyond it the HTTP
// servers answer 431.
const defaultMaxHeaderBytes = 32 << 10

func (s *httpServer) serve(ln net.Listener) error {
	if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *httpServer) shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

func writeJSON(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

func newNetHTTPServer(res *core.Resolver, opts serveOptions) server {
	mwOpts := []nethttpmw.Option{nethttpmw.WithRemoteAddr()}
	if opts.rejectBroken {
		mwOpts = append(mwOpts, nethttpmw.WithRejectBroken(http.StatusBadRequest))
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		result, _ := nethttpmw.FromRequest(r)
		info, _ := nethttpmw.ConnInfo(r)
		writeJSON(w, newWhoami("nethttp", result, hostOf(r.RemoteAddr), info).json())
	})
	return newHTTPServer(nethttpmw.New(res, mwOpts...)(h), opts)
}

func newGinServer(res *core.Resolver, opts serveOptions) server {
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	var mwOpts []ginmw.Option
	if opts.rejectBroken {
		mwOpts = append(mwOpts, ginmw.WithRejectBroken(http.StatusBadRequest))
	}
	if err := ginmw.Configure(engine, res, mwOpts...); err != nil {
		panic(err) // Configure fails only on a gin that rejects an empty trusted list
	}
	engine.Any("/*path", func(c *gin.Context) {
		result, _ := ginmw.FromContext(c)
		info, _ := ginmw.ConnInfo(c)
		c.Data(http.StatusOK, "application/json", newWhoami("gin", result, c.ClientIP(), info).json())
	})
	return newHTTPServer(engine, opts)
}

func newEchoServer(res *core.Resolver, opts serveOptions) server {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	var mwOpts []echomw.Option
	if opts.rejectBroken {
		mwOpts = append(mwOpts, echomw.WithRejectBroken(http.StatusBadRequest))
	}
	echomw.Configure(e, res, mwOpts...)
	e.Any("/*", func(c echo.Context) error {
		result, _ := echomw.FromContext(c)
		info, _ := echomw.ConnInfo(c)
		return c.JSONBlob(http.StatusOK, newWhoami("echo", result, c.RealIP(), info).json())
	})
	return newHTTPServer(e, opts)
}
