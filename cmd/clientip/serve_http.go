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
// servers all do. ConnContext records each connection and res, so that
// every request's peer is its connection's, with its provenance.
// With a TLS configuration it serves HTTPS, HTTP/2 included.
type httpServer struct{ srv *http.Server }

func newHTTPServer(h http.Handler, res *core.Resolver, opts serveOptions) *httpServer {
	return &httpServer{srv: &http.Server{
		Handler:           h,
		ConnContext:       nethttpmw.ConnContext(res),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    opts.maxHeaderBytes,
		TLSConfig:         opts.tlsConfig(),
		ErrorLog:          opts.connLog.serverLog(opts.name),
	}}
}

// idleTimeout closes a keep-alive connection that has sent no request for
// that long, so that idle clients cannot hold connections forever.
const idleTimeout = 2 * time.Minute

// defaultMaxHeaderBytes bounds a request's header block. A chain of
// proxies needs a few KiB at most; a bound in tens of KiB keeps a crowd of
// unfinished requests from holding much memory. Beyond it the HTTP
// servers answer 431.
const defaultMaxHeaderBytes = 32 << 10

func (s *httpServer) serve(ln net.Listener) error {
	var err error
	if s.srv.TLSConfig != nil {
		// The certificate is in TLSConfig. ServeTLS offers HTTP/2 by ALPN;
		// behind a PROXY listener the header is read before the handshake.
		err = s.srv.ServeTLS(ln, "", "")
	} else {
		err = s.srv.Serve(ln)
	}
	if !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *httpServer) shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

func writeJSON(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

func newNetHTTPServer(res *core.Resolver, opts serveOptions) (server, error) {
	h := nethttpWhoami("nethttp", res, opts, func(r *http.Request) *netconn.ConnInfo {
		info, _ := nethttpmw.ConnInfo(r)
		return info
	})
	return newHTTPServer(h, res, opts), nil
}

// nethttpWhoami is the whoami behind nethttpmw, for the net/http and
// HTTP/3 servers, which find the connection's info in different places.
func nethttpWhoami(name string, res *core.Resolver, opts serveOptions, connInfo func(*http.Request) *netconn.ConnInfo) http.Handler {
	mwOpts := []nethttpmw.Option{nethttpmw.WithRemoteAddr(), nethttpmw.WithHook(opts.hook)}
	if opts.rejectBroken {
		mwOpts = append(mwOpts, nethttpmw.WithRejectBroken(http.StatusBadRequest))
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		result, _ := nethttpmw.FromRequest(r)
		writeJSON(w, newWhoami(name, result, hostOf(r.RemoteAddr), connInfo(r)).json())
	})
	return nethttpmw.New(res, mwOpts...)(h)
}

func newGinServer(res *core.Resolver, opts serveOptions) (server, error) {
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	mwOpts := []ginmw.Option{ginmw.WithHook(opts.hook)}
	if opts.rejectBroken {
		mwOpts = append(mwOpts, ginmw.WithRejectBroken(http.StatusBadRequest))
	}
	if err := ginmw.Configure(engine, res, mwOpts...); err != nil {
		return nil, err
	}
	engine.Any("/*path", func(c *gin.Context) {
		result, _ := ginmw.FromContext(c)
		info, _ := ginmw.ConnInfo(c)
		c.Data(http.StatusOK, "application/json", newWhoami("gin", result, c.ClientIP(), info).json())
	})
	return newHTTPServer(engine, res, opts), nil
}

func newEchoServer(res *core.Resolver, opts serveOptions) (server, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	mwOpts := []echomw.Option{echomw.WithHook(opts.hook)}
	if opts.rejectBroken {
		mwOpts = append(mwOpts, echomw.WithRejectBroken(http.StatusBadRequest))
	}
	if err := echomw.Configure(e, res, mwOpts...); err != nil {
		return nil, err
	}
	e.Any("/*", func(c echo.Context) error {
		result, _ := echomw.FromContext(c)
		info, _ := echomw.ConnInfo(c)
		return c.JSONBlob(http.StatusOK, newWhoami("echo", result, c.RealIP(), info).json())
	})
	return newHTTPServer(e, res, opts), nil
}
